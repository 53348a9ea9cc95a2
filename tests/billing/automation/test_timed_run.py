"""Timed remote control on a database (SQLite and PostgreSQL): each occurrence queues its trips
or closes exactly once (run twice, two stations at once), an "on" never closes a relay arrears
or an operator holds open, missed occurrences follow the catch-up policy, every change is logged
and needs the relay-control right."""
from __future__ import annotations

import json
import threading
from datetime import date

import pytest
import sqlalchemy as sa

from billing import control
from billing.automation import arrears
from billing.timed.run import run_due
from billing.timed.service import (
    TimedSpec,
    add_timed,
    list_timed,
    next_occurrences,
    remove_timed,
    set_workdays,
)
from models.archive import Meter
from models.automation import JobRun
from models.db import Database
from models.errors import InvalidInput, PermissionDenied
from models.ledger import OutboxItem
from models.oplog import OpLogEntry
from models.rights import Actor
from tests.billing.automation.conftest import add_link, add_meter, local, open_prepaid
from tests.billing.automation.timed_helpers import shanghai, tag_meters  # noqa: F401 - fixture

DORM = "area:宿舍楼"


def _setup(db, actor):
    link = add_link(db, "tcp://127.0.0.1:9")
    numbers = {k: add_meter(db, link, f"00000000000{i}", number=k, keep_power=(k == "KEEP"))
               for i, k in enumerate(["PLAIN", "KEEP", "MANUAL", "OWES", "LATER", "ARREARS"], 1)}
    add_meter(db, link, "000000000099", number="OTHER")                  # not in the group
    water = add_meter(db, link, "00000000000000", number="WATER", kind="water")   # a valve: not switched
    tag_meters(db, DORM, [*numbers, water])
    open_prepaid(db, actor, ["OWES"], arrears="trip-at=23:59")            # balance 0: in arrears
    open_prepaid(db, actor, ["ARREARS"], arrears="trip-now")
    add_timed(db, actor, TimedSpec("宿舍熄灯", DORM, off_at="23:00", on_at="06:00", days="school"))
    return _ids(db)


def _ids(db) -> dict[str, int]:
    with db.read() as s:
        return dict(s.execute(sa.select(Meter.number, Meter.id)).all())


def _items(db) -> list[tuple[str, str, str]]:
    """(kind, meter number, reason) of every relay command, in queue order."""
    with db.read() as s:
        rows = s.execute(sa.select(OutboxItem.kind, Meter.number, OutboxItem.payload)
                         .join(Meter, Meter.id == OutboxItem.meter_id)
                         .where(OutboxItem.kind.in_(["meter.trip", "meter.close"])).order_by(OutboxItem.id)).all()
    return [(k, n, json.loads(p or "{}").get("reason", "")) for k, n, p in rows]


@pytest.mark.usefixtures("shanghai")
def test_off_then_on_respects_holds_and_runs_once(db, superadmin):
    actor = superadmin
    ids = _setup(db, actor)
    with db.write() as s:                                                  # arrears trips ARREARS at 14:00
        arrears.check_all(s, local(2026, 11, 20, 14, 0), actor)
    control.send_command(db, actor, [ids["MANUAL"]], "trip")             # an administrator's trip
    before = _items(db)
    assert [(k, n) for k, n, _r in before] == [("meter.trip", "ARREARS"), ("meter.trip", "MANUAL")]

    r = run_due(db, local(2026, 11, 20, 22, 59), actor, "A")                # Friday, before 23:00
    assert r.applied == [] and r.missed == [("宿舍熄灯", "2026-11-19T06:00 on")]   # 17 h late: not applied
    r = run_due(db, local(2026, 11, 20, 23, 0), actor, "A")
    assert r.applied == [("宿舍熄灯", "2026-11-20T23:00 off")]
    trips = _items(db)[2:]
    assert trips == [("meter.trip", n, "timed") for n in ("PLAIN", "OWES", "LATER")]   # not KEEP, MANUAL, ARREARS
    for _ in range(2):                                                     # the minute job again: nothing
        assert run_due(db, local(2026, 11, 20, 23, 1), actor, "A").applied == []
    assert len(_items(db)) == 5

    control.send_command(db, actor, [ids["LATER"]], "trip")              # admin trips LATER at night
    r = run_due(db, local(2026, 11, 21, 6, 0), actor, "A")                 # Saturday 06:00: the window's on
    assert r.applied == [("宿舍熄灯", "2026-11-20T06:00 on")]
    closes = [i for i in _items(db) if i[0] == "meter.close"]
    assert closes == [("meter.close", "PLAIN", "timed")]                  # OWES, LATER, MANUAL, ARREARS stay open
    assert run_due(db, local(2026, 11, 21, 23, 0), actor, "A").applied == []       # Saturday: no school
    with db.read() as s:
        log = s.execute(sa.select(OpLogEntry.action, OpLogEntry.details)
                        .where(OpLogEntry.action.like("timed.%")).order_by(OpLogEntry.seq)).all()
    assert [a for a, _d in log] == ["timed.add", "timed.missed", "timed.off", "timed.on"]
    on = json.loads(log[3][1])
    assert (on["queued"], on["held_arrears"], on["held_other"]) == (1, 2, 2)


