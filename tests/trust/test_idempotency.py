"""Problem 4: an idempotency key is bound to operation, account, amount and method. A replay
answers the original only when all match; anything else is a KeyConflict — on SQLite and
PostgreSQL, also when two callers race with one key."""
from __future__ import annotations

import json
import threading
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from billing.idempotency import KeyConflict
from billing.refunds import refund
from billing.sales import sell
from models.errors import InvalidInput
from models.ledger import LedgerEntry
from tests.billing import factories as f
from tests.billing.helpers import check_books
from tests.trust.conftest import one_error


def _keyed(db, key):
    with db.read() as s:
        return s.execute(sa.select(LedgerEntry).where(LedgerEntry.idempotency_key == key)).scalars().all()


def test_replay_only_when_everything_matches(db, root, cashier):
    a, b = f.account(db, root), f.account(db, root)
    first = sell(db, cashier, a.number, D("10.00"), method="cash", idempotency_key="K-1")
    again = sell(db, cashier, a.number, "10", method="cash", idempotency_key="K-1")
    assert again.replayed and again.receipt == first.receipt and again.balance == D("10.00")
    for kw in ({"account_ref": a.number, "amount": D("99.00"), "method": "cash"},     # another amount
               {"account_ref": b.number, "amount": D("10.00"), "method": "cash"},     # another account
               {"account_ref": a.number, "amount": D("10.00"), "method": "wechat"}):  # another method
        with pytest.raises(KeyConflict, match="already used for a different operation"):
            sell(db, cashier, **kw, idempotency_key="K-1")
    with pytest.raises(KeyConflict):                                       # a refund with a sale's key
        refund(db, root, a.number, D("10.00"), method="cash", idempotency_key="K-1")
    assert len(_keyed(db, "K-1")) == 1
    r = refund(db, root, a.number, D("4.00"), idempotency_key="R-1")
    assert refund(db, root, a.number, D("4.00"), idempotency_key="R-1").replayed
    with pytest.raises(KeyConflict):                                       # a sale with a refund's key
        sell(db, cashier, a.number, D("4.00"), method="cash", idempotency_key="R-1")
    with pytest.raises(KeyConflict):
        refund(db, root, a.number, D("5.00"), idempotency_key="R-1")
    assert r.balance == D("6.00")
    with db.read() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(LedgerEntry)).scalar_one() == 2
    check_books(db)


def test_energy_sale_key_binds_the_energy(db, root, cashier):
    a = f.account(db, root)
    first = sell(db, cashier, a.number, energy=D("20"), method="cash", idempotency_key="E-1")
    assert sell(db, cashier, a.number, energy="20.00", method="cash", idempotency_key="E-1").receipt == first.receipt
    with pytest.raises(KeyConflict):
        sell(db, cashier, a.number, energy=D("30"), method="cash", idempotency_key="E-1")


@pytest.mark.parametrize("key", ["", "   ", "a\tb", "x" * 81])
def test_empty_or_bad_key_is_refused_not_replaced(db, root, cashier, key):
    a = f.account(db, root)
    with pytest.raises(InvalidInput, match="idempotency key"):
        sell(db, cashier, a.number, D("5"), method="cash", idempotency_key=key)
    with pytest.raises(InvalidInput, match="idempotency key"):
        refund(db, root, a.number, D("5"), idempotency_key=key)
    with db.read() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(LedgerEntry)).scalar_one() == 0


ROUNDS = 15


def test_two_callers_one_key_different_accounts(db, root, cashier):
    """The race of the audit: one key, accounts A (7.00) and B (8.00) at the same moment.
    Exactly one sells; the other gets a KeyConflict, never the other account's receipt."""
    a, b = f.account(db, root), f.account(db, root)
    for n in range(ROUNDS):
        key = f"RACE-{n}"
        barrier = threading.Barrier(2)
        out: dict[str, object] = {}

        def go(account, amount, barrier=barrier, out=out, key=key):   # this round's, bound now
            barrier.wait()
            try:
                out[account] = sell(db, cashier, account, D(amount), method="cash", idempotency_key=key)
            except KeyConflict as e:
                out[account] = e

        ts = [threading.Thread(target=go, args=(a.number, "7.00")),
              threading.Thread(target=go, args=(b.number, "8.00"))]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
        results = [out[a.number], out[b.number]]
        won = [r for r in results if not isinstance(r, KeyConflict)]
        assert len(won) == 1 and sum(isinstance(r, KeyConflict) for r in results) == 1, results
        winner = won[0]
        entry = _keyed(db, key)[0]
        assert winner.receipt == entry.receipt_no and not winner.replayed
        assert (winner.account, abs(winner.amount)) == ((a.number, D("7.00")) if entry.amount_fen == 700
                                                         else (b.number, D("8.00")))
    check_books(db)


def test_cli_conflict_is_one_line(cli, db, root):
    a = f.account(db, root)
    r = cli("sell", a.number, "10", "--method", "cash", "--idempotency-key", "K1", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(cli("sell", a.number, "10", "--method", "cash", "--idempotency-key", "K1",
                          "--json").stdout)["replayed"]
    assert "already used for a different operation" in one_error(
        cli("sell", a.number, "99", "--method", "cash", "--idempotency-key", "K1"))
    assert "already used for a different operation" in one_error(
        cli("refund", a.number, "10", "--idempotency-key", "K1", who=("root", "secret-1")))
    assert "idempotency key" in one_error(cli("sell", a.number, "10", "--method", "cash", "--idempotency-key", ""))
    with db.read() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(LedgerEntry)).scalar_one() == 1
