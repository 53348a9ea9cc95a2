"""Imports every module that defines tables, so Base.metadata is complete (for Alembic and
the schema-consistency test). Add each new table module here."""
from models import accounts, archive, areas, automation, counters, ledger, operators, oplog, settings_store  # noqa: F401
from models import ledger_daily, quality, timed  # noqa: F401
