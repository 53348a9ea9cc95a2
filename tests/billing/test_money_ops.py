"""Subsidies, transfers, opening balances, apportionment, postpaid bills, shifts, tariffs, reports."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal as D

import pytest

from billing import shifts
from billing.accounts_open import show
from billing.apportion import apportion, split_fen
from billing.postpaid import bill_account
from billing.refunds import refund, reverse
from billing.reports import takings as reports
from billing.sales import sell
from billing.subsidies import expire_month, grant, grant_monthly
from billing.tariffs import plan_store
from billing.transfers import opening_balance, transfer
from models.errors import Conflict, InvalidInput
from tests.billing import factories as f
from tests.billing.helpers import check_books, entries


def test_monthly_grant_once_per_month_and_expiry(db, root):
    a = f.account(db, root, type_="resident")
    b = f.account(db, root, type_="merchant")
    c = f.account(db, root, type_="resident")
    run = grant_monthly(db, root, "2026-11", {"resident": D("8"), "merchant": D("0")})
    assert run.done == [a.number, c.number] and run.total == D("16.00")
    again = grant_monthly(db, root, "2026-11", {"resident": D("8")})
    assert again.done == [] and again.skipped == [a.number, c.number]
    with pytest.raises(Conflict, match="already has its subsidy"):
        grant(db, root, a.number, "2026-11", D("8"))
    assert grant(db, root, b.number, "2026-11", D("2")) == D("2.00")
    ex = expire_month(db, root, "2026-11", carry_types=("merchant",))
    assert ex.done == [a.number, c.number] and show(db, b.number).subsidy == D("2.00")
    assert show(db, a.number).subsidy == D("0.00") and expire_month(db, root, "2026-11").done == [b.number]
    with pytest.raises(InvalidInput):
        grant_monthly(db, root, "2026-13", {"resident": D("1")})
    check_books(db)


def test_transfer_moves_own_money_only(db, root):
    a, b = f.account(db, root), f.account(db, root)
    sell(db, root, a.number, D("10"))
    grant(db, root, a.number, "2026-11", D("5"))
    with pytest.raises(Conflict):
        transfer(db, root, a.number, b.number, D("10.01"))
    out, into = transfer(db, root, a.number, b.number, D("10"))
    assert (out.balance, out.subsidy, into.balance) == (D("5.00"), D("5.00"), D("10.00"))
    check_books(db)


def test_opening_balance_once(db, root):
    a = f.account(db, root)
    assert opening_balance(db, root, a.number, "-12.30").balance == D("-12.30")
    with pytest.raises(Conflict):
        opening_balance(db, root, a.number, "5")
    check_books(db)


def test_split_is_exact():
    assert split_fen(100, {1: 1, 2: 1, 3: 1}) == {1: 34, 2: 33, 3: 33}
    assert sum(split_fen(9999, {1: 7, 2: 13, 3: 29}).values()) == 9999


def test_apportion_by_area_and_people(db, root):
    rooms = f.place(db, rooms=3, area=1000, people=1)    # areas 10,20,30 m²; people 1,2,3
    common = f.meter(db, common=True)
    accs = []
    for r in rooms:
        acc = f.account(db, root, room_id=r)
        accs.append(acc)
        with db.write() as s:
            from billing.lookup import find_meter
            find_meter(s, acc.meters[0]).parent_id = find_meter(s, common).id
    res = apportion(db, root, common, D("20"), tariff="flat", by="area")      # 20 kWh * 0.5 = 10.00
    assert res.cost == D("10.00") and list(res.parts.values()) == [D("1.67"), D("3.33"), D("5.00")]
    res = apportion(db, root, common, D("22"), tariff="flat", by="people")    # 1.00
    assert sum(res.parts.values()) == D("1.00")
    with pytest.raises(InvalidInput):
        apportion(db, root, common, D("22"), tariff="flat")
    with pytest.raises(Conflict):
        apportion(db, root, accs[0].meters[0], D("1000"), tariff="flat")
    check_books(db)


def test_postpaid_bill_and_payment(db, root):
    acc = f.account(db, root, mode="postpaid")
    from billing.settlement import settle_reading

    assert settle_reading(db, root, acc.meters[0], D("150")) is None          # the bill charges
    b = bill_account(db, root, acc.number, "2026-11", {acc.meters[0]: D("160")})
    assert (b.amount, b.balance) == (D("30.00"), D("-30.00"))
    p = sell(db, root, acc.number, D("30"), method="transfer")
    assert (p.kind, p.balance, p.outbox) == ("bill_payment", D("0.00"), ())
    check_books(db)


def test_bill_twice_same_month_is_a_conflict_not_a_double_charge(db, root):
    acc = f.account(db, root, mode="postpaid")
    bill_account(db, root, acc.number, "2026-11", {acc.meters[0]: D("160")})
    with pytest.raises(Conflict, match="already billed"):
        bill_account(db, root, acc.number, "2026-11", {acc.meters[0]: D("170")})
    assert [e.kind for e in entries(db, acc.number)] == ["bill"]


def test_shift_takings_and_difference(db, root):
    acc = f.account(db, root)
    sell(db, root, acc.number, D("5"))                       # before the shift: not counted
    shifts.open_shift(db, root)
    with pytest.raises(Conflict):
        shifts.open_shift(db, root)
    sell(db, root, acc.number, D("100"))
    s2 = sell(db, root, acc.number, D("50"), method="wechat")
    sell(db, root, acc.number, D("20"))
    refund(db, root, acc.number, D("7.5"))
    reverse(db, root, s2.receipt)
    rep = shifts.close_shift(db, root, "110.00")
    assert rep.takings == {"cash": D("112.50"), "wechat": D("0.00")}
    assert (rep.expected_cash, rep.counted_cash, rep.difference) == (D("112.50"), D("110.00"), D("-2.50"))
    with pytest.raises(Conflict):
        shifts.close_shift(db, root, "1")
    check_books(db)


def test_tariff_versions_never_rewrite_the_past(db, root):
    info = plan_store.add_version(db, root, "民用", {"kind": "flat", "price": "0.5283"})
    assert info.versions == (("2000-01-01T00:00", "flat", "0.5283"),)
    with pytest.raises(InvalidInput, match="past"):
        plan_store.add_version(db, root, "民用", {"kind": "flat", "price": "0.6", "effective": "2020-01-01"})
    later = (datetime.now() + timedelta(days=3)).strftime("%Y-%m-%dT00:00")
    info = plan_store.add_version(db, root, "民用", {"kind": "flat", "price": "0.6", "effective": later})
    assert [v[2] for v in info.versions] == ["0.5283", "0.6"]
    with pytest.raises(Conflict):
        plan_store.add_version(db, root, "民用", {"kind": "flat", "price": "0.7", "effective": later})
    with pytest.raises(InvalidInput):
        plan_store.add_version(db, root, "bad", {"kind": "flat", "price": "-1"})
    assert [p.name for p in plan_store.list_plans(db)] == ["民用"]


def test_sales_report_by_day_operator_method(db, root):
    acc = f.account(db, root)
    sell(db, root, acc.number, D("10"))
    sell(db, root, acc.number, D("20"))
    s = sell(db, root, acc.number, D("5"), method="card")
    reverse(db, root, s.receipt)
    refund(db, root, acc.number, D("1"))
    today = date.today()
    rows = reports.sales(db, today - timedelta(days=1), today + timedelta(days=1), actor=root)
    by_method = {r.method: r for r in rows}
    assert by_method["cash"].sales == D("30.00") and by_method["cash"].refunds == D("1.00")
    assert by_method["card"].reversals == D("-5.00") and by_method["card"].net == D("0.00")
    assert all(r.day == today for r in rows)


def test_tou_and_tiered_versions_are_stored_and_priced(db, root):
    from billing.pricing import preview
    from tests.billing.tariffs.plans import TIERED_TOU_V, TOU_V

    tou = {k: v for k, v in TOU_V.items() if k != "effective"}
    info = plan_store.add_version(db, root, "分时", tou)
    assert info.versions[0][1] == "tou"
    tiered = {k: v for k, v in TIERED_TOU_V.items() if k != "effective"}
    assert plan_store.add_version(db, root, "阶梯", tiered).versions[0][1] == "tiered_tou"
    acc = f.account(db, root, tariff="阶梯")
    p = preview(db, acc.number, amount=D("10.00"))
    assert p.energy is not None and p.energy > 0
    sell(db, root, acc.number, D("10"))
    from billing.settlement import settle_reading

    assert settle_reading(db, root, acc.meters[0], D("110")).amount_fen < 0
    check_books(db)
