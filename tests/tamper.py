"""What an attacker with write access to the database does first: drop the triggers that refuse
UPDATE/DELETE on the log and the ledger (tests of tamper evidence start from there)."""
from __future__ import annotations

import sqlalchemy as sa

SQLITE_TRIGGERS = ("oplog_no_update", "oplog_no_delete", "ledger_entries_no_update", "ledger_entries_no_delete")


def drop_guards_sqlite(con) -> None:
    """con: a sqlite3 connection."""
    for name in SQLITE_TRIGGERS:
        con.execute(f"DROP TRIGGER IF EXISTS {name}")


def drop_guards(db) -> None:
    """db: a models.db.Database (SQLite or PostgreSQL)."""
    with db.writer.begin() as c:
        if db.dialect == "sqlite":
            for name in SQLITE_TRIGGERS:
                c.execute(sa.text(f"DROP TRIGGER IF EXISTS {name}"))
        else:
            c.execute(sa.text("DROP TRIGGER IF EXISTS oplog_immutable ON oplog"))
            c.execute(sa.text("DROP TRIGGER IF EXISTS ledger_entries_immutable ON ledger_entries"))


def tamper(db, *statements: str, **params) -> None:
    """Run raw SQL as an attacker would (triggers dropped first)."""
    drop_guards(db)
    with db.writer.begin() as c:
        for sql in statements:
            c.execute(sa.text(sql), params)
