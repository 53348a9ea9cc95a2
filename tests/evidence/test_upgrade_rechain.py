"""Migration 0005 on a station with history: the old unkeyed chain is checked, every row is
re-chained with the station key, and a baseline row covers the existing ledger and rights."""
from __future__ import annotations

import importlib
import json
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from models import migrate, oplog
from models.db import Database

m5 = importlib.import_module("models.migrations.versions.0005_keyed_oplog")


def _old_station(url: str, rows: int, break_at: int | None = None) -> Database:
    db = Database(url)
    migrate.upgrade(db, "0004")
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    prev = oplog.GENESIS
    with db.writer.begin() as c:
        for seq in range(1, rows + 1):
            at = t0 + timedelta(minutes=seq)
            details = json.dumps({"i": seq})
            h = m5._legacy(seq, at, "root", "S", "test", f"t{seq}", details, prev)
            if seq == break_at:
                details = json.dumps({"i": -1})          # edited in the old days
            c.execute(sa.text("INSERT INTO oplog (seq, at, operator, station, action, target, details, "
                              "prev_hash, hash) VALUES (:s, :at, 'root', 'S', 'test', :t, :d, :p, :h)"),
                      {"s": seq, "at": at.replace(tzinfo=None), "t": f"t{seq}", "d": details, "p": prev, "h": h})
            prev = h
        c.execute(sa.text("UPDATE oplog_head SET seq = :s, hash = :h WHERE id = 1"), {"s": rows, "h": prev})
        c.execute(sa.text("UPDATE counters SET value = :s WHERE name = 'oplog'"), {"s": rows})
    return db


def _baseline(db) -> dict:
    with db.read() as s:
        return json.loads(s.execute(sa.select(oplog.OpLogEntry.details)
                                    .where(oplog.OpLogEntry.action == "log.keyed")).scalar_one())


def test_old_history_is_rechained_with_the_key(db_url):
    db = _old_station(db_url, 30)
    try:
        migrate.upgrade(db)
        with db.read() as s:
            r = oplog.verify(s)
        assert r.ok and r.rows == 33          # + the baselines of 0005 (re-chain), 0012 and 0014 (rights)
        assert _baseline(db) == {"legacy_chain": "intact", "rows": 30, "ledger_entries": 0}
    finally:
        db.dispose()


def test_a_broken_old_chain_is_written_into_the_baseline(db_url):
    db = _old_station(db_url, 12, break_at=7)
    try:
        migrate.upgrade(db)
        assert _baseline(db)["legacy_chain"] == "broken at row 7"
        with db.read() as s:
            assert oplog.verify(s).ok           # the keyed chain starts from what was there
    finally:
        db.dispose()
