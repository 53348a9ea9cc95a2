"""The outbox delivered through the poller: commands confirmed by read-back and logged, what
they changed kept on the meter's row, retries with back-off, expiry, stale claims released,
read-now and frozen data."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from comms.polling.outbox_source import OutboxSource
from models import oplog
from models.archive import Reading
from models.automation import FrozenReading
from models.base import utcnow
from tests.comms.polling.conftest import E1, E2, E3, enqueue, item, meter, meter_id, poll_once


def log_actions(db, pattern="meter.*"):
    with db.read() as s:
        return [(e.action, e.target) for e in oplog.search(s, action=pattern, newest_first=False)]


def test_control_is_confirmed_logged_and_kept(station, sim):
    db = station
    trip = enqueue(db, "E1", "meter.trip")
    keep = enqueue(db, "E2", "meter.keep-power")
    summary, _s = poll_once(db)
    assert summary.commands == 2 and summary.ok == 4
    assert sim.bus.meter(E1).relay_open and sim.bus.meter(E2).keep_power
    for item_id in (trip, keep):
        row = item(db, item_id)
        assert (row.state, row.attempts, row.last_error) == ("done", 1, "") and row.done_at is not None
    assert meter(db, "E1").relay_state == "open" and meter(db, "E2").keep_power is True
    e1 = str(meter_id(db, "E1"))
    assert ("meter.control", e1) in log_actions(db)
    enqueue(db, "E1", "meter.close")
    enqueue(db, "E2", "meter.keep-power-off")
    poll_once(db)
    assert meter(db, "E1").relay_state == "closed" and meter(db, "E2").keep_power is False
    assert not sim.bus.meter(E1).relay_open


def test_valve_and_clock(station, sim):
    db = station
    valve = enqueue(db, "W1", "meter.valve-close")
    clock = enqueue(db, "E1", "meter.sync_clock")
    sim.bus.meter(E1).wall.set(datetime(2001, 1, 1))
    poll_once(db)
    assert item(db, valve).state == "done" and item(db, clock).state == "done"
    assert abs(sim.bus.meter(E1).wall.now() - datetime.now()) < timedelta(minutes=1)


def test_silent_meter_is_retried_with_back_off_then_expires(station, sim):
    db = station
    sim.bus.set_fault(E2, "silent")
    retried = enqueue(db, "E2", "meter.trip")
    short = enqueue(db, "E2", "meter.trip", expires_at=utcnow() + timedelta(seconds=5))
    before = utcnow()
    poll_once(db)
    row = item(db, retried)
    assert row.state == "pending" and row.attempts == 1 and "No reply" in row.last_error
    assert before + timedelta(seconds=9) < row.next_at < utcnow() + timedelta(seconds=11)
    row = item(db, short)                                   # the next try would be too late
    assert row.state == "expired" and ("meter.control.expired", str(meter_id(db, "E2"))) in log_actions(db)
    late = enqueue(db, "E2", "meter.trip", expires_at=utcnow() - timedelta(seconds=1))
    sim.bus.set_fault(E2, None)
    poll_once(db)
    assert item(db, late).state == "expired" and item(db, late).attempts == 0
    assert item(db, retried).state == "pending"             # not due yet: back-off holds


def test_items_left_sending_are_released(station):
    db = station
    stale = enqueue(db, "E1", "meter.trip", state="sending")
    OutboxSource(db, {meter_id(db, "E1"): 1}, station="TEST")
    assert item(db, stale).state == "pending"


def test_read_now_is_stored_like_a_routine_read(station, sim):
    db = station
    read = enqueue(db, "E1", "meter.read", {"quantities": ["energy", "relay"]})
    bad = enqueue(db, "E2", "meter.read", {"quantities": ["nonsense"]})
    poll_once(db, quantities=("voltage",))                 # the routine pass stores no energy
    assert item(db, read).state == "done"
    with db.read() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(Reading)
                         .where(Reading.meter_id == meter_id(db, "E1"))).scalar_one() == 1
    assert meter(db, "E1").relay_state == "closed"
    row = item(db, bad)
    assert row.state == "failed" and row.attempts == 1       # a wrong request: no retries for a day
    assert meter(db, "E2").fail_streak == 0                  # and not the meter's fault


def test_read_frozen_daily_and_monthly(station, sim):
    db = station
    m1 = sim.bus.meter(E1)
    m1.energy_t[1] += 7
    m1.freeze_daily(at=datetime(2026, 11, 20, 0, 0))
    m1.freeze_monthly()
    first = enqueue(db, "E1", "meter.read_frozen", {"kind": "daily", "n": 1})
    month = enqueue(db, "E1", "meter.read_frozen", {"kind": "monthly", "n": 1})
    poll_once(db)
    again = enqueue(db, "E1", "meter.read_frozen", {"kind": "daily", "n": 1})     # same period again
    poll_once(db)
    assert [item(db, i).state for i in (first, month, again)] == ["done"] * 3
    with db.read() as s:
        rows = s.execute(sa.select(FrozenReading.kind, FrozenReading.period, FrozenReading.energy_milli,
                                   FrozenReading.t1_milli).order_by(FrozenReading.kind)).all()
    today = date.today()
    last_month = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
    # dated by the period each value closes: frozen at 00:00 on the 20th -> the 19th; the last
    # settlement (1st, 00:00) -> last month (comms/polling/command_delivery.py frozen_period)
    assert rows == [("daily", date(2026, 11, 19), 7000, 7000),
                    ("monthly", last_month, 7000, None)]


@pytest.mark.parametrize("number,payload", [("W1", {"kind": "daily", "n": 1}),       # CJ/T 188: none
                                            ("E2", {"kind": "daily", "n": 1}),       # never frozen
                                            ("E1", {"kind": "weekly", "n": 1})])
def test_read_frozen_that_cannot_work_fails_at_once(station, sim, number, payload):
    db = station
    bad = enqueue(db, number, "meter.read_frozen", payload)
    poll_once(db)
    row = item(db, bad)
    # a CJ/T 188 meter declares no frozen data: refused before anything is sent
    assert row.state == "failed" and row.attempts == (0 if number == "W1" else 1) and row.last_error
    assert ("meter.read_frozen.failed", str(meter_id(db, number))) in log_actions(db)


def test_read_frozen_from_seeded_history(station, sim):
    """The demo simulator's made-up history (spec option frozen=DAYS) reads like a real meter's."""
    db = station
    sim.bus.meter(E3).seed_history(3, months=2)
    daily = enqueue(db, "E3", "meter.read_frozen", {"kind": "daily", "n": 2})
    monthly = enqueue(db, "E3", "meter.read_frozen", {"kind": "monthly", "n": 2})
    poll_once(db)
    assert item(db, daily).state == "done" and item(db, monthly).state == "done"
    with db.read() as s:
        periods = dict(s.execute(sa.select(FrozenReading.kind, FrozenReading.period)).all())
    # n=2: frozen at 00:00 yesterday, which closed the day before yesterday
    day_before = sim.bus.meter(E3).wall.now().date() - timedelta(days=2)
    assert periods["daily"] == day_before and periods["monthly"].day == 1
