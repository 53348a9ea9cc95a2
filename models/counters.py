"""Gapless counters (receipt numbers, log sequence) locked inside the caller's transaction.

A number is taken by incrementing the row first, which takes the row lock (SELECT ... FOR
UPDATE semantics on PostgreSQL and SQL Server; the whole database on SQLite, whose write
transactions start with BEGIN IMMEDIATE). If the transaction rolls back, so does the number:
numbers are never skipped and never reused.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base


class Counter(Base):
    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0)


def next_value(session: Session, name: str) -> int:
    """Increment counter `name` (creating it at 0) and return the new value."""
    table = Counter.__table__
    result = session.execute(sa.update(table).where(table.c.name == name)
                             .values(value=table.c.value + 1))
    if result.rowcount == 0:
        session.execute(sa.insert(table).values(name=name, value=1))
        return 1
    return int(session.execute(sa.select(table.c.value).where(table.c.name == name)).scalar_one())


def peek(session: Session, name: str) -> int:
    value = session.execute(sa.select(Counter.value).where(Counter.name == name)).scalar()
    return int(value or 0)
