"""Sales reports: takings by day, operator and payment method over a date range, and summaries
by day, month, year, operator or method. Shared helpers of every report_* module live here.

Days are local days of this station (entries are stored in UTC; the offset is applied with the
station's current UTC offset — China has no daylight saving). The sales report reads the daily
totals (models/ledger_daily.py: day, operator, method, kind), kept in the same transaction as
every entry, so a year's report reads a few thousand rows whether it holds 1M or 10M sales
(tests/benchmarks/bench_sales.py); sales_from_entries() groups the entries themselves. Sales are purchases and
bill payments; refunds and reversals are reported in their own columns so
net = sales - refunds + reversals (reversals are signed).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute

from billing.money import from_fen
from models import station_time
from models.db import Database
from models.errors import InvalidInput, PermissionDenied
from models.ledger import LedgerEntry
from models.ledger_daily import LedgerDaily, utc_offset_minutes
from models.rights import Actor
from resources.i18n import _

SALE_KINDS = ("purchase", "bill_payment")
MONEY_KINDS = SALE_KINDS + ("refund", "reversal")
SALES_GROUPS = ("day", "month", "year", "operator", "method")


@dataclass(frozen=True)
class SalesRow:
    day: date
    operator: str
    method: str
    count: int
    sales: Decimal
    refunds: Decimal          # positive: money paid back
    reversals: Decimal        # signed, as posted
    net: Decimal


@dataclass(frozen=True)
class SalesSummaryRow:
    key: str                  # "2026-11-21", "2026-11", "2026", an operator or a method
    count: int
    sales: Decimal
    refunds: Decimal
    reversals: Decimal
    net: Decimal


def check_range(start: date, end: date, actor: Actor) -> tuple[datetime, datetime]:
    """Refuse a reversed range or a missing right; the UTC bounds [lo, hi) of local days start..end.
    There is no report without someone running it: a call without an operator (None) is refused,
    the station itself passes models.rights.system_actor(station)."""
    if not isinstance(actor, Actor):
        raise PermissionDenied(_("This needs a logged-in operator"), right="report_view")
    if end < start:
        raise InvalidInput(_("The end date {end} is before the start date {start}").format(end=end, start=start))
    actor.require("report_view")
    return utc_bounds(start, end)


def utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return station_time.day_start(start), station_time.day_end(end)


def _utc_offset_minutes() -> int:
    return utc_offset_minutes()


_When = sa.ColumnElement[datetime] | InstrumentedAttribute[datetime]     # a UTC timestamp column


def _kind_sum(kind: InstrumentedAttribute[str], amount: InstrumentedAttribute[int],
              ) -> Callable[[tuple[str, ...]], sa.ColumnElement[Any]]:
    """SUM(amount) over the rows whose kind is one of `kinds` (0 for the others)."""
    return lambda kinds: sa.func.sum(sa.case((kind.in_(kinds), amount), else_=0))


def local_day(dialect: str, column: _When, minutes: int | None = None) -> sa.ColumnElement[Any]:
    """SQL expression: the station-local calendar day of a UTC timestamp column."""
    minutes = _utc_offset_minutes() if minutes is None else minutes
    if dialect == "sqlite":
        return sa.func.date(column, f"{minutes:+d} minutes")
    if dialect == "mssql":
        return sa.cast(sa.func.dateadd(sa.text("minute"), minutes, column), sa.Date)
    return sa.cast(column + sa.text(f"interval '{minutes} minutes'"), sa.Date)


_local_day = local_day   # the old private name


def local_month(dialect: str, column: _When, minutes: int | None = None) -> sa.ColumnElement[Any]:
    """SQL expression: the station-local month "YYYY-MM" of a UTC timestamp column."""
    minutes = _utc_offset_minutes() if minutes is None else minutes
    if dialect == "sqlite":
        return sa.func.strftime("%Y-%m", column, f"{minutes:+d} minutes")
    if dialect == "mssql":
        return sa.func.format(sa.func.dateadd(sa.text("minute"), minutes, column), "yyyy-MM")
    return sa.func.to_char(column + sa.text(f"interval '{minutes} minutes'"), "YYYY-MM")


def as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def sales(db: Database, start: date, end: date, *, actor: Actor) -> list[SalesRow]:
    """Rows for local days start..end inclusive, ordered by day, operator, method — read from the
    daily totals (models/ledger_daily.py, kept with every entry), so the cost follows the number
    of days, operators and methods, not the number of sales."""
    check_range(start, end, actor)
    d = LedgerDaily
    kind_sum = _kind_sum(d.kind, d.amount_fen)
    q = (sa.select(d.day, d.operator, d.method, sa.func.sum(d.n), kind_sum(SALE_KINDS),
                   kind_sum(("refund",)), kind_sum(("reversal",)), sa.func.sum(d.amount_fen))
         .where(d.kind.in_(MONEY_KINDS), d.day >= start, d.day <= end)
         .group_by(d.day, d.operator, d.method).order_by(d.day, d.operator, d.method))
    return _rows(db, q)


def sales_from_entries(db: Database, start: date, end: date, *, actor: Actor) -> list[SalesRow]:
    """The same rows as sales(), grouped from the entries themselves (the reference the daily
    totals are checked against: tests/billing_reports, tests/benchmarks/bench_sales.py)."""
    lo, hi = check_range(start, end, actor)
    e = LedgerEntry
    day = local_day(db.dialect, e.at).label("day")
    kind_sum = _kind_sum(e.kind, e.amount_fen)
    q = (sa.select(day, e.operator, e.method, sa.func.count(), kind_sum(SALE_KINDS),
                   kind_sum(("refund",)), kind_sum(("reversal",)), sa.func.sum(e.amount_fen))
         .where(e.kind.in_(MONEY_KINDS), e.at >= lo, e.at < hi)
         .group_by(day, e.operator, e.method).order_by(day, e.operator, e.method))
    return _rows(db, q)


def _rows(db: Database, q: sa.Select[*tuple[Any, ...]]) -> list[SalesRow]:
    out = []
    with db.read() as s:
        for d, op, method, n, sold, refunded, reversed_, net in s.execute(q):
            out.append(SalesRow(as_date(d), op, method, int(n), from_fen(int(sold)), from_fen(-int(refunded)),
                                from_fen(int(reversed_)), from_fen(int(net))))
    return out


def sales_summary(db: Database, start: date, end: date, group: str = "day", *,
                  actor: Actor) -> list[SalesSummaryRow]:
    """Sales of local days start..end summed by day, month, year, operator or method.

    Grouped in SQL over the daily totals by the group's own key (a year by month is 12 result
    rows, read from at most 366 days × operators × methods × kinds), then keyed here so every
    backend gives the same keys ("2026-11", "2026"; a method left empty is cash)."""
    if group not in SALES_GROUPS:
        raise InvalidInput(_("Unknown grouping {group}; choose one of {choices}").format(
            group=group, choices=", ".join(SALES_GROUPS)))
    check_range(start, end, actor)
    d = LedgerDaily
    cols = {"day": (d.day,), "month": (sa.extract("year", d.day), sa.extract("month", d.day)),
            "year": (sa.extract("year", d.day),), "operator": (d.operator,), "method": (d.method,)}[group]
    key_of: Callable[[Sequence[Any]], str] = {
        "day": lambda k: as_date(k[0]).isoformat(), "month": lambda k: f"{int(k[0]):04d}-{int(k[1]):02d}",
        "year": lambda k: f"{int(k[0]):04d}", "operator": lambda k: k[0],
        "method": lambda k: k[0] or "cash"}[group]
    kind_sum = _kind_sum(d.kind, d.amount_fen)
    q = (sa.select(*cols, sa.func.sum(d.n), kind_sum(SALE_KINDS), kind_sum(("refund",)),
                   kind_sum(("reversal",)), sa.func.sum(d.amount_fen))
         .where(d.kind.in_(MONEY_KINDS), d.day >= start, d.day <= end).group_by(*cols))
    acc: dict[str, list[int]] = {}
    with db.read() as s:
        for row in s.execute(q):
            a = acc.setdefault(key_of(row[:len(cols)]), [0, 0, 0, 0, 0])
            for i, v in enumerate(row[len(cols):]):
                a[i] += int(v or 0)   # type: ignore[call-overload]  # a SUM: int, Decimal or None
    return [SalesSummaryRow(k, n, from_fen(sold), from_fen(-refunded), from_fen(reversed_), from_fen(net))
            for k, (n, sold, refunded, reversed_, net) in sorted(acc.items())]
