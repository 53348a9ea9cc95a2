"""Services behind the Settings page's editors: reading schedules (ReadSchedule), holidays,
and saving a form of settings at once.

    add_schedule(db, actor, ScheduleSpec("一号楼每小时", kind="hourly", tag="area:一号楼"))
    update_schedule(db, actor, schedule_id, ScheduleSpec(...)) / delete_schedule(db, actor, id)
    delete_schedule_named(db, actor, "一号楼每小时")
    set_holidays(db, actor, [(date(2026, 10, 1), "国庆")])
    save_settings(db, actor, {"company.name": "XX物业", "backup.keep": 30})

Every change needs `settings_edit` and is logged with its operation-log row. save_settings
also guards the station-local settings (file in the config folder) with the same right and logs
them: models.settings.set_local itself is a plain file write used at first start. The running
scheduler reads schedules when it (re)starts or syncs its jobs (billing/automation).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import settings
from models.archive import Tag
from models.audit import audited, record
from models.automation import SCHEDULE_KINDS, Holiday, ReadSchedule
from models.db import Database
from models.errors import Conflict, InvalidInput, NotFound
from models.rights import Actor
from resources.i18n import _


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    kind: str = "interval"              # interval | hourly | daily | weekly | monthly
    every_minutes: int = 30             # interval only
    at_time: str = "00:00"              # HH:MM (hourly uses the minutes)
    weekday: int = 0                    # weekly: 0 = Monday
    day: int = 1                        # monthly: day of month 1..28
    tag: str = ""                       # "kind:name" or a tag name; "" = every meter
    enabled: bool = True


@dataclass(frozen=True)
class ScheduleRow:
    id: int
    name: str
    kind: str
    every_minutes: int
    at_time: str
    weekday: int
    day: int
    tag: str
    enabled: bool


def check_spec(spec: ScheduleSpec) -> ScheduleSpec:
    """The spec checked and trimmed; InvalidInput naming the first problem."""
    name = spec.name.strip()
    if not name or len(name) > 60:
        raise InvalidInput(_("A schedule name has 1 to 60 characters"))
    if spec.kind not in SCHEDULE_KINDS:
        raise InvalidInput(_("Unknown schedule kind {kind}; choose one of {choices}").format(
            kind=spec.kind, choices=", ".join(SCHEDULE_KINDS)))
    if spec.kind == "interval" and not 1 <= spec.every_minutes <= 1440:
        raise InvalidInput(_("Read every 1 to 1440 minutes"))
    if not settings.SETTINGS["automation.frozen_daily_at"].check(spec.at_time):
        raise InvalidInput(_("{value} is not a time of day (HH:MM)").format(value=spec.at_time))
    if not 0 <= spec.weekday <= 6 or not 1 <= spec.day <= 28:
        raise InvalidInput(_("The weekday must be 0-6 and the day of month 1-28"))
    return ScheduleSpec(name, spec.kind, spec.every_minutes, spec.at_time, spec.weekday, spec.day,
                        spec.tag.strip(), bool(spec.enabled))


def _tag_id(s: Session, ref: str) -> int | None:
    if not ref:
        return None
    q = sa.select(Tag.id)
    kind, sep, name = ref.partition(":")
    q = q.where(Tag.kind == kind.strip(), Tag.name == name.strip()) if sep else q.where(Tag.name == ref)
    ids = s.execute(q).scalars().all()
    if len(ids) != 1:
        raise NotFound(_("There is no tag {name}").format(name=ref))
    return ids[0]


def _apply(s: Session, row: ReadSchedule, spec: ScheduleSpec) -> dict[str, Any]:
    row.name, row.kind, row.every_minutes, row.at_time = spec.name, spec.kind, spec.every_minutes, spec.at_time
    row.weekday, row.day, row.enabled, row.tag_id = spec.weekday, spec.day, spec.enabled, _tag_id(s, spec.tag)
    return {"kind": spec.kind, "every_minutes": spec.every_minutes, "at": spec.at_time, "weekday": spec.weekday,
            "day": spec.day, "tag": spec.tag, "enabled": spec.enabled}


def _name_free(s: Session, name: str, exclude: int | None = None) -> None:
    other = s.scalar(sa.select(ReadSchedule.id).where(ReadSchedule.name == name))
    if other is not None and other != exclude:
        raise Conflict(_("Schedule {name} already exists").format(name=name))


def list_schedules(db: Database) -> list[ScheduleRow]:
    with db.read() as s:
        rows = s.execute(sa.select(ReadSchedule, Tag.kind, Tag.name).outerjoin(Tag, Tag.id == ReadSchedule.tag_id)
                         .order_by(ReadSchedule.name)).all()
    return [ScheduleRow(r.id, r.name, r.kind, r.every_minutes, r.at_time, r.weekday, r.day,
                        f"{tk}:{tn}" if tk else "", r.enabled) for r, tk, tn in rows]


def add_schedule(db: Database, actor: Actor, spec: ScheduleSpec) -> int:
    spec = check_spec(spec)
    with audited(db, actor, "schedule.add", spec.name) as s:
        actor.require("settings_edit")
        _name_free(s, spec.name)
        row = ReadSchedule()
        details = _apply(s, row, spec)
        s.add(row)
        s.flush()
        record(s, actor, "schedule.add", spec.name, details)
        return row.id


def update_schedule(db: Database, actor: Actor, schedule_id: int, spec: ScheduleSpec) -> None:
    spec = check_spec(spec)
    with audited(db, actor, "schedule.update", spec.name) as s:
        actor.require("settings_edit")
        row = s.get(ReadSchedule, schedule_id)
        if row is None:
            raise NotFound(_("There is no schedule {name}").format(name=schedule_id))
        _name_free(s, spec.name, exclude=row.id)
        record(s, actor, "schedule.update", spec.name, _apply(s, row, spec))


def delete_schedule(db: Database, actor: Actor, schedule_id: int) -> None:
    with audited(db, actor, "schedule.delete", str(schedule_id)) as s:
        actor.require("settings_edit")
        _delete(s, actor, s.get(ReadSchedule, schedule_id), schedule_id)


def delete_schedule_named(db: Database, actor: Actor, name: str) -> str:
    """Remove the schedule called `name` (`schedule remove`): the right is checked before the
    name is looked up, so a refusal says nothing of which schedules exist. Returns its name."""
    name = name.strip()
    with audited(db, actor, "schedule.delete", name) as s:
        actor.require("settings_edit")
        row = s.execute(sa.select(ReadSchedule).where(ReadSchedule.name == name)).scalar_one_or_none()
        return _delete(s, actor, row, name)


def _delete(s: Session, actor: Actor, row: ReadSchedule | None, ref: object) -> str:
    if row is None:
        raise NotFound(_("There is no schedule {name}").format(name=ref))
    name = row.name
    s.delete(row)
    record(s, actor, "schedule.delete", name)
    return name


def list_holidays(db: Database) -> list[tuple[date, str]]:
    with db.read() as s:
        return [(h.day, h.name) for h in s.execute(sa.select(Holiday).order_by(Holiday.day)).scalars()]


def set_holidays(db: Database, actor: Actor, days: list[tuple[date, str]]) -> None:
    """Replace the holiday list (days on which arrears trips wait)."""
    wanted = {d: (n or "").strip()[:60] for d, n in days}
    with audited(db, actor, "holidays.set", str(len(wanted))) as s:
        actor.require("settings_edit")
        old = {h.day: h for h in s.execute(sa.select(Holiday)).scalars()}
        for d, h in old.items():
            if d not in wanted:
                s.delete(h)
            else:
                h.name = wanted[d]
        s.add_all([Holiday(day=d, name=n) for d, n in wanted.items() if d not in old])
        record(s, actor, "holidays.set", str(len(wanted)),
               {"days": [f"{d.isoformat()} {n}".strip() for d, n in sorted(wanted.items())]})


def save_settings(db: Database, actor: Actor, values: dict[str, Any]) -> list[str]:
    """Check and save several settings as one form; returns the keys that changed.

    Every key given needs its right (backup.* needs "backup"), changed or not, and before any
    stored value is read: were only the changed keys checked, an operator without the right
    would learn a stored value by sending guesses (an equal one is "unchanged", not refused)."""
    keys = sorted(values)
    with audited(db, actor, "setting.change", ",".join(keys)[:200]) as s:
        actor.require("settings_edit")          # refused (and logged) before anything is read or written
        for k in keys:
            actor.require(settings.SETTINGS[k].right if k in settings.SETTINGS else "settings_edit")
        checked = {k: settings.coerce(k, v) for k, v in values.items()}
        changed = [k for k, v in checked.items() if settings.read(s, k) != v]
        for k in changed:
            if settings.SETTINGS[k].local:
                record(s, actor, "setting.change", k, {"old": settings.get_local(k), "new": checked[k],
                                                       "local": True})
                settings.set_local(k, checked[k])
    for k in changed:
        if not settings.SETTINGS[k].local:
            settings.put(db, actor, k, checked[k])
    return changed
