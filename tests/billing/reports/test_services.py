"""Each report service on a small known dataset (tests/billing/reports/data.py): exact figures."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from billing.reports import (
    consumption as report_consumption,
)
from billing.reports import (
    field as report_comms,
)
from billing.reports import (
    receivables as report_money,
)
from billing.reports import (
    shifts as report_shifts,
)
from billing.reports import (
    takings as reports,
)
from models.errors import InvalidInput, PermissionDenied
from tests.billing.reports import data
from tests.billing.reports.conftest import local

OCT = (date(2025, 10, 1), date(2025, 10, 31))


def test_consumption_by_meter_with_missing_data(db, root):
    data.consumption_data(db)
    rows = {r.key: r for r in report_consumption.consumption(db, *OCT, "meter", actor=root)}
    assert {k: (r.consumption, r.status, r.missing) for k, r in rows.items()} == {
        "MAIN": (D("250.5"), "ok", 0), "S1": (D("100"), "ok", 0), "S2": (D("120"), "ok", 0),
        "NEW": (D("3"), "partial", 0), "DEAD": (D(0), "no_data", 1), "STALE": (D(0), "no_reading", 1)}
    assert (rows["MAIN"].start, rows["MAIN"].end) == (D("1000"), D("1250.5"))
    assert (rows["S2"].start, rows["S2"].end) == (D("20"), D("32"))


def test_consumption_groups(db, root):
    data.consumption_data(db)
    by = lambda g: {r.key: (r.meters, r.missing, r.consumption)  # noqa: E731
                    for r in report_consumption.consumption(db, *OCT, g, actor=root)}
    assert by("building") == {"A楼": (6, 2, D("473.5"))}
    assert by("floor") == {"A楼/1F": (6, 2, D("473.5"))}
    assert by("room") == {"A楼/1F/101": (3, 1, D("350.5")), "A楼/1F/102": (3, 1, D("123"))}
    assert by("tag") == {"line:L1": (2, 0, D("350.5")), "": (4, 2, D("123"))}


def test_consecutive_periods_add_up(db, root):
    data.consumption_data(db)
    first = report_consumption.meter_consumption(db, date(2025, 10, 1), date(2025, 10, 15), actor=root)
    second = report_consumption.meter_consumption(db, date(2025, 10, 16), date(2025, 10, 31), actor=root)
    main = [m.consumption for m in first + second if m.number == "MAIN"]
    assert main == [D("100"), D("150.5")]


def test_line_loss(db, root):
    data.consumption_data(db)
    [row] = report_consumption.line_loss(db, *OCT, actor=root)
    assert (row.main, row.place, row.subs) == ("MAIN", "A楼/1F/101", 2)
    assert (row.main_consumption, row.subs_consumption, row.loss, row.loss_percent, row.missing) == (
        D("250.5"), D("220"), D("30.5"), D("12.18"), 0)
    # a sub meter without data makes the loss unknown, not a false loss
    [row] = report_consumption.line_loss(db, date(2025, 11, 1), date(2025, 11, 30), actor=root)
    assert (row.main_consumption, row.loss, row.loss_percent, row.missing) == (D("49.5"), None, None, 2)


def test_sales_summaries(db, root):
    data.money_data(db, root)
    by_day = reports.sales_summary(db, *OCT, "day", actor=root)
    assert [(r.key, r.count, r.sales, r.refunds, r.net) for r in by_day] == [
        ("2025-10-02", 2, D("150.00"), D("0.00"), D("150.00")), ("2025-10-03", 1, D("0.00"), D("20.00"), D("-20.00"))]
    months = reports.sales_summary(db, date(2025, 10, 1), date(2025, 11, 30), "month", actor=root)
    assert [(r.key, r.count, r.sales, r.refunds, r.reversals, r.net) for r in months] == [
        ("2025-10", 3, D("150.00"), D("20.00"), D("0.00"), D("130.00")),
        ("2025-11", 2, D("200.00"), D("0.00"), D("-200.00"), D("0.00"))]
    year = reports.sales_summary(db, date(2025, 1, 1), date(2025, 12, 31), "year", actor=root)
    assert [(r.key, r.net) for r in year] == [("2025", D("130.00"))]
    assert [(r.key, r.net) for r in reports.sales_summary(db, *OCT, "method", actor=root)] == [
        ("cash", D("80.00")), ("wechat", D("50.00"))]
    assert [(r.key, r.count) for r in reports.sales_summary(db, *OCT, "operator", actor=root)] == [("root", 3)]
    with pytest.raises(InvalidInput):
        reports.sales_summary(db, *OCT, "week", actor=root)
    with pytest.raises(InvalidInput):
        reports.sales_summary(db, OCT[1], OCT[0], actor=root)


def test_receivable_vs_received(db, root):
    data.money_data(db, root)
    [oct_] = report_money.receivable_vs_received(db, *OCT, "month", actor=root)
    assert (oct_.key, oct_.accounts, oct_.receivable, oct_.received, oct_.difference) == (
        "2025-10", 1, D("30.00"), D("130.00"), D("100.00"))
    both = report_money.receivable_vs_received(db, date(2025, 10, 1), date(2025, 11, 30), "building", actor=root)
    assert [(r.key, r.accounts, r.receivable, r.received) for r in both] == [
        ("", 1, D("0.00"), D("0.00")), ("A楼", 1, D("30.00"), D("130.00"))]
    modes = report_money.receivable_vs_received(db, date(2025, 10, 1), date(2025, 11, 30), "mode", actor=root)
    assert [(r.key, r.accounts, r.difference) for r in modes] == [("station-prepaid", 2, D("100.00"))]


def test_refunds_and_reversals(db, root):
    numbers = data.money_data(db, root)
    rows = report_money.corrections(db, date(2025, 10, 1), date(2025, 11, 30), actor=root)
    assert [(r.kind, r.receipt_no, r.original_receipt, r.account, r.customer, r.amount, r.note) for r in rows] == [
        ("refund", "T3", "", numbers["A"], "甲", D("-20.00"), ""),
        ("reversal", "T5", "T4", numbers["B"], "乙", D("-200.00"), "typo")]


def _field(db):
    from billing.alarm_log import raise_alarm
    from models.archive import Link, Meter, MeterReadDay

    ids = data.consumption_data(db)
    with db.write() as s:
        up, down = Link(name="L-up", url="tcp://10.0.0.1:1"), Link(name="L-down", url="tcp://10.0.0.2:1", state="lost")
        s.add_all([up, down])
        s.flush()
        states = {"MAIN": (up, "online", 0), "S1": (up, "online", 0), "S2": (up, "lost", 7),
                  "NEW": (down, "lost", 3), "DEAD": (down, "unreachable", 0)}
        for number, (link, state, streak) in states.items():
            s.execute(sa.update(Meter).where(Meter.number == number)
                      .values(link_id=link.id, comm_state=state, fail_streak=streak))
        s.execute(sa.update(Meter).where(Meter.number == "S2").values(lost_since=local(2025, 10, 19, 23)))
        for number, day, attempts, ok in (("MAIN", 5, 3, 3), ("S1", 5, 2, 1), ("S2", 19, 4, 1), ("NEW", 20, 2, 0)):
            s.add(MeterReadDay(meter_id=ids[number], day=date(2025, 10, day), attempts=attempts, successes=ok))
        s.add(MeterReadDay(meter_id=ids["S2"], day=date(2025, 11, 2), attempts=5, successes=0))   # not in OCT
        raise_alarm(s, "meter_lost", meter_id=ids["S2"], at=local(2025, 10, 20, 8), message="S2 lost")
        raise_alarm(s, "link_lost", link_id=down.id, at=local(2025, 10, 21, 8), message="down")
        raise_alarm(s, "reading_flag", meter_id=ids["MAIN"], at=local(2025, 11, 3), message="later")
    return ids


def test_alarm_history(db, root):
    _field(db)
    rows = report_comms.alarm_history(db, *OCT, actor=root)
    assert [(r.kind, r.meter, r.link, r.building, r.state) for r in rows] == [
        ("meter_lost", "S2", "L-up", "A楼", "open"), ("link_lost", "", "L-down", "", "open")]


def test_lost_meters_and_links(db, root):
    _field(db)
    rows = report_comms.lost(db, actor=root)
    assert [(r.what, r.name, r.link, r.place, r.fail_streak) for r in rows] == [
        ("link", "L-down", "L-down", "", 0), ("meter", "NEW", "L-down", "A楼/1F/102", 3),
        ("meter", "S2", "L-up", "A楼/1F/102", 7), ("unreachable", "DEAD", "L-down", "A楼/1F/102", 0)]
    # lost since: the meter's own lost_since (before its alarm was raised), the link's for a meter behind it
    assert rows[0].since == local(2025, 10, 21, 8) and rows[2].since == local(2025, 10, 19, 23)
    assert rows[1].since is None and rows[3].since == local(2025, 10, 21, 8)


def test_read_success(db, root):
    _field(db)
    links = report_comms.read_success(db, *OCT, actor=root)
    assert [(r.link, r.meters, r.online, r.lost, r.unknown, r.unreachable, r.attempts, r.successes, r.rate,
             r.readings, r.fail_streak) for r in links] == [
        ("", 1, 0, 0, 1, 0, 0, 0, None, 0, 0),                      # STALE: on no link, never tried
        ("L-down", 2, 0, 1, 0, 1, 2, 0, D("0.00"), 2, 3),
        ("L-up", 3, 2, 1, 0, 0, 9, 5, D("55.56"), 5, 7)]            # reads ÷ attempts, not online ÷ meters
    meters = {r.meter: (r.attempts, r.successes, r.rate, r.readings)
              for r in report_comms.read_success(db, *OCT, by_meter=True, actor=root)}
    assert meters["S2"] == (4, 1, D("25.00"), 1) and meters["MAIN"] == (3, 3, D("100.00"), 3)


def test_shift_report_and_real_sales(db, root):
    from billing import shifts
    from billing.refunds import refund
    from billing.sales import sell
    from tests.billing import factories

    acc = factories.account(db, root, reading=None)
    shifts.open_shift(db, root)
    sell(db, root, acc.number, D("88.80"), method="cash")
    sell(db, root, acc.number, D("11.20"), method="alipay")
    refund(db, root, acc.number, D("8.80"))
    shifts.close_shift(db, root, "81.00")
    today = date.today()
    [row] = report_shifts.shift_report(db, today - timedelta(days=1), today + timedelta(days=1), actor=root)
    assert (row.operator, row.state, row.count, row.total) == ("root", "closed", 3, D("91.20"))
    assert row.takings == {"alipay": D("11.20"), "cash": D("80.00")}
    assert (row.expected_cash, row.counted_cash, row.difference) == (D("80.00"), D("81.00"), D("1.00"))
    [day] = reports.sales_summary(db, today - timedelta(days=1), today + timedelta(days=1), "day", actor=root)
    assert (day.sales, day.refunds, day.net) == (D("100.00"), D("8.80"), D("91.20"))


def test_rights_are_checked_in_the_services(db, root):
    from models.rights import Actor

    nobody = Actor(name="x", role="none", rights=frozenset(), station="T")
    for call in (lambda: reports.sales_summary(db, *OCT, actor=nobody),
                 lambda: report_consumption.consumption(db, *OCT, actor=nobody),
                 lambda: report_money.corrections(db, *OCT, actor=nobody),
                 lambda: report_comms.lost(db, actor=nobody),
                 lambda: report_shifts.shift_report(db, *OCT, actor=nobody)):
        with pytest.raises(PermissionDenied):
            call()


def test_area_rights_limit_consumption(db, root):
    from models.rights import Actor

    ids = data.consumption_data(db)
    elsewhere = Actor(name="v", role="viewer", rights=frozenset({"report_view"}), station="T",
                      all_areas=False, areas=frozenset({ids["building"] + 100}))
    assert report_consumption.consumption(db, *OCT, actor=elsewhere) == []
