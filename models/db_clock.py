"""The database's clock: one time for every station sharing a database (issue 11, leases).

Outbox claims carry a lease (comms/polling/outbox_source.py). If each station wrote and judged leases by
its own PC clock, a station whose clock runs minutes ahead would see a live claim as expired and
take it (a command sent twice), and one whose clock runs behind would write leases that are
already over. So leases are written and compared in the database's time, read in the same
transaction:

    PostgreSQL   now()                      (the server's clock; the transaction's start)
    SQL Server   SYSUTCDATETIME()
    SQLite       strftime('%Y-%m-%d %H:%M:%f', 'now')   (SQLite's own call to the OS clock; a
                 SQLite file is used by one PC, so there is one clock anyway)

    now = db_now(session)          # aware UTC datetime
"""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.base import utcnow

_SQLITE_NOW = sa.text("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')")
_PG_NOW = sa.text("SELECT now()")
_MSSQL_NOW = sa.text("SELECT SYSUTCDATETIME()")


def db_now(session: Session) -> datetime:
    """The database's current time (aware, UTC), read in the session's transaction."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        text: str = session.execute(_SQLITE_NOW).scalar_one()
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    if dialect == "postgresql":
        value: datetime = session.execute(_PG_NOW).scalar_one()   # timestamptz
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if dialect == "mssql":
        naive: datetime = session.execute(_MSSQL_NOW).scalar_one()   # datetime2, UTC
        return naive.replace(tzinfo=UTC)
    return utcnow()
