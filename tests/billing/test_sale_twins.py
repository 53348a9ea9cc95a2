"""Two requests with one idempotency key for one account at the same moment (a retry sent while
the first is still waiting for the account's lock): one sale, one receipt, both callers answered
with it. On PostgreSQL the twin that gets the lock second reads the key in the snapshot of its
locking statement (billing/sale_reads.py), which began before the first committed: it learns of
the first from the unique key of its entry and answers with the first's result (issue 12)."""
from __future__ import annotations

import threading
import time
from decimal import Decimal as D

import sqlalchemy as sa

from billing.sales import sell
from models import oplog
from models.accounts import Account
from models.counters import peek
from models.ledger import LedgerEntry
from models.oplog import OpLogEntry
from tests.billing import factories as f
from tests.billing.helpers import check_books


def test_twins_waiting_for_the_lock_sell_once(db, root):
    acc = f.account(db, root)
    sell(db, root, acc.number, D("1.00"))
    out: list[object] = []
    started = threading.Barrier(3)

    def go() -> None:
        started.wait()
        try:
            out.append(sell(db, root, acc.number, D("5.00"), method="cash", idempotency_key="TWIN-1"))
        except Exception as e:  # noqa: BLE001 - reported by the assertion below
            out.append(e)

    twins = [threading.Thread(target=go, name=f"twin{i}") for i in range(2)]
    with db.write() as s:                    # both twins queue behind this lock (SQLite: the writer's)
        s.execute(sa.select(Account.id).where(Account.number == acc.number).with_for_update()).one()
        for t in twins:
            t.start()
        started.wait()
        time.sleep(0.5)
    for t in twins:
        t.join(60)
    assert len(out) == 2 and not any(isinstance(r, Exception) for r in out), out
    first, second = sorted(out, key=lambda r: r.replayed)     # type: ignore[attr-defined]
    assert not first.replayed and second.replayed
    assert (first.receipt, first.entry_id, first.balance) == (second.receipt, second.entry_id, second.balance)
    with db.read() as s:
        keyed = s.execute(sa.select(LedgerEntry).where(LedgerEntry.idempotency_key == "TWIN-1")).scalars().all()
        assert [e.receipt_no for e in keyed] == [first.receipt]
        assert peek(s, "receipt") == int(first.receipt)          # the loser's number went back: no gap
        replays = s.execute(sa.select(OpLogEntry.details).where(OpLogEntry.action == "sale.replay")).scalars().all()
        assert len(replays) == 1 and first.receipt in replays[0]   # the replay is logged, whichever way
        assert oplog.verify(s).ok
    check_books(db)