@pytest.mark.usefixtures("shanghai")
@pytest.mark.parametrize("stations", [2])
def test_two_stations_queue_each_occurrence_once(db, db_url, superadmin, stations):
    _setup(db, superadmin)
    others = [Database.open(db_url) for _ in range(stations)]
    barrier = threading.Barrier(stations)
    results, errors = [], []

    def go(database, name):
        try:
            barrier.wait()
            results.append(run_due(database, local(2026, 11, 20, 23, 0, ), superadmin, name))
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=go, args=(d, f"S{i}")) for i, d in enumerate(others)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for d in others:
        d.dispose()
    assert errors == []
    assert sum(len(r.applied) for r in results) == 1
    assert sorted(n for _k, n, _r in _items(db)) == ["ARREARS", "LATER", "MANUAL", "OWES", "PLAIN"]
    with db.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(JobRun).where(JobRun.job.like("timed:%"))) == 1


@pytest.mark.usefixtures("shanghai")
def test_catch_up_applies_only_the_latest_state(db, superadmin):
    actor = superadmin
    _setup(db, actor)
    # station off from 22:00 to 06:30: the 23:00 off was missed, the 06:00 on is the latest -> no trip
    r = run_due(db, local(2026, 11, 20, 6, 30), actor, "A")
    assert r.applied == [("宿舍熄灯", "2026-11-19T06:00 on")] and _items(db) == []
    r = run_due(db, local(2026, 11, 21, 6, 30), actor, "A")
    assert r.applied == [("宿舍熄灯", "2026-11-20T06:00 on")] and _items(db) == []
    # an off-only schedule missed by more than 12 h is recorded as missed, never applied late
    add_timed(db, actor, TimedSpec("商铺关门", DORM, off_at="08:00", days="every"))
    r = run_due(db, local(2026, 11, 21, 20, 30), actor, "A")
    assert r.missed == [("商铺关门", "2026-11-21T08:00 off")] and r.applied == [] and _items(db) == []
    assert run_due(db, local(2026, 11, 21, 20, 31), actor, "A").missed == []
    r = run_due(db, local(2026, 11, 22, 8, 0), actor, "A")
    assert r.applied == [("商铺关门", "2026-11-22T08:00 off")] and len(_items(db)) == 5


@pytest.mark.usefixtures("shanghai")
def test_workdays_and_next_occurrences(db, superadmin):
    _setup(db, superadmin)
    set_workdays(db, superadmin, [(date(2026, 11, 22), "调休")])          # Sunday worked
    nxt = next_occurrences(db, local(2026, 11, 21, 12, 0), 3)
    assert [(u.at, u.action) for u in nxt] == [(local(2026, 11, 22, 23, 0), "off"),
                                                (local(2026, 11, 23, 6, 0), "on"),
                                                (local(2026, 11, 23, 23, 0), "off")]
    assert nxt[0].schedule == "宿舍熄灯" and nxt[0].tag == DORM


def test_rights_and_validation(db, superadmin):
    _setup(db, superadmin)
    cashier = Actor(name="c", role="cashier", rights=frozenset({"sell"}), station="T")
    with pytest.raises(PermissionDenied):
        add_timed(db, cashier, TimedSpec("x", DORM, off_at="22:00"))
    with pytest.raises(PermissionDenied):
        remove_timed(db, cashier, "宿舍熄灯")
    for bad in (TimedSpec("y", DORM), TimedSpec("y", DORM, off_at="25:00"), TimedSpec("y", DORM, off_at="1:00",
                on_at="01:00"), TimedSpec("y", DORM, off_at="1:00", days="dates"), TimedSpec("", DORM, "1:00")):
        with pytest.raises(InvalidInput):
            add_timed(db, superadmin, bad)
    assert [r.name for r in list_timed(db)] == ["宿舍熄灯"]
    remove_timed(db, superadmin, "宿舍熄灯")
    assert list_timed(db) == []
    with db.read() as s:
        denied = s.scalar(sa.select(sa.func.count()).select_from(OpLogEntry).where(OpLogEntry.action == "denied"))
    assert denied == 2
