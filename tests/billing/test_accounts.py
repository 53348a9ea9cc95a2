"""Account life: open with opening readings, settle, bind, replace a meter, move, close."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from billing.account_changes import close_account, move_tenant, replace_meter
from billing.accounts_open import MeterOpening, bind_meter, open_account, show
from billing.sales import sell
from billing.settlement import settle_reading
from models.accounts import AccountMeter
from models.base import utcnow
from models.errors import Conflict, InvalidInput
from models.ledger import OutboxItem
from tests.billing import factories as f
from tests.billing.helpers import check_books, entries


def test_open_with_policy_and_show(db, root):
    f.flat_tariff(db, root)
    rooms = f.place(db)
    m = f.meter(db, room_id=rooms[0])
    acc = open_account(db, root, f.customer(db, "赵六"), [MeterOpening(m, D("12.5"))],
                       tariff="flat", arrears="trip-at=22:30")
    assert (acc.number, acc.balance, acc.state, acc.arrears, acc.alarm) == (
        "000001", D("0.00"), "open", "trip-at=22:30", "arrears")
    assert acc.room.endswith("-101") and acc.meters == (m,)
    assert show(db, "赵六").number == "000001"
    with pytest.raises(Conflict, match="already bound"):
        open_account(db, root, "赵六", [MeterOpening(m, D("1"))], tariff="flat")
    with pytest.raises(InvalidInput):
        open_account(db, root, "赵六", [], tariff="flat", arrears="trip-at=25:00")


def test_consumption_before_opening_is_never_charged_and_intervals_once(db, root):
    acc = f.account(db, root, reading="1000")
    meter = acc.meters[0]
    sell(db, root, acc.number, D("100"))
    t0 = utcnow()
    assert settle_reading(db, root, meter, D("1010"), t0 + timedelta(minutes=30)).amount_fen == -500
    assert settle_reading(db, root, meter, D("1010"), t0 + timedelta(minutes=60)) is None
    assert settle_reading(db, root, meter, D("1005"), t0 + timedelta(minutes=90)) is None   # backwards
    assert settle_reading(db, root, meter, D("1012"), t0 + timedelta(minutes=120)).amount_fen == -100
    assert show(db, acc.number).balance == D("94.00")
    check_books(db)


def test_first_poll_reading_becomes_the_opening(db, root):
    acc = f.account(db, root, reading=None)
    meter = acc.meters[0]
    assert settle_reading(db, root, meter, D("5000")) is None
    with db.read() as s:
        b = s.execute(sa.select(AccountMeter)).scalar_one()
        assert (b.opening_milli, b.opening_source) == (5_000_000, "first-poll")
    assert settle_reading(db, root, meter, D("5002")).amount_fen == -100


def test_subsidy_spent_first(db, root):
    from billing.subsidies import grant

    acc = f.account(db, root)
    sell(db, root, acc.number, D("10"))
    grant(db, root, acc.number, "2026-11", D("3"))
    e = settle_reading(db, root, acc.meters[0], D("108"))          # 4.00
    assert (e.amount_fen, e.subsidy_fen, e.subsidy_after_fen, e.balance_after_fen) == (-400, -300, 0, 900)
    check_books(db)


def test_bind_second_meter_and_close_with_refund(db, root):
    from billing.subsidies import grant

    acc = f.account(db, root)
    m2 = f.meter(db)
    assert bind_meter(db, root, acc.number, MeterOpening(m2, D("50"))).meters == (acc.meters[0], m2)
    sell(db, root, acc.number, D("20"))
    grant(db, root, acc.number, "2026-11", D("5"))
    with pytest.raises(InvalidInput, match="final reading"):
        close_account(db, root, acc.number, {acc.meters[0]: D("102")})
    r = close_account(db, root, acc.number, {acc.meters[0]: D("102"), m2: D("54")})
    # 6 kWh * 0.5 = 3.00 charged (subsidy first: 3 of 5), 2 subsidy expired, 20 refunded
    assert (r.kind, r.amount, r.balance, r.subsidy) == ("account_close", D("-20.00"), D("0.00"), D("0.00"))
    kinds = [e.kind for e in entries(db, acc.number)]
    assert kinds == ["purchase", "subsidy_grant", "consumption", "consumption", "subsidy_expiry", "refund"]
    assert show(db, acc.number).state == "closed"
    with db.read() as s:
        assert s.execute(sa.select(sa.func.count()).where(AccountMeter.closed_at.is_(None))).scalar() == 0
    check_books(db)


def test_close_refused_while_owing(db, root):
    acc = f.account(db, root)
    with pytest.raises(Conflict, match="owes 5.00"):
        close_account(db, root, acc.number, {acc.meters[0]: D("110")})
    assert entries(db, acc.number) == []          # nothing changed, the settlement rolled back too
    sell(db, root, acc.number, D("5"))
    assert close_account(db, root, acc.number, {acc.meters[0]: D("110")}).amount == D("0.00")
    check_books(db)


def test_replace_meter_settles_old_and_carries_balance(db, root):
    acc = f.account(db, root, mode="meter-prepaid")
    sell(db, root, acc.number, D("30"))
    new = f.meter(db, profile="meterstation-sim-dlt645")      # the new meter takes purchases too
    v = replace_meter(db, root, acc.number, acc.meters[0], D("110"), new, D("0.5"))
    assert v.meters == (new,) and v.balance == D("25.00")
    assert settle_reading(db, root, new, D("2.5")).amount_fen == -100
    with db.read() as s:
        carried = [i for i in s.execute(sa.select(OutboxItem)).scalars() if i.meter_id is not None
                   and '"carried": true' in i.payload]
        assert len(carried) == 1 and '"25.00"' in carried[0].payload
    with pytest.raises(InvalidInput, match="below"):
        replace_meter(db, root, acc.number, new, D("1"), f.meter(db), D("0"))
    check_books(db)


def test_move_tenant_keeps_balance(db, root):
    rooms = f.place(db)
    acc = f.account(db, root, room_id=rooms[0])
    sell(db, root, acc.number, D("40"))
    m2 = f.meter(db, room_id=rooms[1])
    v = move_tenant(db, root, acc.number, rooms[1], {acc.meters[0]: D("104")}, [MeterOpening(m2, D("7"))])
    assert v.meters == (m2,) and v.balance == D("38.00") and v.room.endswith("102")
    check_books(db)


def test_alarm_levels():
    from billing.alarms import level_for

    assert [level_for(b, 2000, 500) for b in (3000, 2000, 501, 500, 1, 0, -5)] == [
        "normal", "alarm1", "alarm1", "alarm2", "alarm2", "arrears", "arrears"]
    assert level_for(-100, 2000, 500, "postpaid") == "normal"


def test_arrears_policy_actions(db, root):
    from datetime import datetime

    from billing.alarms import arrears_action
    from models.accounts import Account

    a = Account(balance_fen=-1, subsidy_fen=0, alarm1_fen=2000, alarm2_fen=500, mode="station-prepaid",
                arrears_policy="trip-at", arrears_time="22:00", respect_quiet=True)
    assert arrears_action(a, datetime(2026, 1, 5, 21, 59)) == "wait"
    assert arrears_action(a, datetime(2026, 1, 5, 22, 0)) == "trip"
    assert arrears_action(a, datetime(2026, 1, 5, 23, 0), quiet=True) == "wait"
    a.arrears_policy = "never"
    assert arrears_action(a, datetime(2026, 1, 5, 23, 0)) == "none"
