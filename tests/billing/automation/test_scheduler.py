"""The scheduler: jobs persisted in the station's database survive a restart; only the job
station runs them; the runtime starts and stops every thread it owns."""
from __future__ import annotations

import sqlalchemy as sa

from billing.automation import jobs
from billing.automation.jobs import JobContext
from billing.automation.scheduler import StationScheduler
from models.automation import ReadSchedule
from tests.billing.automation.conftest import Clock, local, runtime, set_setting


def _stored_ids(db):
    with db.read() as s:
        return set(s.execute(sa.text("SELECT id FROM apscheduler_jobs")).scalars())


def test_jobs_survive_a_restart(db):
    with db.write() as s:
        s.add(ReadSchedule(name="nightly", kind="daily", at_time="01:30"))
        s.add(ReadSchedule(name="fast", kind="interval", every_minutes=5))
    ctx = JobContext(db, "A", Clock(local(2026, 11, 20, 12)))
    first = StationScheduler(ctx, catch_up=False)
    first.start()
    try:
        ids = {i for i, _t in first.jobs()}
    finally:
        first.stop()
    assert jobs.current() is None
    stored = _stored_ids(db)
    assert {"ms.frozen_daily", "ms.subsidy_grant", "ms.subsidy_expire", "ms.postpaid_bill", "ms.clock_sync",
            "ms.read:1"} <= stored
    assert "ms.read:2" not in stored and "ms.arrears" not in stored   # interval: the poller's; minute: memory
    assert stored <= ids
    again = StationScheduler(ctx, catch_up=False)                     # a restart sees the stored jobs
    again._scheduler = again._make()
    again._scheduler.start(paused=True)
    try:
        loaded = {j.id: j for j in again._scheduler.get_jobs(jobstore="default")}
        assert set(loaded) == stored
        assert loaded["ms.read:1"].func_ref == "billing.automation.jobs:fire"
        assert loaded["ms.read:1"].args == ("read:1",)
        assert loaded["ms.frozen_daily"].next_run_time is not None
    finally:
        again._scheduler.shutdown(wait=True)
        again._scheduler = None


def test_stale_jobs_are_removed_on_start(db):
    with db.write() as s:
        s.add(ReadSchedule(name="nightly", kind="daily", at_time="01:30"))
    ctx = JobContext(db, "A", Clock(local(2026, 11, 20, 12)))
    sch = StationScheduler(ctx, catch_up=False)
    sch.start()
    sch.stop()
    with db.write() as s:
        s.execute(sa.delete(ReadSchedule))
    sch.start()
    sch.stop()
    assert "ms.read:1" not in _stored_ids(db)


def test_only_the_job_station_runs_jobs(db, superadmin):
    set_setting(db, superadmin, "automation.job_station", "OTHER")
    rt = runtime(db, run_jobs=True)
    assert not rt.runs_jobs and rt.scheduler is None
    rt.stop()
    set_setting(db, superadmin, "automation.job_station", "T")
    rt = runtime(db, run_jobs=True)
    try:
        assert rt.runs_jobs
        rt.start()
        assert rt.scheduler is not None and rt.scheduler.running
        assert jobs.current() is rt.context
        rt.wake()
        rt.reload()
    finally:
        rt.stop()
    assert not rt.running and jobs.current() is None


def test_catch_up_through_the_runtime(db, superadmin):
    set_setting(db, superadmin, "automation.subsidy_amounts", '{"resident": "1.00"}')
    rt = runtime(db, Clock(local(2026, 11, 20, 12)))
    try:
        ran = rt.catch_up()
        assert ("subsidy_grant", "2026-11") in ran
        assert rt.catch_up() == []
    finally:
        rt.stop()


def test_reading_schedules_set_the_poll_intervals(db, superadmin):
    from models.archive import MeterTag, Tag
    from tests.billing.automation.conftest import add_link, add_meter

    link = add_link(db, "tcp://127.0.0.1:9")
    add_meter(db, link, "000000000001", number="G1")
    add_meter(db, link, "000000000002", number="G2")
    set_setting(db, superadmin, "automation.default_read_minutes", 15)
    with db.write() as s:
        tag = Tag(kind="line", name="shops")
        s.add(tag)
        s.flush()
        s.add(MeterTag(meter_id=1, tag_id=tag.id))
        s.add(ReadSchedule(name="shops", tag_id=tag.id, kind="interval", every_minutes=5))
        s.add(ReadSchedule(name="shops-daily", tag_id=tag.id, kind="daily", at_time="01:00"))
    rt = runtime(db)
    try:
        intervals = {m.number: m.interval for p in rt.plans for m in p.meters}
        assert intervals == {"G1": 300.0, "G2": 900.0}
        assert rt.read_group(2) == 1 and rt.read_group(None) == 2 and rt.read_group(99) == 0
    finally:
        rt.stop()


def test_the_scheduler_catches_up_on_start(db, superadmin):
    import time

    from models.automation import JobRun

    set_setting(db, superadmin, "automation.subsidy_amounts", '{"resident": "1.00"}')
    rt = runtime(db, run_jobs=True)
    rt.start()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with db.read() as s:
                if s.scalar(sa.select(JobRun.id).where(JobRun.job == "subsidy_grant")):
                    break
            time.sleep(0.1)
        else:
            raise AssertionError("no catch-up after start")
    finally:
        rt.stop()
