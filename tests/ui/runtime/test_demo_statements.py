"""The demo's history (ui/demo_history.py, generated in bulk) costs a bounded number of SQL
statements, counted as the driver receives them (an executemany is one):

* its ledger entries go in one INSERT on SQLite (billing.ledger.EntryBatch.write: the ids given
  in one executemany; an INSERT ... RETURNING in the parameters' order ran one per row there:
  4,355 statements);
* its tier cycles are not read from the database one cycle at a time (billing.tier_state.Memory
  .note_empty: the fresh accounts have nothing stored; before, two statements per cycle, ≈ 1,200);
* its balance alarms, raised at the end on a database that has none, are not cleared first
  (billing.alarm_log.sync_account none_raised=True; before, 398 UPDATEs that changed nothing).

That the rows are the same as the real billing calls write is tests/ui/runtime/test_demo_bulk.py."""
from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime

import sqlalchemy as sa

from models.db import Database
from ui import demo

# the whole history (open, run, write, finish) is ≈ 1,030 statements now, ≈ 6,990 before
HISTORY_BUDGET = 1_300


def test_history_statements(tmp_path, monkeypatch):
    monkeypatch.setenv("METERSTATION_DEMO", "1")
    db = Database.open(f"sqlite:///{tmp_path / 'demo.db'}", upgrade=True)
    seen: Counter[str] = Counter()
    inside = [False]

    def count(_conn, _cursor, statement, _params, _context, _many) -> None:
        if inside[0]:
            seen[re.sub(r"\s+", " ", statement)[:60]] += 1

    real_replay = demo.replay

    def replay(*args, **kwargs):
        inside[0] = True
        try:
            return real_replay(*args, **kwargs)
        finally:
            inside[0] = False

    monkeypatch.setattr(demo, "replay", replay)
    sa.event.listen(db.writer, "before_cursor_execute", count)
    try:
        demo.build(db, "TEST", 20240901, now=datetime.now(UTC).replace(microsecond=0))
    finally:
        sa.event.remove(db.writer, "before_cursor_execute", count)
        db.dispose()
    total = sum(seen.values())
    worst = ", ".join(f"{n} x {s}" for s, n in seen.most_common(5))
    assert sum(n for s, n in seen.items() if s.startswith("INSERT INTO ledger_entries")) == 1, worst
    tier_reads = sum(n for s, n in seen.items() if s.startswith("SELECT") and "tier_cycles" in s)
    entry_sums = sum(n for s, n in seen.items() if "sum(ledger_entries.energy_milli)" in s)
    assert tier_reads <= 2 and entry_sums == 0, worst       # Memory.note_empty and Memory.write: one each
    assert not any(s.startswith("UPDATE alarms") for s in seen), worst
    assert total <= HISTORY_BUDGET, f"{total} statements: {worst}"
