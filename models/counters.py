"""Gapless counters (receipt numbers, log sequence) locked inside the caller's transaction.

A number is taken by incrementing the row first, which takes the row lock (SELECT ... FOR
UPDATE semantics on PostgreSQL and SQL Server; the whole database on SQLite, whose write
transactions start with BEGIN IMMEDIATE). If the transaction rolls back, so does the number:
numbers are never skipped and never reused.

The increment and the read are one statement (UPDATE ... RETURNING; SQLite >= 3.35, PostgreSQL,
SQL Server's OUTPUT) — one round trip per number, or per batch of `n` numbers.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, table


class Counter(Base):
    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0)


_T = table(Counter)
_BUMP = (sa.update(_T).where(_T.c.name == sa.bindparam("counter"))
         .values(value=_T.c.value + sa.bindparam("n", type_=sa.BigInteger)).returning(_T.c.value))


def next_value(session: Session, name: str, n: int = 1) -> int:
    """Increment counter `name` by `n` (creating it at 0) and return the new value: the numbers
    taken are value-n+1 .. value."""
    conn = session.connection()            # a Core statement on the table: no ORM round
    value = conn.execute(_BUMP, {"counter": name, "n": n}).scalar()
    if value is None:
        conn.execute(sa.insert(_T).values(name=name, value=n))
        return n
    return int(value)


def peek(session: Session, name: str) -> int:
    value = session.execute(sa.select(Counter.value).where(Counter.name == name)).scalar()
    return int(value or 0)
