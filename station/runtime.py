"""StationRuntime: the station's unattended work in one object, for the GUI (session.services
["runtime"]) and for `meterstation poll`.

    rt = StationRuntime(db, station="收费窗口1", events=bus)
    summary = rt.run_once()      # poll every meter once, settle, arrears, deliver the outbox
    rt.start() ... rt.stop()     # the service: poller threads (+ the scheduler on the job station)
    rt.wake()                    # a sale queued a meter command: deliver it now
    rt.reload()                  # the archive changed: rebuild the polling plans

Composition: comms.polling.archive_plans.load_plans -> PollStore (whose after-commit hook settles
the readings, billing/automation/settle_after_read.py, then checks the batch's live values
against the power-quality limits, billing/power_quality.py) -> OutboxSource -> Poller, and on the
job station (setting automation.job_station empty or equal to `station`, and run_jobs=True)
the APScheduler-based StationScheduler with exactly-once catch-up (billing/automation/jobs.py).
Every thread started here is joined by stop().
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from functools import partial

import sqlalchemy as sa

from access import service_identity
from billing import power_quality
from billing.automation import jobs
from billing.automation.arrears import ArrearsResult
from billing.automation.calendar import setting, utcnow
from billing.automation.scheduler import StationScheduler
from billing.automation.settle_after_read import SettleResult, settle_readings
from comms import events as ev
from comms.polling.archive_plans import load_plans
from comms.polling.outbox_source import OutboxSource
from comms.polling.poller import CycleSummary, LinkWorker, Poller
from comms.polling.read_schedule import LinkPlan
from comms.polling.store import PollStore
from models.archive import MeterTag
from models.automation import ReadSchedule
from models.db import Database
from models.errors import PermissionDenied
from models.rights import Actor
from station import sms_delivery

log = logging.getLogger(__name__)

# events published by the runtime (besides the poller's, comms/events.py)
SETTLED = "settled"            # accounts (ids), charged (entries), fen, tripped (meter ids)
JOBS_RUN = "jobs_run"          # runs: [(job, period), ...]

PERIOD_SECONDS = {"hourly": 3600.0, "daily": 86400.0, "weekly": 7 * 86400.0, "monthly": 31 * 86400.0}


def is_job_station(db: Database, station: str) -> bool:
    with db.read() as s:
        chosen = str(setting(s, "automation.job_station") or "").strip()
    return not chosen or chosen == station


class StationRuntime:
    def __init__(self, db: Database, *, station: str, events: ev.EventBus | None = None,
                 run_jobs: bool = True, clock: Callable[[], datetime] | None = None,
                 link_names: set[str] | None = None, quantities: tuple[str, ...] | None = None,
                 store_batch_seconds: float = 0.2, worker_options: dict | None = None,
                 actor: Actor | None = None) -> None:
        self.db = db
        self.station = station
        self.clock = clock or utcnow
        self.link_names = set(link_names) if link_names else None
        self.quantities = quantities
        # who the unattended work acts as: `meterstation poll` passes the service identity it
        # logged in as; the windows pass none and act as the service identity too
        # (access/service_identity.py runtime_actor), never as the operator at the counter
        self.actor = actor or service_identity.runtime_actor(db, station)
        self._events = events or ev.EventBus()
        self._worker_options = dict(worker_options or {})
        self._lock = threading.RLock()
        self._running = False
        self.store = PollStore(db, batch_seconds=store_batch_seconds, on_committed=self._settle)
        self._closed = False
        self._poller, self._commands, self._plans = self._build()
        self.runs_jobs = bool(run_jobs) and is_job_station(db, station)
        self.context = jobs.JobContext(db, station, self.clock, self,
                                       send_notices=partial(sms_delivery.send_due_notices, operator=self.actor.name),
                                       service=self.actor)
        self._scheduler: StationScheduler | None = StationScheduler(self.context) if self.runs_jobs else None

    # --- composition ------------------------------------------------------------------------
    def _intervals(self) -> dict[int, float]:
        """meter id -> seconds between routine reads, from the reading schedules (default for the rest)."""
        with self.db.read() as s:
            default = float(setting(s, "automation.default_read_minutes")) * 60
            schedules = s.execute(sa.select(ReadSchedule).where(ReadSchedule.enabled.is_(True))).scalars().all()
            tags: dict[int, set[int]] = {}
            for meter_id, tag_id in s.execute(sa.select(MeterTag.meter_id, MeterTag.tag_id)):
                tags.setdefault(tag_id, set()).add(meter_id)
        out: dict[int, float] = {}
        everyone: float | None = None
        for rs in schedules:
            secs = rs.every_minutes * 60.0 if rs.kind == "interval" else PERIOD_SECONDS.get(rs.kind, default)
            secs = max(secs, 60.0)
            if rs.tag_id is None:
                everyone = secs if everyone is None else min(everyone, secs)
            else:
                for meter_id in tags.get(rs.tag_id, ()):
                    out[meter_id] = min(out.get(meter_id, secs), secs)
        self._default_interval = everyone if everyone is not None else default
        return out

    def _build(self) -> tuple[Poller, OutboxSource, list[LinkPlan]]:
        intervals = self._intervals()
        plans = load_plans(self.db, link_names=self.link_names, quantities=self.quantities,
                           interval=self._default_interval)
        for plan in plans:
            for meter in plan.meters:
                meter.interval = intervals.get(meter.meter_id, meter.interval)
        commands = OutboxSource(self.db, {m.meter_id: p.link_id for p in plans for m in p.meters},
                                station=self.station, events=self._events, operator=self.actor.name)
        poller = Poller(plans, self.store, commands=commands, events=self._events, **self._worker_options)
        return poller, commands, plans

    # --- public API ---------------------------------------------------------------------------
    @property
    def events(self) -> ev.EventBus:
        return self._events

    @property
    def poller(self) -> Poller:
        return self._poller

    @property
    def scheduler(self) -> StationScheduler | None:
        return self._scheduler

    @property
    def running(self) -> bool:
        return self._running

    @property
    def plans(self) -> list[LinkPlan]:
        return self._plans

    def run_once(self) -> CycleSummary:
        """Poll every meter (of the chosen links) once, settle what was read and apply the
        arrears rules, then deliver the commands waiting in the outbox (trips just queued too).
        `seconds` is the time spent polling. Not while started (the link workers own the
        lines then): use read_group(None) / read_now() instead."""
        with self._lock:
            if self._running:
                raise RuntimeError("run_once() on a started StationRuntime; use read_group(None)")
            summary = self._poller.run_once(self.link_names)
            self.store.flush()
            summary.commands += self.deliver_commands()
            self.store.flush()
            return summary

    def deliver_commands(self) -> int:
        """Run every due outbox command on its link now (links in parallel); returns how many."""
        self._commands.wake()
        counts: dict[int, int] = {}

        def run(w: LinkWorker) -> None:
            n = 0
            try:
                while (cmd := w._next_command()) is not None:
                    w.run_command(cmd)
                    n += 1
            except Exception:  # noqa: BLE001 - keep the other links going
                log.exception("delivering commands on %s failed", w.plan.name)
            finally:
                w.session.close()
                counts[w.plan.link_id] = n

        threads = [threading.Thread(target=run, args=(w,), name=f"deliver-{w.plan.name}")
                   for w in self._poller.workers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return sum(counts.values())

    def start(self) -> None:
        """Start polling (and the scheduler on the job station)."""
        with self._lock:
            if self._running:
                return
            self._poller.start()
            if self._scheduler is not None:
                self._scheduler.start()
            self._running = True

    def stop(self) -> None:
        """Stop the scheduler and the poller, write what is queued, join every thread."""
        with self._lock:
            if self._scheduler is not None:
                self._scheduler.stop()
            if self._running:
                self._poller.stop()
            self._running = False
            if not self._closed:
                self.store.close()
                self._closed = True

    def wake(self) -> None:
        """A sale (or a job) queued meter commands: take them ahead of routine reads now."""
        self._commands.wake()
        self._poller.wake()

    def reload(self) -> None:
        """The archive (links, meters, schedules) changed: rebuild the plans; reschedule jobs."""
        with self._lock:
            was_running = self._running
            if was_running:
                self._poller.stop()
            self._poller, self._commands, self._plans = self._build()
            if was_running:
                self._poller.start()
                if self._scheduler is not None and self._scheduler.running:
                    self._scheduler.sync_jobs()

    def read_now(self, meter_id: int) -> bool:
        """点抄 while running: put one meter at the front of its link's queue."""
        worker = self._poller.worker_for_meter(meter_id)
        if worker is None:
            return False
        worker.read_now(meter_id)
        return True

    def read_group(self, schedule_id: int | None) -> int:
        """Read the meters of a reading schedule (None: all) now; returns how many were queued."""
        meter_ids = [m.meter_id for p in self._plans for m in p.meters]
        if schedule_id is not None:
            with self.db.read() as s:
                rs = s.get(ReadSchedule, schedule_id)
                if rs is None:
                    return 0
                if rs.tag_id is not None:
                    tagged = set(s.execute(sa.select(MeterTag.meter_id).where(MeterTag.tag_id == rs.tag_id)).scalars())
                    meter_ids = [m for m in meter_ids if m in tagged]
        return self._poller.read_many(meter_ids)

    def catch_up(self, now: datetime | None = None) -> list[tuple[str, str]]:
        """Run every periodic job occurrence missed (each once); what the scheduler does on start."""
        ran = jobs.run_due(self.context, now)
        if ran:
            self._events.publish(JOBS_RUN, runs=ran)
        return ran

    def check_arrears(self, now: datetime | None = None) -> ArrearsResult:
        """The arrears policy over every account in arrears now (the scheduler does it each minute)."""
        return jobs.run_minute(self.context, "arrears", now)

    # --- after each stored batch of readings ------------------------------------------------
    def _settle(self, reading_ids: list[int]) -> SettleResult:
        try:
            result = settle_readings(self.db, reading_ids, actor=self.actor, now=self.clock())
        except PermissionDenied as denied:     # the service role has no settle right: logged there
            log.warning("readings not settled: %s", denied)
            result = SettleResult()
        try:                                   # power-quality alarms from the batch's live values
            power_quality.check_batch(self.db, reading_ids, now=self.clock())
        except Exception:  # noqa: BLE001 - settlement is done; a failed check waits for the next batch
            log.exception("power-quality check failed")
        if result.accounts or result.tripped:
            self._events.publish(SETTLED, accounts=sorted(result.accounts), charged=result.charged,
                                 fen=result.fen, tripped=list(result.tripped))
        if result.tripped:
            self.wake()
        return result


__all__ = ["JOBS_RUN", "SETTLED", "StationRuntime", "is_job_station"]
