"""Daily totals of the ledger (ledger_daily): one row per station-local day, operator, payment
method and entry kind, holding how many entries and their signed amount in fen.

Kept in the same transaction as the entries (models/oplog.py calls add_entries() at commit,
with the entries it covers), so the totals can never disagree with committed entries: a rolled
back sale leaves no trace here either. The rows are upserted in key order just before the log's
counter and head (one lock order: accounts, counters, daily rows, log; models/db.py) with
INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n — concurrent stations adding to the same
row wait on its row lock, none is lost (PostgreSQL docs, "INSERT ... ON CONFLICT", atomic
update under READ COMMITTED). SQL Server has no ON CONFLICT: there an UPDATE, then an INSERT
when no row was there.

The grain is what the sales reports group by (billing/reports/takings.py: day, operator, method, with
sales/refunds/reversals by kind), so a year's report reads at most 365 × operators × methods ×
kinds rows whatever the number of sales. The day is the entry's local day at the station's
current UTC offset — the same rule the reports apply to entries (China keeps one offset).

Only entries written through billing.ledger.post (the only writer of entries) are counted;
migration 0010 back-filled the entries that existed before.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from models import station_time
from models.base import Base, Text_, rowcount, table


class LedgerDaily(Base):
    __tablename__ = "ledger_daily"
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    operator: Mapped[str] = mapped_column(Text_(40), primary_key=True)
    method: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    n: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)


def utc_offset_minutes() -> int:
    """The station's current UTC offset in minutes (the reports' local-day rule)."""
    return station_time.utc_offset_minutes()


def local_day(at: datetime, minutes: int | None = None) -> date:
    """The local day of `at` (aware, or naive UTC as stored) at the offset `minutes`."""
    minutes = utc_offset_minutes() if minutes is None else minutes
    utc = at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo is not None else at
    return (utc + timedelta(minutes=minutes)).date()


def totals(entries: Iterable[Any], minutes: int | None = None) -> list[dict[str, Any]]:
    """The (day, operator, method, kind) → n, amount_fen rows of `entries`, in key order."""
    minutes = utc_offset_minutes() if minutes is None else minutes
    acc: dict[tuple[date, str, str, str], list[int]] = {}
    for e in entries:
        key = (local_day(e.at, minutes), e.operator or "", e.method or "", e.kind)
        a = acc.setdefault(key, [0, 0])
        a[0] += 1
        a[1] += int(e.amount_fen)
    return [{"day": k[0], "operator": k[1], "method": k[2], "kind": k[3], "n": v[0], "amount_fen": v[1]}
            for k, v in sorted(acc.items())]


_UPSERTS: dict[str, sa.Insert] = {}


def _upsert(dialect: str) -> sa.Insert:
    """INSERT ... ON CONFLICT (day, operator, method, kind) DO UPDATE SET n = n + excluded.n, ...
    (PostgreSQL and SQLite >= 3.24 spell it the same), built once per dialect."""
    if dialect not in _UPSERTS:
        from sqlalchemy.dialects import postgresql, sqlite

        t = table(LedgerDaily)
        stmt = postgresql.insert(t) if dialect == "postgresql" else sqlite.insert(t)
        _UPSERTS[dialect] = stmt.on_conflict_do_update(
            index_elements=[t.c.day, t.c.operator, t.c.method, t.c.kind],
            set_={"n": t.c.n + stmt.excluded.n, "amount_fen": t.c.amount_fen + stmt.excluded.amount_fen})
    return _UPSERTS[dialect]


_SETTINGS = sa.table("settings", sa.column("key", sa.String), sa.column("value", sa.Text))
_ENTRIES = sa.table("ledger_entries", sa.column("id", sa.BigInteger))


def confirm_zone(session: Session, entries: list[Any]) -> None:
    """Check this process's zone against the database's, read in this transaction, until the
    ledger is known to have had entries before it (from then on the zone cannot change:
    models.settings refuses). Another station may have set the zone while the ledger was empty
    after this one read it; the change locks the ledger (PostgreSQL), so a transaction that has
    inserted entries reads the zone that holds for them. Costs two key look-ups on a process's
    first ledger write of a database with history, then nothing."""
    if station_time.settled() or not entries:
        return
    from models import zone_store

    raw = session.execute(sa.select(_SETTINGS.c.value).where(_SETTINGS.c.key == zone_store.KEY)).scalar()
    first = min(int(e.id) for e in entries)
    earlier = session.execute(sa.select(_ENTRIES.c.id).where(_ENTRIES.c.id < first).limit(1)).first()
    station_time.confirm(zone_store.parse(raw), settled=earlier is not None)


def add_entries(session: Session, entries: list[Any]) -> None:
    """Add `entries` (just inserted in this transaction) to their daily rows."""
    confirm_zone(session, entries)
    rows = totals(entries)
    if not rows:
        return
    t = table(LedgerDaily)
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        session.connection().execute(_upsert(dialect), rows)
        return
    for row in rows:                       # SQL Server: UPDATE (row lock), else INSERT
        done = session.execute(
            sa.update(t).where(t.c.day == row["day"], t.c.operator == row["operator"],
                               t.c.method == row["method"], t.c.kind == row["kind"])
            .values(n=t.c.n + row["n"], amount_fen=t.c.amount_fen + row["amount_fen"]))
        if rowcount(done) == 0:
            session.execute(sa.insert(t).values(**row))
