"""Abnormal-use alarms from stored readings: a vacant room drawing power, an occupied room at
zero for N days, a day far above its usual; raised by the daily job exactly once per day and
cleared when a later day shows the condition gone."""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from billing.abnormal_use import check_day
from billing.automation.jobs import JobContext, run_due
from models.accounts import AccountMeter
from models.archive import Meter, Reading
from models.automation import Alarm
from tests.billing.automation.conftest import Clock, add_meter, local, open_prepaid, set_setting

D = date(2026, 11, 20)


def _meter(db, actor, address: str, *, occupied: bool) -> int:
    number = add_meter(db, None, address)
    if occupied:
        open_prepaid(db, actor, [number], arrears="never")
    with db.write() as s:
        mid = s.scalar(sa.select(Meter.id).where(Meter.number == number))
        s.execute(sa.update(AccountMeter).where(AccountMeter.meter_id == mid)
                  .values(opened_at=local(2026, 9, 1)))             # tenant since September
        s.execute(sa.delete(Reading).where(Reading.meter_id == mid))  # the opening reading: not in this story
    return mid


def _daily(db, mid: int, day: date, kwh: float) -> None:
    """One reading at local noon of `day` (and one at 23:00, a little more, the same day)."""
    with db.write() as s:
        s.add(Reading(meter_id=mid, at=local(day.year, day.month, day.day, 12), energy_milli=round(kwh * 1000)))


def _series(db, mid: int, first: date, uses: list[float], start: float = 100.0) -> float:
    total = start
    _daily(db, mid, first - timedelta(days=1), total)
    for i, use in enumerate(uses):
        total += use
        _daily(db, mid, first + timedelta(days=i), total)
    return total


def _open(db) -> dict[int, set[str]]:
    with db.read() as s:
        rows = s.execute(sa.select(Alarm.meter_id, Alarm.kind).where(Alarm.state != "cleared")).all()
    out: dict[int, set[str]] = {}
    for m, k in rows:
        out.setdefault(m, set()).add(k)
    return out


def _check(db, day: date):
    with db.write() as s:
        return check_day(s, day, now=local(day.year, day.month, day.day, 23, 59) + timedelta(hours=1))


def test_vacant_room_drawing_power(db, superadmin):
    vacant = _meter(db, superadmin, "000000000001", occupied=False)
    quiet = _meter(db, superadmin, "000000000002", occupied=False)
    _series(db, vacant, D - timedelta(days=2), [0, 0, 3.0])               # 3 kWh on D
    _series(db, quiet, D - timedelta(days=2), [0, 0, 0.2])                # below 0.5 kWh: standby
    result = _check(db, D)
    assert _open(db) == {vacant: {"vacant_use"}}
    assert result.raised == [(vacant, "vacant_use")]
    with db.read() as s:
        alarm = s.execute(sa.select(Alarm)).scalar_one()
    assert '"use": "3"' in alarm.details and alarm.account_id is None
    _daily(db, vacant, D + timedelta(days=1), 103.0)                      # nothing used the next day
    _check(db, D + timedelta(days=1))
    assert _open(db) == {}


def test_occupied_room_at_zero_for_n_days(db, superadmin):
    idle = _meter(db, superadmin, "000000000003", occupied=True)
    busy = _meter(db, superadmin, "000000000004", occupied=True)
    _series(db, idle, D - timedelta(days=9), [1.0, 1.0, 1.0] + [0.0] * 7)  # zero for the last 7 days
    _series(db, busy, D - timedelta(days=9), [1.0] * 10)
    _check(db, D)
    assert _open(db) == {idle: {"idle_use"}}
    set_setting(db, superadmin, "alarms.idle_days", 9)                      # the 9 days to D+1 include use
    _daily(db, idle, D + timedelta(days=1), 103.0)
    _daily(db, busy, D + timedelta(days=1), 111.0)
    _check(db, D + timedelta(days=1))
    assert _open(db) == {}
    set_setting(db, superadmin, "alarms.idle_days", 7)
    _daily(db, idle, D + timedelta(days=2), 104.0)                          # used again: stays clear
    _check(db, D + timedelta(days=2))
    assert _open(db) == {}


def test_day_far_above_its_usual(db, superadmin):
    spiky = _meter(db, superadmin, "000000000005", occupied=True)
    steady = _meter(db, superadmin, "000000000006", occupied=True)
    small = _meter(db, superadmin, "000000000007", occupied=True)
    _series(db, spiky, D - timedelta(days=28), [2.0] * 28 + [10.0])        # 10 > 3 x 2 and >= 5 kWh
    _series(db, steady, D - timedelta(days=28), [2.0] * 28 + [5.5])        # 5.5 < 3 x 2
    _series(db, small, D - timedelta(days=28), [0.1] * 28 + [1.0])         # 10 x usual but only 1 kWh
    _check(db, D)
    assert _open(db) == {spiky: {"use_spike"}}
    with db.read() as s:
        alarm = s.execute(sa.select(Alarm)).scalar_one()
    assert alarm.account_id is not None and '"median": "2"' in alarm.details
    _daily(db, spiky, D + timedelta(days=1), 100 + 56 + 10 + 2)            # a usual day again
    _check(db, D + timedelta(days=1))
    assert _open(db) == {}


def test_daily_job_runs_once_per_day(db, superadmin):
    vacant = _meter(db, superadmin, "000000000008", occupied=False)
    _series(db, vacant, D - timedelta(days=1), [0, 4.0])
    ctx = JobContext(db, "A", Clock(local(2026, 11, 21, 0, 20)))
    assert run_due(ctx, jobs=("abnormal_use",)) == [("abnormal_use", "2026-11-19")]   # yesterday's run, caught up
    assert _open(db) == {}
    assert run_due(ctx, jobs=("abnormal_use",)) == []                       # today's is due at 00:30
    ctx.clock.set(local(2026, 11, 21, 0, 45))
    assert run_due(ctx, jobs=("abnormal_use",)) == [("abnormal_use", "2026-11-20")]
    assert run_due(ctx, jobs=("abnormal_use",)) == []
    assert _open(db) == {vacant: {"vacant_use"}}


def test_one_grouped_query_for_the_readings(db, superadmin):
    """The readings of every meter for 30 days come in one SELECT on readings; a day that changes
    no alarm costs a fixed number of statements, whatever the number of meters."""
    from sqlalchemy import event

    mids = [_meter(db, superadmin, f"0000000001{i:02d}", occupied=i % 2 == 0) for i in range(20)]
    for mid in mids:
        _series(db, mid, D - timedelta(days=5), [1.0] * 6)
    assert len(_check(db, D).raised) == 10                                  # the vacant half
    statements: list[str] = []
    engine = db.writer
    listener = lambda *a: statements.append(a[2])                           # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        result = _check(db, D)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert result.meters == 20
    assert sum(1 for st in statements if "FROM readings" in st) == 1
    assert result.raised == [] and result.cleared == []
    assert len(statements) <= 10

