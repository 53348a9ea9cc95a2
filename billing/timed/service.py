"""Timed remote control (定时通断电): the schedules an administrator defines, and what is next.

    add_timed(db, actor, TimedSpec("宿舍熄灯", tag="area:宿舍楼", off_at="23:00", on_at="06:00",
                                   days="school"))
    update_timed(db, actor, "宿舍熄灯", spec) / remove_timed(db, actor, "宿舍熄灯")
    list_timed(db) -> [TimedRow]; next_occurrences(db, now, 10) -> [Upcoming]
    set_workdays(db, actor, [(date(2026, 10, 10), "调休")])

Every change needs the relay-control right (a schedule trips and closes relays) and is logged
in the operation log. When and how an occurrence runs: billing/timed/occurrences.py and
billing/timed/run.py.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from billing.automation.calendar import parse_hhmm, to_local
from billing.settings_service import _tag_id
from billing.timed.occurrences import DaySpec, Occurrence, occurrences
from models.archive import Tag
from models.audit import audited, record
from models.automation import Holiday
from models.db import Database
from models.errors import Conflict, InvalidInput, NotFound
from models.rights import Actor
from models.timed import DAY_RULES, TimedSchedule, Workday
from resources.i18n import N_, _

RIGHT = "relay_control"
DAY_RULE_TITLES = {"every": N_("Every day"), "weekdays": N_("Monday to Friday"),
                   "school": N_("School days (working days)"), "dates": N_("Only on given dates")}
ACTION_TITLES = {"off": N_("Power off"), "on": N_("Power on")}


@dataclass(frozen=True)
class TimedSpec:
    name: str
    tag: str                                  # "kind:name" or a unique tag name
    off_at: str = ""
    on_at: str = ""
    days: str = "every"
    dates: tuple[date, ...] = ()
    skip: tuple[date, ...] = ()
    enabled: bool = True


@dataclass(frozen=True)
class TimedRow:
    id: int
    name: str
    tag: str
    off_at: str
    on_at: str
    days: str
    dates: tuple[date, ...]
    skip: tuple[date, ...]
    enabled: bool

    def day_spec(self) -> DaySpec:
        return DaySpec(self.off_at, self.on_at, self.days, frozenset(self.dates), frozenset(self.skip))


@dataclass(frozen=True, order=True)
class Upcoming:
    at: datetime
    schedule: str = field(compare=False)
    tag: str = field(compare=False)
    action: str = field(compare=False)


def _time(value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        t = parse_hhmm(value)
    except ValueError:
        raise InvalidInput(_("{value} is not a time of day (HH:MM)").format(value=value)) from None
    return f"{t.hour:02d}:{t.minute:02d}"


def check_spec(spec: TimedSpec) -> TimedSpec:
    name = spec.name.strip()
    if not name or len(name) > 60:
        raise InvalidInput(_("A timed schedule name has 1 to 60 characters"))
    if not spec.tag.strip():
        raise InvalidInput(_("Choose the meter group (tag) the schedule switches"))
    off_at, on_at = _time(spec.off_at), _time(spec.on_at)
    if not off_at and not on_at:
        raise InvalidInput(_("Give an off time, an on time, or both"))
    if off_at and off_at == on_at:
        raise InvalidInput(_("The off and on times must differ"))
    if spec.days not in DAY_RULES:
        raise InvalidInput(_("Unknown day rule {rule}; choose one of {choices}").format(
            rule=spec.days, choices=", ".join(DAY_RULES)))
    if spec.days == "dates" and not spec.dates:
        raise InvalidInput(_("Give at least one date for a schedule on given dates"))
    return TimedSpec(name, spec.tag.strip(), off_at, on_at, spec.days, tuple(sorted(set(spec.dates))),
                     tuple(sorted(set(spec.skip))), bool(spec.enabled))


def _days_json(days: tuple[date, ...]) -> str:
    return json.dumps([d.isoformat() for d in days])


def _days(text: str) -> tuple[date, ...]:
    return tuple(date.fromisoformat(d) for d in json.loads(text or "[]"))


def _apply(s: Session, row: TimedSchedule, spec: TimedSpec) -> dict[str, Any]:
    tag_id = _tag_id(s, spec.tag)
    assert tag_id is not None              # check_spec refused an empty tag
    row.name, row.tag_id, row.off_at, row.on_at, row.days = spec.name, tag_id, spec.off_at, spec.on_at, spec.days
    row.dates, row.skip, row.enabled = _days_json(spec.dates), _days_json(spec.skip), spec.enabled
    return {"tag": spec.tag, "off": spec.off_at, "on": spec.on_at, "days": spec.days,
            "dates": [d.isoformat() for d in spec.dates], "skip": [d.isoformat() for d in spec.skip],
            "enabled": spec.enabled}


def _by_name(s: Session, name: str) -> TimedSchedule:
    row = s.scalar(sa.select(TimedSchedule).where(TimedSchedule.name == name.strip()))
    if row is None:
        raise NotFound(_("There is no timed schedule {name}").format(name=name))
    return row


def add_timed(db: Database, actor: Actor, spec: TimedSpec) -> int:
    spec = check_spec(spec)
    with audited(db, actor, "timed.add", spec.name) as s:
        actor.require(RIGHT)
        if s.scalar(sa.select(TimedSchedule.id).where(TimedSchedule.name == spec.name)) is not None:
            raise Conflict(_("Timed schedule {name} already exists").format(name=spec.name))
        row = TimedSchedule()
        details = _apply(s, row, spec)
        s.add(row)
        s.flush()
        record(s, actor, "timed.add", spec.name, details)
        return row.id


def update_timed(db: Database, actor: Actor, name: str, spec: TimedSpec) -> None:
    spec = check_spec(spec)
    with audited(db, actor, "timed.update", name) as s:
        actor.require(RIGHT)
        row = _by_name(s, name)
        other = s.scalar(sa.select(TimedSchedule.id).where(TimedSchedule.name == spec.name))
        if other is not None and other != row.id:
            raise Conflict(_("Timed schedule {name} already exists").format(name=spec.name))
        record(s, actor, "timed.update", spec.name, {"old_name": row.name, **_apply(s, row, spec)})


def remove_timed(db: Database, actor: Actor, name: str) -> None:
    with audited(db, actor, "timed.remove", name) as s:
        actor.require(RIGHT)
        row = _by_name(s, name)
        s.delete(row)
        record(s, actor, "timed.remove", name)


def rows_in(s: Session, where: sa.ColumnElement[bool] | None = None) -> list[TimedRow]:
    q = sa.select(TimedSchedule, Tag.kind, Tag.name).join(Tag, Tag.id == TimedSchedule.tag_id)
    if where is not None:
        q = q.where(where)
    return [TimedRow(r.id, r.name, f"{tk}:{tn}", r.off_at, r.on_at, r.days, _days(r.dates), _days(r.skip),
                     r.enabled) for r, tk, tn in s.execute(q.order_by(TimedSchedule.name)).all()]


def list_timed(db: Database) -> list[TimedRow]:
    with db.read() as s:
        return rows_in(s)


def calendar_sets(s: Session, first: date, last: date) -> tuple[frozenset[date], frozenset[date]]:
    """(holidays, 调休 workdays) between two local days."""
    hol = s.execute(sa.select(Holiday.day).where(Holiday.day.between(first, last))).scalars()
    work = s.execute(sa.select(Workday.day).where(Workday.day.between(first, last))).scalars()
    return frozenset(hol), frozenset(work)


def schedule_occurrences(s: Session, row: TimedRow, first: date, last: date) -> list[Occurrence]:
    holidays, workdays = calendar_sets(s, first - timedelta(days=1), last + timedelta(days=1))
    return occurrences(row.day_spec(), first, last, holidays, workdays)


def next_occurrences(db: Database, now: datetime, limit: int = 10, horizon_days: int = 31) -> list[Upcoming]:
    """The next `limit` occurrences (after now) of every enabled schedule, soonest first."""
    today = to_local(now).date()
    out: list[Upcoming] = []
    with db.read() as s:
        for row in rows_in(s, TimedSchedule.enabled.is_(True)):
            for occ in schedule_occurrences(s, row, today - timedelta(days=1), today + timedelta(days=horizon_days)):
                if occ.at > now:
                    out.append(Upcoming(occ.at, row.name, row.tag, occ.action))
    return sorted(out)[:limit]


def list_workdays(db: Database) -> list[tuple[date, str]]:
    with db.read() as s:
        return [(w.day, w.name) for w in s.execute(sa.select(Workday).order_by(Workday.day)).scalars()]


def set_workdays(db: Database, actor: Actor, days: list[tuple[date, str]]) -> None:
    """Replace the list of make-up working days (调休: weekend days that are school/working days)."""
    wanted = {d: (n or "").strip()[:60] for d, n in days}
    with audited(db, actor, "workdays.set", str(len(wanted))) as s:
        actor.require(RIGHT)
        old = {w.day: w for w in s.execute(sa.select(Workday)).scalars()}
        for d, w in old.items():
            if d not in wanted:
                s.delete(w)
            else:
                w.name = wanted[d]
        s.add_all([Workday(day=d, name=n) for d, n in wanted.items() if d not in old])
        record(s, actor, "workdays.set", str(len(wanted)),
               {"days": [f"{d.isoformat()} {n}".strip() for d, n in sorted(wanted.items())]})
