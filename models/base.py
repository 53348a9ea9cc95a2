"""Declarative base, naming convention and column types shared by every table.

Text that may hold Chinese is `Text_(n)`/`LongText`, which become NVARCHAR on SQL Server.
Times are stored as naive UTC (`UTCDateTime`) and come back timezone-aware in UTC on every
backend (SQLite would otherwise return naive values while PostgreSQL returns aware ones).
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def Text_(length: int) -> sa.types.TypeEngine[str]:
    """A bounded text column that holds Chinese on every backend (NVARCHAR on SQL Server)."""
    # sa.NVARCHAR is the type sqlalchemy.dialects.mssql exports; that package (≈ 0.1 s of imports
    # with its drivers) is loaded only where SQL Server is used
    return sa.Unicode(length).with_variant(sa.NVARCHAR(length), "mssql")


def table(model: type[DeclarativeBase]) -> sa.Table:
    """The Table behind a mapped class (`__table__`, which SQLAlchemy types as any FromClause)."""
    t = model.__table__
    assert isinstance(t, sa.Table)
    return t



def rowcount(result: sa.Result[Any]) -> int:
    """Rows an UPDATE or DELETE matched. Session.execute returns a CursorResult for DML but is
    typed to return any Result."""
    return cast("sa.CursorResult[Any]", result).rowcount or 0


LongText = sa.UnicodeText().with_variant(sa.NVARCHAR(None), "mssql")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC."""

    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "mssql":      # DATETIME keeps only 1/300 s; the log hashes microseconds
            from sqlalchemy.dialects import mssql

            return dialect.type_descriptor(mssql.DATETIME2(6))  # type: ignore[no-untyped-call]  # untyped in sqlalchemy
        return dialect.type_descriptor(sa.DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        aware: datetime = value.replace(tzinfo=UTC)
        return aware


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)
