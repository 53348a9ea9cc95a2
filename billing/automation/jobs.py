"""The scheduled jobs and their exactly-once catch-up (their effects: periodic.py).

Periodic jobs (each occurrence recorded as JobRun(job, period), unique):

    frozen_daily    daily at automation.frozen_daily_at: queue meter.read_frozen {"kind": "daily", "n"}
    frozen_monthly  day 1 at the same time: meter.read_frozen {"kind": "monthly", "n"}
    clock_sync      daily at automation.clock_sync_at: queue meter.sync_clock (latest missed only)
    subsidy_expire  day 1 at 00:00: expire/carry last month's unspent subsidy
    subsidy_grant   automation.subsidy_day at automation.subsidy_time: grant the month's subsidy
    postpaid_bill   automation.postpaid_day at automation.postpaid_time: bill postpaid accounts
                    for the cycle ending then (labelled with the previous month)
    backup          daily at backup.time (if declared) or 02:00: models.backup.scheduled_backup
    abnormal_use    daily at 00:30: abnormal-use alarms for the day before (billing/abnormal_use.py)

Minute jobs (state-driven, no JobRun): arrears (trip-at times, quiet hours ending), notices
(billing.notices queues them; the runtime's send_notices sends them), timed (timed remote control, billing/timed/run.py:
each schedule occurrence has its own JobRun "timed:<id>").

run_due(ctx) runs every missed occurrence of every periodic job in time order (an expiry before
the next month's grant), each once: jobs whose effect is ours write their JobRun in the same
transaction as the effect; jobs that call a service with its own transaction (subsidies, bills)
rely on that service being idempotent per period (ledger unique period keys) and record the
JobRun after it. A unique-constraint collision means another station did it: already done.
APScheduler calls fire(name) (textual reference, no unpicklable arguments); fire looks up the
running context registered by the runtime.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from billing.automation import arrears, periods
from billing.automation.calendar import setting
from billing.automation.job_runs import JobContext
from billing.automation.periods import Occurrence
from models.automation import JobRun

log = logging.getLogger(__name__)

PERIODIC = ("subsidy_expire", "subsidy_grant", "frozen_daily", "frozen_monthly", "clock_sync",
            "postpaid_bill", "backup", "abnormal_use")
MINUTE = ("arrears", "notices", "timed")
ABNORMAL_USE_AT = "00:30"        # after midnight: yesterday's readings are in


# --- registry of the running context (APScheduler jobs are module:function references) ------
_current: JobContext | None = None
_registry_lock = threading.Lock()


def register(ctx: JobContext | None) -> None:
    global _current
    with _registry_lock:
        _current = ctx


def current() -> JobContext | None:
    return _current


def fire(name: str) -> None:
    """APScheduler's entry point: run job `name` in the registered context."""
    ctx = current()
    if ctx is None:
        log.warning("job %s fired with no station runtime running", name)
        return
    try:
        if name.startswith("read:"):
            if ctx.runtime is not None:
                ctx.runtime.read_group(None if name == "read:all" else int(name.split(":", 1)[1]))
        elif name in MINUTE:
            run_minute(ctx, name)
        elif ctx.runtime is not None:
            ctx.runtime.catch_up()             # publishes what ran
        else:
            run_due(ctx)
    except Exception:  # noqa: BLE001 - a failing job must not stop the scheduler
        log.exception("scheduled job %s failed", name)


# --- occurrences --------------------------------------------------------------------------------
def backup_time(s: Session) -> str:
    """backup.at (a station setting of the job station: where the backups are written)."""
    return str(setting(s, "backup.at"))


def occurrences(ctx: JobContext, job: str, now: datetime) -> list[Occurrence]:
    with ctx.db.read() as s:
        frozen_at = setting(s, "automation.frozen_daily_at")
        if job == "frozen_daily":
            return periods.daily(job, frozen_at, now, 31, order=2, label_offset_days=-1)
        if job == "frozen_monthly":
            return periods.monthly(job, 1, frozen_at, now, 12, order=3, label_offset_months=-1)
        if job == "clock_sync":
            return periods.daily(job, setting(s, "automation.clock_sync_at"), now, 1, order=4)
        if job == "subsidy_expire":
            return periods.monthly(job, 1, "00:00", now, 12, order=0, label_offset_months=-1)
        if job == "subsidy_grant":
            return periods.monthly(job, int(setting(s, "automation.subsidy_day")),
                                   setting(s, "automation.subsidy_time"), now, 12, order=1)
        if job == "postpaid_bill":
            return periods.monthly(job, int(setting(s, "automation.postpaid_day")),
                                   setting(s, "automation.postpaid_time"), now, 12, order=5,
                                   label_offset_months=-1)
        if job == "backup":
            return periods.daily(job, backup_time(s), now, 1, order=6)
        if job == "abnormal_use":
            return periods.daily(job, ABNORMAL_USE_AT, now, 1, order=7, label_offset_days=-1)
    raise ValueError(f"unknown job {job!r}")


def due_now(ctx: JobContext, now: datetime | None = None, jobs: tuple[str, ...] = PERIODIC) -> list[Occurrence]:
    """Every missed occurrence of the periodic jobs, in the order they must run."""
    now = now or ctx.clock()
    todo: list[Occurrence] = []
    for job in jobs:
        occ = occurrences(ctx, job, now)
        with ctx.db.read() as s:
            done = set(s.execute(sa.select(JobRun.period).where(JobRun.job == job,
                                                                JobRun.period.in_([o.period for o in occ]))).scalars())
            newest = s.scalar(sa.select(sa.func.max(JobRun.period)).where(JobRun.job == job))
        todo += periods.missing(occ, done, newest)
    return sorted(todo)


def runner(job: str) -> Callable[[JobContext, Occurrence, datetime], bool]:
    from billing.automation.periodic import RUNNERS

    return RUNNERS[job]


def run_due(ctx: JobContext, now: datetime | None = None, jobs: tuple[str, ...] = PERIODIC) -> list[tuple[str, str]]:
    """Catch up: run each missed occurrence once, oldest first; returns (job, period) run."""
    with ctx.lock:
        now = now or ctx.clock()
        ran = []
        for occ in due_now(ctx, now, jobs):
            try:
                if runner(occ.job)(ctx, occ, now):
                    ran.append((occ.job, occ.period))
            except Exception:  # noqa: BLE001 - the next occurrence / job still runs
                log.exception("job %s for %s failed", occ.job, occ.period)
        if ran and ctx.runtime is not None:
            ctx.runtime.wake()
        return ran


# --- minute jobs ------------------------------------------------------------------------------
def run_minute(ctx: JobContext, name: str, now: datetime | None = None) -> Any:
    now = now or ctx.clock()
    if name == "arrears":
        with ctx.db.write() as s:
            result = arrears.check_all(s, now, ctx.service_actor)
        if result.tripped and ctx.runtime is not None:
            ctx.runtime.wake()
        return result
    if name == "timed":
        from billing.timed.run import run_due as run_timed

        timed = run_timed(ctx.db, now, ctx.service_actor, ctx.station)
        if timed.queued and ctx.runtime is not None:
            ctx.runtime.wake()
        return timed
    if name == "notices":
        from billing import notices

        out = [notices.notify_new_alarms(ctx.db, now, operator=ctx.service_actor.name)]
        if ctx.send_notices is not None:
            out.append(ctx.send_notices(ctx.db, now))
        return out
    raise ValueError(f"unknown job {name!r}")
