"""Polling facts a site manager can trust (issue 15 item 12), over the loopback simulator:
lost since, meters behind a lost link unreachable, read attempts and successes per meter-day."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from archive import service as svc
from billing.reports import field as report_comms
from models.archive import MeterReadDay
from models.rights import system_actor
from tests.comms.polling.conftest import E2, link, meter, meter_id, poll_once, worker_factory

STATION = system_actor("T")        # the station itself reads its polling facts


def _days(db, number: str) -> list[tuple[int, int]]:
    with db.read() as s:
        return [tuple(r) for r in s.execute(sa.select(MeterReadDay.attempts, MeterReadDay.successes)
                                            .where(MeterReadDay.meter_id == meter_id(db, number)))]


def test_lost_since_is_set_kept_and_cleared(station, sim):
    db = station
    sim.bus.set_fault(E2, "silent")
    poll_once(db, worker=worker_factory(lost_after=1))
    first = meter(db, "E2")
    assert first.comm_state == "lost" and first.lost_since is not None
    poll_once(db, worker=worker_factory(lost_after=1))
    assert meter(db, "E2").lost_since == first.lost_since            # since when it went lost, not last cycle
    rows = {r.name: r for r in report_comms.lost(db, actor=STATION)}
    assert rows["E2"].what == "meter" and rows["E2"].since == first.lost_since
    sim.bus.set_fault(E2, None)
    poll_once(db, worker=worker_factory(lost_after=1))
    back = meter(db, "E2")
    assert back.comm_state == "online" and back.lost_since is None


def test_meters_behind_a_dead_converter_are_unreachable(station, sim, superadmin):
    db = station
    poll_once(db)
    assert meter(db, "E1").comm_state == "online"
    svc.update_link(db, superadmin, "bus1", url="tcp://127.0.0.1:9")      # nothing listens there
    poll_once(db)
    assert link(db).state == "lost"
    states = {n: meter(db, n) for n in ("E1", "E2", "E3", "W1")}
    assert {m.comm_state for m in states.values()} == {"unreachable"}
    assert {m.fail_streak for m in states.values()} == {0}              # not the meters' failure
    rows = report_comms.lost(db, actor=STATION)
    assert [(r.what, r.name) for r in rows] == [("link", "bus1")] + [("unreachable", n) for n in states]
    svc.update_link(db, superadmin, "bus1", url=sim.url)
    poll_once(db)
    assert {meter(db, n).comm_state for n in states} == {"online"}


def test_read_success_is_reads_over_attempts(station, sim):
    db = station
    sim.bus.set_fault(E2, "silent")
    for _ in range(2):
        poll_once(db, worker=worker_factory(lost_after=5))
    sim.bus.set_fault(E2, None)
    poll_once(db, worker=worker_factory(lost_after=5))
    assert _days(db, "E1") == [(3, 3)] and _days(db, "E2") == [(3, 1)]
    today = datetime.now().astimezone().date()
    meters = {r.meter: r for r in report_comms.read_success(db, today, today, by_meter=True, actor=STATION)}
    assert (meters["E2"].attempts, meters["E2"].successes, str(meters["E2"].rate)) == (3, 1, "33.33")
    [bus] = report_comms.read_success(db, today, today, actor=STATION)
    assert (bus.attempts, bus.successes, str(bus.rate)) == (12, 10, "83.33")
    assert report_comms.read_success(db, date(2020, 1, 1), date(2020, 1, 1), actor=STATION)[0].rate is None
