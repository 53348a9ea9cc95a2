"""What a scheduled job runs with and how each of its occurrences is recorded exactly once
(JobRun(job, period), unique): the context, and the recording the effects (periodic.py) and the
catch-up (jobs.py) share.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.orm import Session

from billing.automation.calendar import utcnow
from billing.automation.periods import Occurrence
from models.automation import JobRun
from models.db import Database
from models.rights import Actor, system_actor


@dataclass
class JobContext:
    """What a job needs: the database, who acts, what time it is, and the runtime (or None)."""
    db: Database
    station: str
    clock: Callable[[], datetime] = utcnow
    runtime: Any = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    # sends the due SMS notices (station/sms_delivery.py, set by the station runtime: sending
    # talks to a modem, which billing never does); None: notices are queued, not sent
    send_notices: Callable[[Database, datetime], Any] | None = None
    # the service identity the runtime acts as (access/service_identity.py); None: the
    # station's own "system" (a context without a runtime: the demo's history)
    service: Actor | None = None

    @property
    def actor(self) -> Actor:
        """The station's own `system`, for the jobs that need rights the service role must not
        hold: postpaid bills and their documents (account_edit, sell - a service identity
        never sells) and the backup (backup: a copy of the whole database)."""
        return system_actor(self.station)

    @property
    def service_actor(self) -> Actor:
        """Who does the polling service's own work (docs/product.md: it reads, settles, trips
        on arrears, grants the monthly subsidies, sends the notices): the service identity, so
        its rights are set in one place (its role) and its log rows name it."""
        return self.service or self.actor

    @property
    def relay_actor(self) -> Actor:
        return self.service_actor


def _claim(s: Session, ctx: JobContext, occ: Occurrence, details: dict[str, Any] | None = None) -> None:
    s.add(JobRun(job=occ.job, period=occ.period, station=ctx.station, started_at=ctx.clock(),
                 finished_at=ctx.clock(), details=json.dumps(details or {}, ensure_ascii=False, default=str)))
    s.flush()


def run_once_recorded(ctx: JobContext, occ: Occurrence, effect: Callable[[Any], dict[str, Any]]) -> bool:
    """Effect and JobRun in one transaction; False if the period was done already."""
    try:
        with ctx.db.write() as s:
            _claim(s, ctx, occ)
            details = effect(s)
            row = s.execute(sa.select(JobRun).where(JobRun.job == occ.job, JobRun.period == occ.period)).scalar_one()
            row.details = json.dumps(details, ensure_ascii=False, default=str)
        return True
    except exc.IntegrityError:
        return False


def record_done(ctx: JobContext, occ: Occurrence, details: dict[str, Any]) -> bool:
    """Record a period whose (idempotent) effect is done; False if another station recorded it."""
    try:
        with ctx.db.write() as s:
            _claim(s, ctx, occ, details)
        return True
    except exc.IntegrityError:
        return False


def is_done(ctx: JobContext, occ: Occurrence) -> bool:
    with ctx.db.read() as s:
        return s.scalar(sa.select(JobRun.id).where(JobRun.job == occ.job, JobRun.period == occ.period)) is not None


