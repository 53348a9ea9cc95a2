"""billing.ledger.EntryBatch: entries posted in memory and written at once (the demo's history
in bulk) keep the ledger's rules: the same checks and balances as post(), ids in posting order,
the log's chain covering every entry, ledger_daily adding them; and a commit with entries not
yet written is refused, so a balance never moves without its entries (both backends)."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from billing import ledger
from models.accounts import Account
from models.base import utcnow
from models.ledger import LedgerEntry
from models.rights import system_actor
from tests.billing import factories as f
from tests.billing.helpers import check_books


def _balance(db, number: str) -> int:
    with db.read() as s:
        return ledger.find_locked(s, number).balance_fen


def test_a_commit_with_unwritten_entries_is_refused(db, root):
    number = f.account(db, root).number
    actor = system_actor("TEST")
    with pytest.raises(RuntimeError, match="EntryBatch"):
        with db.write() as s:
            acc = ledger.find_locked(s, number)
            ledger.EntryBatch(s).post(acc, "purchase", 500, actor=actor, method="cash")
            assert acc.balance_fen == 500                  # moved in memory at once
    assert _balance(db, number) == 0
    with db.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) == 0
    check_books(db)


def test_written_entries_are_the_ones_post_would_write(db, root):
    one, two = f.account(db, root).number, f.account(db, root).number
    actor, at = system_actor("TEST"), utcnow() - timedelta(days=3)
    with db.write() as s:
        a, b = ledger.find_locked(s, one), ledger.find_locked(s, two)
        batch = ledger.EntryBatch(s)
        first = batch.post(a, "purchase", 1000, actor=actor, method="cash", receipt_no=None, at=at)
        batch.post(b, "purchase", 700, actor=actor, method="wechat", reference="42000123", at=at)
        batch.post(a, "consumption", -250, actor=actor, period_key="m1:0-1000", energy_milli=1000,
                   at=at + timedelta(hours=1))
        first.receipt_no = "R-1"                          # a pending entry's field may still be set
        with pytest.raises(TypeError):
            batch.post(a, "purchase", 1.5, actor=actor)   # type: ignore[arg-type] - never float money
        with pytest.raises(RuntimeError, match="subsidy"):
            batch.post(a, "purchase", 0, subsidy_fen=-1, actor=actor)
        assert first.id is None and (a.balance_fen, b.balance_fen) == (750, 700)
        written = batch.write()
        assert [e.id for e in written] == sorted(e.id for e in written)
        assert batch.write() == []                        # nothing left to write
        with pytest.raises(RuntimeError, match="not locked"):
            ledger.EntryBatch(s).post(Account(id=-1, number="x", balance_fen=0, subsidy_fen=0), "purchase", 1,
                                      actor=actor)
    check_books(db)                      # sums, balance_after chains, daily totals, the log's chain
    with db.read() as s:
        rows = s.execute(sa.select(LedgerEntry).order_by(LedgerEntry.id)).scalars().all()
        assert [(r.kind, r.amount_fen, r.balance_after_fen, r.method, r.receipt_no) for r in rows] == [
            ("purchase", 1000, 1000, "cash", "R-1"), ("purchase", 700, 700, "wechat", None),
            ("consumption", -250, 750, "", None)]
    assert (_balance(db, one), _balance(db, two)) == (750, 700)


def test_the_batch_lists_every_column_post_writes():
    names = {c.name for c in LedgerEntry.__table__.columns} - {"id"}
    assert set(ledger._ENTRY_FIELDS) == names


def test_tier_memory_skips_the_database_only_for_accounts_with_nothing_stored(db, root):
    """tier_state.Memory.note_empty (the demo's fresh accounts): an account with a consumption
    entry is still read from the database; one with nothing stored answers None unasked."""
    from datetime import datetime
    from fractions import Fraction

    from billing import tier_state
    from models import station_time

    fresh, charged = f.account(db, root).number, f.account(db, root).number
    actor, at = system_actor("TEST"), utcnow() - timedelta(days=3)
    with db.write() as s:
        acc = ledger.find_locked(s, charged)
        ledger.post(s, acc, "purchase", 1000, actor=actor, method="cash", at=at - timedelta(hours=1))
        ledger.post(s, acc, "consumption", -250, actor=actor, period_key="m1:0-1500", energy_milli=1500, at=at)
    wall = station_time.wall(at)
    cycle = datetime(wall.year, wall.month, 1)
    with db.write() as s:
        a, b = ledger.find_locked(s, fresh), ledger.find_locked(s, charged)
        memory = tier_state.Memory()
        memory.note_empty(s, [a.id, b.id])
        assert memory.empty == {a.id}
        assert memory.load(s, a, cycle, at) is None
        state = memory.load(s, b, cycle, at)
        assert state is not None and state.energy == Fraction(3, 2)
