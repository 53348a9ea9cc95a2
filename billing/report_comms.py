"""Reports on the field: alarm history, lost meters and links, read success per link and meter.

Alarm history is the alarm log (billing/alarm_log.list_alarms) raised on local days start..end.

Lost meters and links is the state *now* (the date range is not used): meters whose
comm_state is ``lost`` and links whose state is ``lost``, with since when (the raise time of
their open meter_lost/link_lost alarm, when there is one) and the last good contact.

Read success: the station keeps no row per failed poll, only each meter's state now
(comm_state, fail_streak) and its stored readings. So per meter the report shows the state now,
the failures in a row, the last good read, and the readings stored in the period (the history
that exists); per link it shows meters online / lost / not yet read, and the success rate now
= online / (online + lost) — meters never read yet are left out of the rate.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from billing.alarm_log import AlarmRow, list_alarms
from billing.reports import check_range
from models.archive import Floor, Link, Meter, Reading, Room
from models.areas import Building
from models.automation import Alarm
from models.db import Database
from models.rights import Actor


@dataclass(frozen=True)
class LostRow:
    what: str                 # meter | link
    name: str                 # meter number or link name
    link: str
    place: str
    fail_streak: int
    since: datetime | None    # raise time of the open lost alarm
    last_ok: datetime | None


@dataclass(frozen=True)
class ReadSuccessRow:
    link: str                 # "" for meters on no link
    meter: str                # "" on a link's summary row
    meters: int
    online: int
    lost: int
    unknown: int
    rate: Decimal | None      # percent, online / (online + lost)
    readings: int             # readings stored in the period
    fail_streak: int
    last_read: datetime | None


def alarm_history(db: Database, start: date, end: date, *, actor: Actor | None = None,
                  limit: int = 100_000) -> list[AlarmRow]:
    lo, hi = check_range(start, end, actor)
    rows = list_alarms(db, actor, since=lo, until=hi, limit=limit)
    visible = None if actor is None else actor.visible_buildings()
    if visible is not None:
        with db.read() as s:
            ids = {r.id for r in rows}
            allowed = {i for (i,) in s.execute(sa.select(Alarm.id).where(
                Alarm.building_id.in_(sorted(visible) or [-1])))} & ids
        rows = [r for r in rows if r.id in allowed]
    return list(reversed(rows))            # oldest first, like every other report


def lost(db: Database, *, actor: Actor | None = None) -> list[LostRow]:
    if actor is not None:
        actor.require("report_view")
    visible = None if actor is None else actor.visible_buildings()
    since = (sa.select(sa.func.max(Alarm.raised_at)).where(Alarm.kind == "meter_lost", Alarm.state != "cleared",
                                                         Alarm.meter_id == Meter.id).scalar_subquery())
    q = (sa.select(Meter.number, Link.name, Building.name, Floor.name, Room.number, Meter.fail_streak, since,
                   Meter.last_read_at)
         .outerjoin(Link, Link.id == Meter.link_id).outerjoin(Room, Room.id == Meter.room_id)
         .outerjoin(Floor, Floor.id == Room.floor_id).outerjoin(Building, Building.id == Floor.building_id)
         .where(Meter.comm_state == "lost").order_by(Link.name, Meter.number))
    if visible is not None:
        q = q.where(Building.id.in_(sorted(visible) or [-1]))
    link_since = (sa.select(sa.func.max(Alarm.raised_at)).where(Alarm.kind == "link_lost", Alarm.state != "cleared",
                                                              Alarm.link_id == Link.id).scalar_subquery())
    lq = sa.select(Link.name, link_since, Link.last_ok_at).where(Link.state == "lost").order_by(Link.name)
    with db.read() as s:
        links = [LostRow("link", n, n, "", 0, _aware(t), ok) for n, t, ok in s.execute(lq)]
        meters = [LostRow("meter", num, ln or "", "/".join(p for p in (b, f, r) if p), streak, _aware(t), last)
                  for num, ln, b, f, r, streak, t, last in s.execute(q)]
    return links + meters


def _aware(moment):
    """max() of a UTC column comes back without the column's type on some backends."""
    if moment is None or isinstance(moment, datetime) and moment.tzinfo:
        return moment
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=timezone.utc)


def _rate(online: int, lost_: int) -> Decimal | None:
    if online + lost_ == 0:
        return None
    return (Decimal(online * 100) / (online + lost_)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def read_success(db: Database, start: date, end: date, *, by_meter: bool = False,
                 actor: Actor | None = None) -> list[ReadSuccessRow]:
    lo, hi = check_range(start, end, actor)
    visible = None if actor is None else actor.visible_buildings()
    count = (sa.select(sa.func.count()).where(Reading.meter_id == Meter.id, Reading.at >= lo, Reading.at < hi)
             .scalar_subquery())
    q = (sa.select(sa.func.coalesce(Link.name, ""), Meter.number, Meter.comm_state, Meter.fail_streak,
                   Meter.last_read_at, count)
         .outerjoin(Link, Link.id == Meter.link_id).outerjoin(Room, Room.id == Meter.room_id)
         .outerjoin(Floor, Floor.id == Room.floor_id).outerjoin(Building, Building.id == Floor.building_id)
         .where(Meter.state == "installed").order_by(Link.name, Meter.number))
    if visible is not None:
        q = q.where(Building.id.in_(sorted(visible) or [-1]))
    with db.read() as s:
        rows = s.execute(q).all()
    if by_meter:
        return [ReadSuccessRow(ln, num, 1, int(st == "online"), int(st == "lost"), int(st not in ("online", "lost")),
                               _rate(int(st == "online"), int(st == "lost")), int(n), streak, last)
                for ln, num, st, streak, last, n in rows]
    acc: dict[str, list] = {}
    for ln, _num, st, streak, last, n in rows:
        a = acc.setdefault(ln, [0, 0, 0, 0, 0, 0, None])
        a[0] += 1
        a[1 if st == "online" else 2 if st == "lost" else 3] += 1
        a[4] += int(n)
        a[5] = max(a[5], streak)
        a[6] = last if a[6] is None or (last is not None and last > a[6]) else a[6]
    return [ReadSuccessRow(ln, "", m, on, lo_, unk, _rate(on, lo_), n, streak, last)
            for ln, (m, on, lo_, unk, n, streak, last) in sorted(acc.items())]
