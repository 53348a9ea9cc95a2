"""Imports every module that defines tables, so Base.metadata is complete (for Alembic and
the schema-consistency test). Add each new table module here."""
from models import (  # noqa: F401  # noqa: F401
    accounts,
    archive,
    areas,
    automation,
    counters,
    ledger,
    ledger_daily,
    operators,
    oplog,
    quality,
    settings_store,
    timed,
)
