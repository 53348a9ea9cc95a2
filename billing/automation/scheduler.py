"""APScheduler 3 for the station's jobs, with its job store in the station's database.

Periodic jobs and reading schedules live in the SQLAlchemyJobStore ("apscheduler_jobs", on the
database's writer engine) so schedules survive restarts; the minute jobs (arrears, notices, timed) and
the catch-up on start are in memory. Every job is a textual reference to
billing.automation.jobs:fire with the job's name as its only argument; the running context is
found through billing.automation.jobs.register(). Ids start with "ms." and each start replaces
them from the current settings and reading schedules (stale ones are removed).
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from billing.automation.calendar import parse_hhmm, setting
from billing.automation.job_runs import JobContext
from billing.automation.jobs import ABNORMAL_USE_AT, MINUTE, backup_time, register
from models.automation import ReadSchedule
from models.db import Database

log = logging.getLogger(__name__)
FIRE = "billing.automation.jobs:fire"
PREFIX = "ms."


def _cron(hhmm: str, **fields: Any) -> CronTrigger:
    t = parse_hhmm(hhmm)
    return CronTrigger(hour=t.hour, minute=t.minute, **fields)


def job_table(db: Database) -> dict[str, tuple[str, Any]]:
    """id -> (job name, trigger) of the persistent jobs, from settings and reading schedules."""
    with db.read() as s:
        frozen = setting(s, "automation.frozen_daily_at")
        table: dict[str, tuple[str, Any]] = {
            "frozen_daily": ("frozen_daily", _cron(frozen)),
            "frozen_monthly": ("frozen_monthly", _cron(frozen, day=1)),
            "clock_sync": ("clock_sync", _cron(setting(s, "automation.clock_sync_at"))),
            "subsidy_expire": ("subsidy_expire", _cron("00:00", day=1)),
            "subsidy_grant": ("subsidy_grant", _cron(setting(s, "automation.subsidy_time"),
                                                     day=int(setting(s, "automation.subsidy_day")))),
            "postpaid_bill": ("postpaid_bill", _cron(setting(s, "automation.postpaid_time"),
                                                     day=int(setting(s, "automation.postpaid_day")))),
            "backup": ("backup", _cron(backup_time(s))),
            "abnormal_use": ("abnormal_use", _cron(ABNORMAL_USE_AT)),
        }
        for rs in s.execute(sa.select(ReadSchedule).where(ReadSchedule.enabled.is_(True))).scalars():
            name = f"read:{rs.id}"
            if rs.kind == "interval":
                continue                         # the poller's own per-meter interval does it
            if rs.kind == "hourly":
                trig = CronTrigger(minute=parse_hhmm(rs.at_time).minute)
            elif rs.kind == "daily":
                trig = _cron(rs.at_time)
            elif rs.kind == "weekly":
                trig = _cron(rs.at_time, day_of_week=rs.weekday)
            else:
                trig = _cron(rs.at_time, day=rs.day)
            table[name] = (name, trig)
    return {PREFIX + k: v for k, v in table.items()}


class StationScheduler:
    """A BackgroundScheduler running the station's jobs for one JobContext."""

    def __init__(self, ctx: JobContext, *, catch_up: bool = True) -> None:
        self.ctx = ctx
        self.catch_up = catch_up
        self._scheduler: BackgroundScheduler | None = None

    @property
    def running(self) -> bool:
        return self._scheduler is not None

    def _make(self) -> BackgroundScheduler:
        return BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=self.ctx.db.writer, tablename="apscheduler_jobs"),
                       "memory": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(1)},      # one job at a time: ordered effects
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 6 * 3600})

    def start(self) -> None:
        if self._scheduler is not None:
            return
        register(self.ctx)
        self._scheduler = self._make()
        self._scheduler.start(paused=True)
        self.sync_jobs()
        for name in MINUTE:
            self._scheduler.add_job(FIRE, IntervalTrigger(minutes=1), args=[name], id=PREFIX + name,
                                    jobstore="memory", replace_existing=True)
        if self.catch_up:
            self._scheduler.add_job(FIRE, DateTrigger(datetime.now(UTC) + timedelta(seconds=1)),
                                    args=["catch_up"], id=PREFIX + "catch_up", jobstore="memory",
                                    replace_existing=True)
        self._scheduler.resume()

    def sync_jobs(self) -> None:
        """(Re)write the persistent jobs from the settings; drop ours that are gone."""
        assert self._scheduler is not None
        wanted = job_table(self.ctx.db)
        for job in self._scheduler.get_jobs(jobstore="default"):
            if job.id.startswith(PREFIX) and job.id not in wanted:
                job.remove()
        for job_id, (name, trigger) in wanted.items():
            self._scheduler.add_job(FIRE, trigger, args=[name], id=job_id, name=name,
                                    jobstore="default", replace_existing=True)

    def jobs(self) -> list[tuple[str, datetime | None]]:
        """(id, next run time) of every scheduled job."""
        if self._scheduler is None:
            return []
        return sorted((j.id, j.next_run_time) for j in self._scheduler.get_jobs())

    def stop(self) -> None:
        if self._scheduler is None:
            return
        try:
            self._scheduler.shutdown(wait=True)
        finally:
            self._scheduler = None
            register(None)
