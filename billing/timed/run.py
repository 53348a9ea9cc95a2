"""Running timed remote control: at each occurrence, queue the trips or closes of a schedule's
meters through the outbox, exactly once, and log it.

run_due(db, now, actor, station) is the station's minute job (billing/automation/jobs.py,
only on the job station). For each enabled schedule it takes the LATEST occurrence at or
before now (catch-up policy): older missed occurrences are never applied (the latest state
wins), and the latest is applied only while its window is open — before the schedule's next
occurrence and at most MAX_LATE after its time; one missed beyond that is recorded as missed
and not applied. The occurrence's JobRun ("timed:<id>", key) is inserted in the same
transaction as its outbox items: a second run, a restart or a second station hits the unique
(job, period) constraint and queues nothing.

What is switched (the electricity meters of the schedule's tag that are on a link; valves of
water/gas/heat meters are not switched by schedules):
- off: a meter.trip (payload reason "timed") for each meter not already tripped; keep-power
  (保电) meters are left on.
- on: a meter.close only for a meter whose last relay command is a timed trip. A meter that
  arrears or an operator tripped (its last relay command is theirs) stays open, and so does a
  meter whose station-side prepaid account is in arrears under a policy that trips.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.orm import Session

from billing import alarms, outbox
from billing.automation.arrears import TRIP
from billing.automation.calendar import to_local
from billing.control import COMMAND_EXPIRY
from billing.timed.occurrences import Occurrence
from billing.timed.service import RIGHT, TimedRow, rows_in, schedule_occurrences
from models.accounts import Account, AccountMeter
from models.archive import Meter, MeterTag
from models.audit import record
from models.automation import JobRun
from models.base import utcnow
from models.db import Database
from models.errors import PermissionDenied
from models.ledger import OutboxItem
from models.rights import Actor
from models.timed import TimedSchedule

MAX_LATE = timedelta(hours=12)
REASON = "timed"


@dataclass
class TimedResult:
    applied: list[tuple[str, str]] = field(default_factory=list)     # (schedule, occurrence key)
    missed: list[tuple[str, str]] = field(default_factory=list)
    denied: list[tuple[str, str]] = field(default_factory=list)     # the actor lacks RIGHT: not switched
    queued: list[int] = field(default_factory=list)                  # outbox item ids


def job_name(schedule_id: int) -> str:
    return f"timed:{schedule_id}"


def last_relay_item(s: Session, meter_id: int) -> OutboxItem | None:
    return s.scalar(sa.select(OutboxItem).where(OutboxItem.meter_id == meter_id,
                                                 OutboxItem.kind.in_([TRIP, outbox.CLOSE]),
                                                 OutboxItem.state.in_(["pending", "sending", "done"]))
                    .order_by(OutboxItem.id.desc()).limit(1))


def _reason(item: OutboxItem) -> str:
    try:
        return str(json.loads(item.payload or "{}").get("reason", ""))
    except ValueError:
        return ""


def arrears_holds(s: Session, meter_id: int) -> bool:
    """True when the meter's open station-side prepaid account is in arrears under a tripping policy."""
    account = s.execute(sa.select(Account).join(AccountMeter, AccountMeter.account_id == Account.id)
                        .where(AccountMeter.meter_id == meter_id, AccountMeter.closed_at.is_(None),
                               Account.state == "open")).scalars().first()
    return (account is not None and account.mode == "station-prepaid" and alarms.level(account) == "arrears"
            and account.arrears_policy != "never")


def _account_of(s: Session, meter_id: int) -> int | None:
    found: int | None = s.scalar(sa.select(AccountMeter.account_id).where(AccountMeter.meter_id == meter_id,
                                                               AccountMeter.closed_at.is_(None)))
    return found


