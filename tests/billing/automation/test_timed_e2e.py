"""Timed remote control end to end: the minute job on the job station queues the trips at the
scheduled local time and the simulated meters' relays open; at the "on" time they close, except
the one an administrator tripped. The CLI twin: timed add/list/next/remove with rights and
refusals. The APScheduler minute job "ms.timed" is registered on the job station."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from access import login as auth
from access import operators as operator_service
from billing import control
from billing.automation import jobs
from billing.automation.scheduler import StationScheduler
from billing.timed.service import TimedSpec, add_timed, list_timed
from models.archive import Meter
from models.db import Database
from models.oplog import OpLogEntry
from tests.billing.automation.conftest import Clock, add_link, add_meter, local, runtime
from tests.billing.automation.timed_helpers import shanghai, tag_meters  # noqa: F401 - fixture

A1, A2, A3 = "000000000001", "000000000002", "000000000003"


@pytest.mark.usefixtures("shanghai")
def test_relays_open_and_close_at_the_scheduled_times(db, superadmin, bus_sim):
    server = bus_sim(f"dlt645-2007:{A1}/kw=1,dlt645-2007:{A2}/kw=1,dlt645-2007:{A3}/kw=1")
    link = add_link(db, server.url)
    numbers = [add_meter(db, link, a) for a in (A1, A2, A3)]
    tag_meters(db, "market:一层商铺", numbers[:2])
    add_timed(db, superadmin, TimedSpec("商铺关门", "market:一层商铺", off_at="21:30", on_at="07:00"))
    clock = Clock(local(2026, 11, 20, 21, 29))
    rt = runtime(db, clock)
    try:
        meters = [server.bus.meter(a) for a in (A1, A2, A3)]
        assert jobs.run_minute(rt.context, "timed").applied == []
        rt.deliver_commands()
        assert [m.relay_open for m in meters] == [False, False, False]
        clock.set(local(2026, 11, 20, 21, 30))
        assert jobs.run_minute(rt.context, "timed").applied == [("商铺关门", "2026-11-20T21:30 off")]
        assert jobs.run_minute(rt.context, "timed").applied == []
        rt.deliver_commands()
        assert [m.relay_open for m in meters] == [True, True, False]          # the untagged meter stays on
        with db.read() as s:
            a2 = s.scalar(sa.select(Meter.id).where(Meter.number == numbers[1]))
        control.send_command(db, superadmin, [a2], "trip")                      # administrator holds A2 off
        rt.deliver_commands()
        clock.set(local(2026, 11, 21, 7, 0))
        assert jobs.run_minute(rt.context, "timed").applied == [("商铺关门", "2026-11-20T07:00 on")]
        rt.deliver_commands()
        assert [m.relay_open for m in meters] == [False, True, False]
    finally:
        rt.stop()


def test_scheduler_registers_the_minute_job(db):
    sched = StationScheduler(jobs.JobContext(db, "T"), catch_up=False)
    sched.start()
    try:
        assert "ms.timed" in [job_id for job_id, _next in sched.jobs()]
    finally:
        sched.stop()


@pytest.fixture
def cli(cli, monkeypatch):
    """The shared in-process CLI (tests/conftest.py) on a station with a cashier and a tagged
    meter: (run, db, monkeypatch)."""
    db = Database.open(cli.url, upgrade=True)
    actor = auth.login(db, "root", "secret-1", "TEST")
    operator_service.add_operator(db, actor, "cash", "secret-2", "cashier", "", None)
    link = add_link(db, "tcp://127.0.0.1:9")
    tag_meters(db, "area:宿舍楼", [add_meter(db, link, A1)])
    yield cli, db, monkeypatch
    db.dispose()


@pytest.mark.usefixtures("shanghai")
def test_cli_add_list_next_remove(cli):
    run, db, monkeypatch = cli
    code, out, err = run("timed", "add", "宿舍熄灯", "--tag", "area:宿舍楼", "--off", "23:00", "--on", "06:00",
                         "--days", "school", "--skip", "2026-12-31", "2027-01-01", "--json")
    assert code == 0, err
    assert json.loads(out) == {"timed": "宿舍熄灯"}
    code, out, err = run("timed", "list", "--json")
    assert json.loads(out)["timed"] == [{"name": "宿舍熄灯", "tag": "area:宿舍楼", "off": "23:00", "on": "06:00",
                                         "days": "school", "dates": [], "skip": ["2026-12-31", "2027-01-01"],
                                         "enabled": True}]
    code, out, err = run("timed", "next", "--count", "4", "--json")
    nxt = json.loads(out)["next"]
    assert code == 0 and len(nxt) == 4 and {n["action"] for n in nxt} == {"off", "on"}
    assert all(n["at"][11:16] in ("23:00", "06:00") and n["at"].endswith("+08:00") for n in nxt)
    code, out, err = run("timed", "list")
    assert "宿舍熄灯" in out and "School days" in out and "2026-12-31" in out


def test_cli_refusals_change_nothing(cli):
    run, db, monkeypatch = cli
    for args in (["--off", "24:10"], ["--off", "22:00", "--skip", "2026-13-01"], [],
                 ["--off", "22:00", "--days", "dates"]):
        code, out, err = run("timed", "add", "x", "--tag", "area:宿舍楼", *args)
        assert code == 1 and err.count("\n") == 1 and "Traceback" not in err, (args, err)
    code, out, err = run("timed", "add", "x", "--tag", "area:nowhere", "--off", "22:00")
    assert code == 1 and "nowhere" in err
    with pytest.raises(SystemExit) as usage:                     # wrong usage: exit 2
        run("timed", "add", "x", "--tag", "area:宿舍楼", "--off", "22:00", "--days", "never")
    assert usage.value.code == 2
    monkeypatch.setenv("METERSTATION_OPERATOR", "cash")
    monkeypatch.setenv("METERSTATION_PASSWORD", "secret-2")
    code, out, err = run("timed", "add", "x", "--tag", "area:宿舍楼", "--off", "22:00")
    assert code == 1 and "Relay and valve control" in err
    code, out, err = run("timed", "remove", "nothing")
    assert code == 1
    assert list_timed(db) == []
    with db.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(OpLogEntry).where(OpLogEntry.action == "timed.add")) == 0
