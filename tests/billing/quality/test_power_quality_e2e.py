"""Power-quality alarms end to end: the simulated DL/T 645 meter is given a voltage and a load,
the runtime polls it over a real TCP socket, the batch hook raises the alarm and clears it when
the value is back inside the hysteresis margin."""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from billing import alarm_log
from billing.quality_thresholds import Limits, remove_thresholds, set_thresholds
from models.archive import Meter, MeterTag, Tag
from models.automation import Alarm
from resources import i18n
from tests.billing.automation.conftest import Clock, add_link, add_meter, local, runtime

A1, A2 = "000000000001", "000000000002"
LIVE = ("energy", "relay", "voltage", "current", "power")


def _tag(db, number: str, kind="area", name="一号楼") -> None:
    with db.write() as s:
        tag = s.scalar(sa.select(Tag).where(Tag.kind == kind, Tag.name == name))
        if tag is None:
            tag = Tag(kind=kind, name=name)
            s.add(tag)
            s.flush()
        s.add(MeterTag(meter_id=s.scalar(sa.select(Meter.id).where(Meter.number == number)), tag_id=tag.id))


def _open(db) -> dict[tuple[str, str], Alarm]:
    with db.read() as s:
        rows = s.execute(sa.select(Alarm, Meter.number).join(Meter, Meter.id == Alarm.meter_id)
                         .where(Alarm.state != "cleared")).all()
        return {(n, a.kind): a for a, n in rows}


def test_over_voltage_raised_kept_in_margin_and_cleared(db, superadmin, bus_sim, sim_clock):
    server = bus_sim(f"dlt645-2007:{A1}-{A2}/kw=1")
    link = add_link(db, server.url)
    m1, _m2 = add_meter(db, link, A1), add_meter(db, link, A2)
    _tag(db, m1)                                        # m2 is in no group: no limits, no alarms
    set_thresholds(db, superadmin, "tag:area:一号楼", Limits(over_voltage=Decimal("253"),
                                                           under_voltage=Decimal("198")))
    meter = server.bus.meter(A1)
    server.bus.meter(A2).voltage = Decimal("300.0")
    meter.voltage = Decimal("258.3")
    rt = runtime(db, Clock(local(2026, 11, 20, 10, 0)), quantities=LIVE)
    try:
        sim_clock.advance(600)
        rt.run_once()
        alarms = _open(db)
        assert set(alarms) == {(m1, "over_voltage")}
        assert alarms[(m1, "over_voltage")].state == "open"
        i18n.set_language("zh_CN")
        row = alarm_log.list_alarms(db, superadmin, open_only=True)[0]
        assert row.title == "电压过高"
        from billing.quality_words import describe
        assert describe(row.kind, row.details) == "电压过高 258.3 V（上限 253 V）"
        i18n.set_language("en")

        meter.voltage = Decimal("250.0")                # inside, but not by 2 %: stays raised
        sim_clock.advance(600)
        rt.run_once()
        assert set(_open(db)) == {(m1, "over_voltage")}

        meter.voltage = Decimal("240.0")                # back inside the margin: cleared
        sim_clock.advance(600)
        rt.run_once()
        assert _open(db) == {}
        with db.read() as s:
            cleared = s.execute(sa.select(Alarm).where(Alarm.kind == "over_voltage")).scalars().all()
        assert [a.state for a in cleared] == ["cleared"]

        meter.voltage = Decimal("190.0")                # under-voltage now
        sim_clock.advance(600)
        rt.run_once()
        assert set(_open(db)) == {(m1, "under_voltage")}
    finally:
        rt.stop()


def test_meter_override_overload_and_removed_limits_clear(db, superadmin, bus_sim, sim_clock):
    server = bus_sim(f"dlt645-2007:{A1}/kw=3")
    m1 = add_meter(db, add_link(db, server.url), A1)
    set_thresholds(db, superadmin, "all", Limits(overload=Decimal("5"), over_current=Decimal("60")))
    set_thresholds(db, superadmin, f"meter:{m1}", Limits(overload=Decimal("2.5")))   # the meter's own limit wins
    rt = runtime(db, Clock(local(2026, 11, 20, 10, 0)), quantities=LIVE)
    try:
        sim_clock.advance(600)
        rt.run_once()
        alarms = _open(db)
        assert set(alarms) == {(m1, "overload")}
        details = alarm_log.list_alarms(db, superadmin, open_only=True)[0].details
        assert (details["value"], details["limit"], details["unit"]) == ("3", "2.5", "kW")
        remove_thresholds(db, superadmin, f"meter:{m1}")          # back to "all": 5 kW, inside
        sim_clock.advance(600)
        rt.run_once()
        assert _open(db) == {}
    finally:
        rt.stop()


def test_no_thresholds_no_alarms(db, superadmin, bus_sim, sim_clock):
    server = bus_sim(f"dlt645-2007:{A1}/kw=30")
    add_meter(db, add_link(db, server.url), A1)
    server.bus.meter(A1).voltage = Decimal("400.0")
    rt = runtime(db, Clock(local(2026, 11, 20, 10, 0)), quantities=LIVE)
    try:
        sim_clock.advance(600)
        rt.run_once()
        assert _open(db) == {}
    finally:
        rt.stop()