def switch(s: Session, row: TimedRow, occ: Occurrence, now: datetime) -> dict[str, Any]:
    """Queue the occurrence's commands; returns counts for the log."""
    meters = s.execute(sa.select(Meter).join(MeterTag, MeterTag.meter_id == Meter.id)
                       .join(TimedSchedule, TimedSchedule.tag_id == MeterTag.tag_id)
                       .where(TimedSchedule.id == row.id).order_by(Meter.id)).scalars().all()
    counts = {"queued": 0, "not_relay": 0, "no_link": 0, "keep_power": 0, "already": 0,
              "held_arrears": 0, "held_other": 0}
    items: list[int] = []
    payload = {"reason": REASON, "schedule": row.name, "occurrence": occ.key}
    for meter in meters:
        if meter.kind != "electricity":            # water/gas/heat valves are not switched by schedules
            counts["not_relay"] += 1
            continue
        if meter.link_id is None:
            counts["no_link"] += 1
            continue
        last = last_relay_item(s, meter.id)
        if occ.action == "off":
            if meter.keep_power:
                counts["keep_power"] += 1
                continue
            if last is not None and last.kind == TRIP:
                counts["already"] += 1
                continue
            kind = TRIP
        else:
            if last is None or last.kind != TRIP:
                counts["already"] += 1
                continue
            if _reason(last) != REASON:
                counts["held_arrears" if _reason(last) == "arrears" else "held_other"] += 1
                continue
            if arrears_holds(s, meter.id):
                counts["held_arrears"] += 1
                continue
            kind = outbox.CLOSE
        item = outbox.enqueue(s, kind, account_id=_account_of(s, meter.id), meter_id=meter.id,
                              payload=payload, priority=0)
        item.expires_at = utcnow() + COMMAND_EXPIRY        # the outbox's clock, like billing/control.py
        items.append(item.id)
    counts["queued"] = len(items)
    return {"items": items[:200], **counts}


def _claim(s: Session, row: TimedRow, occ: Occurrence, station: str, now: datetime, details: dict[str, Any]) -> None:
    s.add(JobRun(job=job_name(row.id), period=occ.key, station=station, started_at=now, finished_at=now,
                 details=json.dumps(details, ensure_ascii=False, default=str)))
    s.flush()


def due(s: Session, row: TimedRow, now: datetime) -> tuple[Occurrence | None, Occurrence | None]:
    """(latest occurrence at or before now, the one after it) of a schedule."""
    today = to_local(now).date()
    occ = schedule_occurrences(s, row, today - timedelta(days=3), today + timedelta(days=2))
    past = [o for o in occ if o.at <= now]
    future = [o for o in occ if o.at > now]
    return (past[-1] if past else None), (future[0] if future else None)


def run_schedule(db: Database, row: TimedRow, now: datetime, actor: Actor, station: str,
                 result: TimedResult) -> None:
    with db.read() as s:
        latest, _nxt = due(s, row, now)
        if latest is None:
            return
        done = s.scalar(sa.select(JobRun.id).where(JobRun.job == job_name(row.id), JobRun.period == latest.key))
    if done is not None:
        return
    late = now - latest.at
    try:
        with db.write() as s:
            if late > MAX_LATE:
                _claim(s, row, latest, station, now, {"missed": True, "late_s": int(late.total_seconds())})
                record(s, actor, "timed.missed", row.name, {"occurrence": latest.key, "tag": row.tag,
                                                             "late_minutes": int(late.total_seconds() // 60)})
                result.missed.append((row.name, latest.key))
                return
            if not actor.can(RIGHT):           # e.g. a service role configured without relay_control
                _refuse(s, row, latest, now, actor, station)
                result.denied.append((row.name, latest.key))
                return
            _claim(s, row, latest, station, now, {"action": latest.action})
            details = switch(s, row, latest, now)
            s.execute(sa.update(JobRun).where(JobRun.job == job_name(row.id), JobRun.period == latest.key)
                      .values(details=json.dumps(details, default=str)))
            record(s, actor, f"timed.{latest.action}", row.name,
                   {"occurrence": latest.key, "tag": row.tag,
                    "late_minutes": int(late.total_seconds() // 60), **details})
            result.applied.append((row.name, latest.key))
            result.queued += details["items"]
    except exc.IntegrityError:
        return                                 # another run or station did this occurrence


def _refuse(s: Session, row: TimedRow, occ: Occurrence, now: datetime, actor: Actor, station: str) -> None:
    """The occurrence is claimed as refused and the refusal logged once (not every minute)."""
    reason = ""
    try:
        actor.require(RIGHT)
    except PermissionDenied as denied:
        reason = str(denied)
    _claim(s, row, occ, station, now, {"action": occ.action, "denied": RIGHT})
    record(s, actor, "denied", row.name, {"action": f"timed.{occ.action}", "reason": reason, "right": RIGHT,
                                          "occurrence": occ.key})


def run_due(db: Database, now: datetime, actor: Actor, station: str) -> TimedResult:
    """Apply the due occurrence of every enabled schedule (the minute job)."""
    result = TimedResult()
    with db.read() as s:
        rows = rows_in(s, TimedSchedule.enabled.is_(True))
    for row in rows:
        run_schedule(db, row, now, actor, station, result)
    return result
