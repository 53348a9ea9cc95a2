"""Arrears control end to end against the simulator: a station-side prepaid account runs out of
money as the simulated meter consumes; the relay trips when its policy says; a purchase closes it."""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from billing.sales import sell
from models.archive import Meter
from models.automation import Alarm, Holiday
from models.ledger import OutboxItem
from tests.billing.automation.conftest import (
    Clock,
    add_link,
    add_meter,
    balance,
    local,
    open_prepaid,
    runtime,
    set_setting,
)

A1, A2 = "000000000001", "000000000002"


def _setup(db, actor, bus_sim, *, arrears="trip-now", keep_power=False, spec=f"dlt645-2007:{A1}/kw=1/prepaid=0"):
    server = bus_sim(spec)
    link = add_link(db, server.url)
    meter = add_meter(db, link, A1, keep_power=keep_power)
    account = open_prepaid(db, actor, [meter], arrears=arrears)
    sell(db, actor, account, Decimal("2.00"), method="cash")
    return server, account


def _trips(db):
    with db.read() as s:
        return s.execute(sa.select(OutboxItem.state).where(OutboxItem.kind == "meter.trip")).scalars().all()


def test_trip_now_runs_out_trips_and_purchase_closes(db, superadmin, bus_sim, sim_clock):
    actor = superadmin
    server, account = _setup(db, actor, bus_sim)
    meter = server.bus.meter(A1)
    rt = runtime(db, Clock(local(2026, 11, 20, 10, 0)))
    try:
        sim_clock.advance(3600)                        # 1 kWh at 1.00
        s1 = rt.run_once()
        assert (s1.meters, s1.ok, s1.failed) == (1, 1, 0)
        assert balance(db, account) == Decimal("1.00")
        assert not meter.relay_open
        sim_clock.advance(5400)                        # 1.5 kWh more: -0.50
        rt.run_once()
        assert balance(db, account) == Decimal("-0.50")
        assert meter.relay_open                        # tripped in the same pass
        assert _trips(db) == ["done"]
        rt.run_once()                                  # still in arrears: no second trip
        assert _trips(db) == ["done"]
        with db.read() as s:
            assert s.scalar(sa.select(Meter.relay_state)) == "open"     # as read back from the meter
        assert balance(db, account) == Decimal("-0.50")   # relay open: nothing more used
        with db.read() as s:
            kinds = set(s.execute(sa.select(Alarm.kind).where(Alarm.state != "cleared")).scalars())
        assert {"arrears", "tripped"} <= kinds
        sell(db, actor, account, Decimal("5.00"), method="cash")     # queues meter.close
        rt.run_once()
        assert not meter.relay_open
        assert balance(db, account) == Decimal("4.50")
        rt.check_arrears()
        with db.read() as s:
            kinds = set(s.execute(sa.select(Alarm.kind).where(Alarm.state != "cleared")).scalars())
        assert "tripped" not in kinds and "arrears" not in kinds
    finally:
        rt.stop()



def test_trip_at_waits_for_its_time(db, superadmin, bus_sim, sim_clock):
    server, account = _setup(db, superadmin, bus_sim, arrears="trip-at=18:00")
    meter = server.bus.meter(A1)
    clock = Clock(local(2026, 11, 20, 10, 0))
    rt = runtime(db, clock)
    try:
        sim_clock.advance(3 * 3600)                    # 3 kWh: -1.00
        rt.run_once()
        assert balance(db, account) == Decimal("-1.00")
        assert not meter.relay_open and _trips(db) == []
        clock.set(local(2026, 11, 20, 17, 59))
        assert rt.check_arrears().tripped == []
        clock.set(local(2026, 11, 20, 18, 0))          # the minute job at 18:00
        assert len(rt.check_arrears().tripped) == 1
        rt.deliver_commands()
        assert meter.relay_open
        rt.check_arrears()
        assert _trips(db) == ["done"]
    finally:
        rt.stop()


def test_quiet_hours_and_holidays_delay_the_trip(db, superadmin, bus_sim, sim_clock):
    server, account = _setup(db, superadmin, bus_sim)
    meter = server.bus.meter(A1)
    set_setting(db, superadmin, "automation.quiet_hours", "22:00-07:00")
    clock = Clock(local(2026, 11, 20, 23, 30))         # night
    rt = runtime(db, clock)
    try:
        sim_clock.advance(3 * 3600)
        rt.run_once()
        assert balance(db, account) == Decimal("-1.00") and not meter.relay_open
        clock.set(local(2026, 11, 21, 6, 59))
        assert rt.check_arrears().tripped == []
        with db.write() as s:                          # the 21st is a holiday: still waiting
            s.add(Holiday(day=local(2026, 11, 21, 12).astimezone().date(), name="test"))
        clock.set(local(2026, 11, 21, 9, 0))
        assert rt.check_arrears().tripped == []
        clock.set(local(2026, 11, 22, 7, 0))           # the next working morning
        assert len(rt.check_arrears().tripped) == 1
        rt.deliver_commands()
        assert meter.relay_open
    finally:
        rt.stop()


def test_never_policy_and_keep_power_are_not_tripped(db, superadmin, bus_sim, sim_clock):
    server = bus_sim(f"dlt645-2007:{A1}-{A2}/kw=1/prepaid=0")
    link = add_link(db, server.url)
    m1 = add_meter(db, link, A1)
    m2 = add_meter(db, link, A2, keep_power=True)
    a1 = open_prepaid(db, superadmin, [m1], arrears="never")
    a2 = open_prepaid(db, superadmin, [m2], arrears="trip-now")
    rt = runtime(db, Clock(local(2026, 11, 20, 12, 0)))
    try:
        sim_clock.advance(3600)
        rt.run_once()
        assert balance(db, a1) == balance(db, a2) == Decimal("-1.00")
        rt.check_arrears()
        rt.run_once()
        assert _trips(db) == []
        assert not server.bus.meter(A1).relay_open and not server.bus.meter(A2).relay_open
    finally:
        rt.stop()
