"""The demo's history generated in bulk (ui/demo_history.py _Bulk: charges and previews through
the billing rules over entries and tier cycles kept in memory, written with executemany) gives
the same database as the real billing calls one by one (the reference, bulk=False): the same
seed and the same moment, every table compared row by row. Only what the build's own clock or
randomness makes differ is left out: timestamps taken while building (after the history's
end), salted password hashes, the sales' random idempotency keys and, following from those, the
log's hashes (each chain is verified instead). Both satisfy the books' invariants
(tests/billing/helpers.check_books: balances = entry sums, balance_after chains, receipt numbers
1..N, ledger_daily = entries grouped, the log's keyed chain covering every entry)."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from models.base import Base
from models.db import Database
from tests.billing.helpers import check_books
from ui import demo

SKIP_COLUMNS = {"password_hash", "idempotency_key", "hash", "prev_hash", "covers"}
SKIP_TABLES = {"oplog_head", "alembic_version"}


def _norm(value: Any, since: datetime) -> Any:
    """A value with the build's own timestamps (at or after `since`) replaced by "BUILD"."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return "BUILD" if aware >= since else aware
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return _norm(json.loads(value), since)
        except ValueError:
            return value
    if isinstance(value, str) and len(value) >= 19 and value[4:5] == "-" and value[10:11] == "T":
        try:
            return _norm(datetime.fromisoformat(value), since)
        except ValueError:
            return value
    if isinstance(value, dict):
        return {k: _norm(v, since) for k, v in value.items()}
    if isinstance(value, list):
        return [_norm(v, since) for v in value]
    return value


def _dump(db: Database, since: datetime) -> dict[str, list[tuple]]:
    out = {}
    with db.read() as s:
        for t in Base.metadata.sorted_tables:
            if t.name in SKIP_TABLES:
                continue
            cols = [c for c in t.columns if c.name not in SKIP_COLUMNS]
            order = list(t.primary_key.columns) or cols
            rows = s.execute(sa.select(*cols).order_by(*order)).all()
            out[t.name] = [tuple(_norm(v, since) for v in r) for r in rows]
    return out


def _meters(meters) -> list[tuple]:
    return [(m.number, m.milli, m.balance_fen, m.tripped_at, m.last_read, m.sales, m.account_id, m.meter_id)
            for m in meters]


@pytest.fixture
def built(tmp_path, monkeypatch):
    monkeypatch.setenv("METERSTATION_DEMO", "1")
    now = datetime.now(UTC).replace(microsecond=0)
    since = now - timedelta(minutes=1)             # the history ends 5 minutes before `now`
    out = {}
    for how in ("bulk", "replay"):
        db = Database.open(f"sqlite:///{tmp_path / how}.db", upgrade=True)
        try:
            _admin, meters, counts = demo.build(db, "TEST", 20240901, now=now, bulk=how == "bulk")
            check_books(db)
            out[how] = (_dump(db, since), _meters(meters), counts)
        finally:
            db.dispose()
    return out


def test_bulk_history_equals_the_real_calls(built):
    bulk, replay = built["bulk"], built["replay"]
    assert bulk[2] == replay[2]
    assert bulk[2]["charges"] > 3000 and bulk[2]["sales"] > 400 and bulk[2]["bills"] > 0
    assert bulk[1] == replay[1]
    tables_b, tables_r = bulk[0], replay[0]
    assert tables_b.keys() == tables_r.keys()
    for name in tables_r:
        assert len(tables_b[name]) == len(tables_r[name]), name
        for row_b, row_r in zip(tables_b[name], tables_r[name], strict=True):
            assert row_b == row_r, (name, row_b, row_r)
    # what was compared is the history, not empty tables
    for name in ("ledger_entries", "receipts", "outbox", "tier_cycles", "ledger_daily", "readings", "alarms"):
        assert len(tables_r[name]) > 0, name
    assert len(tables_r["tier_cycles"]) >= 48 * 3       # the tiered flats' monthly cycles


@pytest.mark.parametrize("bulk", [True, False], ids=["bulk", "replay"])
def test_a_demo_started_just_after_midnight_on_the_first_bills_the_month_once(tmp_path, monkeypatch, bulk):
    """Started between 00:50 and 01:00 station time on the 1st, the history's nightly 00:30
    reading and its last one (five minutes before now) both fall in the billing hour: the month
    was billed twice and the build died on the ledger's unique period key (seen on 2026-11-30
    at 16:52 UTC, 00:52 on 1 December in Shanghai)."""
    from datetime import date, time as dtime

    from models import station_time

    monkeypatch.setenv("METERSTATION_DEMO", "1")
    db = Database.open(f"sqlite:///{tmp_path / 'first.db'}", upgrade=True)
    try:
        now = station_time.at(date(2026, 12, 1), dtime(0, 55))
        _admin, _meters, counts = demo.build(db, "TEST", 20240901, now=now, bulk=bulk)
        check_books(db)
        from models.ledger import LedgerEntry

        with db.read() as s:
            keys = s.execute(sa.select(LedgerEntry.period_key).where(LedgerEntry.kind == "bill")).scalars().all()
        assert counts["bills"] == len(keys) > 0
        assert any(k.startswith("2026-11/") for k in keys)          # the month just ended is billed once
        assert len(keys) == len(set(keys))
    finally:
        db.dispose()
