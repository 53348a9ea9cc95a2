"""PollStore against the simulator: readings stored and flagged, live meter columns, fail
streaks, lost and back online, link state."""
from __future__ import annotations

import json
from decimal import Decimal

import sqlalchemy as sa

from models.archive import Reading, live_values
from tests.comms.polling.conftest import E1, E2, link, meter, meter_id, poll_once, worker_factory


def readings(db, number):
    with db.read() as s:
        return s.execute(sa.select(Reading.energy_milli, Reading.flag, Reading.meter_balance_fen)
                         .where(Reading.meter_id == meter_id(db, number)).order_by(Reading.id)).all()


def test_readings_and_live_values(station, sim):
    db = station
    sim.bus.meter(E1).energy_t[1] = Decimal("12.34")
    summary, store = poll_once(db, quantities=("energy", "voltage", "balance", "relay"))
    assert (summary.meters, summary.ok, summary.failed) == (4, 4, 0)
    assert store.stored == 3 and store.flagged == 0     # W1 was asked for no quantity it has
    (energy, flag, balance), = readings(db, "E1")
    assert energy == 12340 and flag == "" and balance == 10000
    m = meter(db, "E1")
    assert m.relay_state == "closed" and m.fail_streak == 0 and m.comm_state == "online"
    assert m.last_read_at is not None and m.last_read_at.tzinfo is not None
    raw = json.loads(m.last_values)
    assert raw["energy"] == "12.34" and raw["voltage"] == "220.0" and raw["relay"] == "closed"
    assert all(isinstance(v, str) for k, v in raw.items() if k != "units")        # never floats
    values, units = live_values(m.last_values)
    assert values["balance"] == "100.00" and units == {"energy": "kWh", "voltage": "V", "balance": "CNY"}
    assert meter(db, "W1").relay_state == "unknown"                # a water meter has no relay
    bus = link(db)
    assert bus.state == "online" and bus.last_ok_at is not None


def test_relay_state_follows_the_meter(station, sim):
    db = station
    sim.bus.meter(E2).relay_open = True
    poll_once(db, quantities=("energy", "relay"))
    assert meter(db, "E2").relay_state == "open" and meter(db, "E1").relay_state == "closed"
    poll_once(db, quantities=("energy",))                        # relay not read: left as it was
    assert meter(db, "E2").relay_state == "open"


def test_backwards_and_jump_are_flagged(station, sim):
    db = station
    m1 = sim.bus.meter(E1)
    m1.energy_t[1] = Decimal("100")
    poll_once(db)
    m1.energy_t[1] = Decimal("90")                              # went backwards
    poll_once(db)
    m1.energy_t[1] = Decimal("5000")                            # 4900 kWh in a second: a jump
    poll_once(db)
    m1.energy_t[1] = Decimal("100.5")                           # plausible again
    poll_once(db)
    assert [(e, f) for e, f, _b in readings(db, "E1")] == [
        (100000, ""), (90000, "backwards"), (5000000, "jump"), (100500, "")]


def test_silent_meter_goes_lost_and_comes_back(station, sim):
    db = station
    sim.bus.set_fault(E2, "silent")
    summary, _s = poll_once(db, worker=worker_factory(lost_after=2))
    assert (summary.ok, summary.failed) == (3, 1)
    assert meter(db, "E2").fail_streak == 1            # one timeout per cycle: no 补抄 of silence
    assert meter(db, "E1").comm_state == "online" and readings(db, "E2") == []
    summary, _s = poll_once(db, worker=worker_factory(lost_after=2))
    m = meter(db, "E2")
    assert m.fail_streak == 2 and m.comm_state == "lost"
    summary, _s = poll_once(db, worker=worker_factory(lost_after=2))
    assert meter(db, "E2").fail_streak == 3                     # lost: one attempt per cycle
    sim.bus.set_fault(E2, None)
    summary, _s = poll_once(db, worker=worker_factory(lost_after=2))
    m = meter(db, "E2")
    assert summary.failed == 0 and m.fail_streak == 0 and m.comm_state == "online"
    assert len(readings(db, "E2")) == 1


def test_dead_converter_marks_the_link_not_the_meters(station, sim, superadmin):
    from archive import service as svc

    db = station
    svc.update_link(db, superadmin, "bus1", url="tcp://127.0.0.1:9")      # nothing listens there
    summary, _s = poll_once(db)
    assert summary.ok == 0 and summary.failed == 4
    assert link(db).state == "lost"
    assert {meter(db, n).fail_streak for n in ("E1", "E2", "E3", "W1")} == {0}
