"""Selling, refunds and reversals as a cashier does them, on SQLite and PostgreSQL."""
from __future__ import annotations

import json
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from billing import receipts
from billing.refunds import refund, reverse
from billing.sales import sell
from models.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from models.ledger import OutboxItem
from models.oplog import OpLogEntry
from tests.billing import factories as f
from tests.billing.helpers import check_books, entries


def test_sale_credits_balance_with_receipt_and_log(db, root):
    acc = f.account(db, root)
    r = sell(db, root, acc.number, D("100.00"), method="wechat", reference="WX1")
    assert (r.receipt, r.balance, r.kind, r.energy) == ("00000001", D("100.00"), "purchase", D("200.00"))
    r2 = sell(db, root, acc.number, "50.5", method="cash")
    assert (r2.receipt, r2.balance) == ("00000002", D("150.50"))
    [e1, e2] = entries(db, acc.number)
    assert (e1.method, e1.reference, e1.amount_fen, e2.balance_after_fen) == ("wechat", "WX1", 10000, 15050)
    with db.read() as s:
        assert s.execute(sa.select(sa.func.count()).where(OpLogEntry.action == "sale")).scalar() == 2
    check_books(db)


def test_sale_by_energy_uses_the_tariff(db, root):
    acc = f.account(db, root)
    r = sell(db, root, acc.number, energy=D("30"))
    assert (r.amount, r.energy) == (D("15.00"), D("30.00"))


def test_account_found_by_customer_name_and_room(db, root):
    rooms = f.place(db)
    acc = f.account(db, root, name="王五", room_id=rooms[0])
    assert sell(db, root, "王五", D("1")).account == acc.number
    assert sell(db, root, acc.room, D("1")).account == acc.number


def test_idempotent_retry_sells_nothing(db, root):
    acc = f.account(db, root)
    a = sell(db, root, acc.number, D("20"), idempotency_key="k-1")
    b = sell(db, root, acc.number, D("20"), idempotency_key="k-1")
    assert b.replayed and not a.replayed
    assert (b.receipt, b.balance, b.entry_id) == (a.receipt, a.balance, a.entry_id)
    assert len(entries(db, acc.number)) == 1
    with pytest.raises(Conflict):
        sell(db, root, f.account(db, root).number, D("20"), idempotency_key="k-1")
    check_books(db)


@pytest.mark.parametrize("amount", ["-5", "0", "1.005", "abc", "100000.01", "1e3"])
def test_bad_amounts_change_nothing(db, root, amount):
    acc = f.account(db, root)
    with pytest.raises(InvalidInput):
        sell(db, root, acc.number, amount)
    assert entries(db, acc.number) == []
    check_books(db)


def test_refusals(db, root, cashier):
    acc = f.account(db, root)
    with pytest.raises(NotFound):
        sell(db, root, "nobody", D("1"))
    with pytest.raises(InvalidInput):
        sell(db, root, acc.number, D("1"), method="bitcoin")
    sell(db, cashier, acc.number, D("10"))
    with pytest.raises(PermissionDenied):
        refund(db, cashier, acc.number, D("1"))
    with db.read() as s:
        denied = s.execute(sa.select(OpLogEntry).where(OpLogEntry.action == "denied")).scalars().all()
    assert len(denied) == 1 and json.loads(denied[0].details)["action"] == "refund"
    check_books(db)


def test_refund_never_returns_subsidy(db, root):
    from billing.subsidies import grant

    acc = f.account(db, root)
    sell(db, root, acc.number, D("30"))
    grant(db, root, acc.number, "2026-11", D("10"))
    with pytest.raises(Conflict, match="30.00"):
        refund(db, root, acc.number, D("30.01"))
    r = refund(db, root, acc.number, D("30"))
    assert (r.balance, r.subsidy, r.kind, r.amount) == (D("10.00"), D("10.00"), "refund", D("-30.00"))
    check_books(db)


def test_reversal_restores_exactly_once_with_its_own_receipt(db, root):
    acc = f.account(db, root)
    sell(db, root, acc.number, D("5"))
    sale = sell(db, root, acc.number, D("12.34"))
    rev = reverse(db, root, sale.receipt, reason="wrong account")
    assert (rev.kind, rev.amount, rev.balance, rev.receipt) == ("reversal", D("-12.34"), D("5.00"), "00000003")
    with pytest.raises(Conflict, match="already reversed"):
        reverse(db, root, sale.receipt)
    with pytest.raises(Conflict, match="cannot be reversed"):
        reverse(db, root, rev.receipt)
    info = receipts.load(db, rev.receipt)
    assert info.kind == "reversal" and info.payload["original_receipt_no"] == sale.receipt
    check_books(db)


def test_reversal_of_spent_money_is_refused(db, root):
    from billing.settlement import settle_reading

    acc = f.account(db, root)
    sale = sell(db, root, acc.number, D("10"))
    settle_reading(db, root, acc.meters[0], D("110"))       # 10 kWh * 0.50 = 5.00 spent
    with pytest.raises(Conflict, match="already been spent"):
        reverse(db, root, sale.receipt)
    assert refund(db, root, acc.number, D("5")).balance == D("0.00")
    check_books(db)


def test_reversal_of_refund_credits_back(db, root):
    acc = f.account(db, root)
    sell(db, root, acc.number, D("10"))
    r = refund(db, root, acc.number, D("4"))
    assert reverse(db, root, r.receipt).balance == D("10.00")
    check_books(db)


def test_meter_prepaid_sale_queues_recharge_with_purchase_numbers(db, root):
    acc = f.account(db, root, mode="meter-prepaid")
    a = sell(db, root, acc.number, D("10"))
    b = sell(db, root, acc.number, D("20"))
    with db.read() as s:
        items = s.execute(sa.select(OutboxItem).order_by(OutboxItem.id)).scalars().all()
    recharges = [json.loads(i.payload) for i in items if i.kind == "meter.recharge"]
    assert [(p["amount"], p["purchase_count"]) for p in recharges] == [("10.00", 1), ("20.00", 2)]
    assert all(i.priority == 0 and i.state == "pending" for i in items)
    assert [i.kind for i in items].count("meter.close") == 1        # only when leaving arrears
    assert set(a.outbox) | set(b.outbox) == {i.id for i in items}
    # reversing a sale whose recharge is still pending withdraws it
    reverse(db, root, b.receipt)
    with db.read() as s:
        assert s.get(OutboxItem, b.outbox[0]).state == "expired"
    with db.write() as s:
        s.get(OutboxItem, a.outbox[0]).state = "done"
    with pytest.raises(Conflict, match="already in the meter"):
        reverse(db, root, a.receipt)


def test_station_prepaid_in_arrears_gets_close_command(db, root):
    from billing.settlement import settle_reading

    acc = f.account(db, root)
    settle_reading(db, root, acc.meters[0], D("104"))      # 2.00 owed
    r = sell(db, root, acc.number, D("1"))
    assert r.balance == D("-1.00") and r.alarm == "arrears" and r.outbox == ()
    r = sell(db, root, acc.number, D("50"))
    assert r.balance == D("49.00") and len(r.outbox) == 1
    check_books(db)


def test_closed_account_refuses_sales(db, root):
    from billing.account_changes import close_account

    acc = f.account(db, root)
    close_account(db, root, acc.number, {acc.meters[0]: D("100")})
    with pytest.raises(Conflict, match="closed"):
        sell(db, root, acc.number, D("1"))


def test_reprint_takes_no_number(db, root):
    acc = f.account(db, root)
    sale = sell(db, root, acc.number, D("1"))
    info = receipts.reprint(db, root, sale.receipt)
    assert info.number == sale.receipt and info.reprints == 1
    assert receipts.reprint(db, root, sale.receipt).reprints == 2
    r2 = sell(db, root, acc.number, D("1"))
    assert r2.receipt == "00000002"
    check_books(db)
