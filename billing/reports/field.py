"""Reports on the field: alarm history, lost meters and links, read success per link and meter.

Alarm history is the alarm log (billing/alarm_log.list_alarms) raised on local days start..end.

Lost meters and links is the state *now* (the date range is not used): links whose state is
``lost``, then meters whose comm_state is ``lost`` (since Meter.lost_since, set by the poll store
when the meter went lost; else the raise time of its open meter_lost alarm) and meters that are
``unreachable`` because their link is lost (since: the link's), with the last good contact.

Read success = successful reads ÷ read attempts in the period, per link, meter and day
(MeterReadDay, counted by comms/polling/store.py: every read the poller makes is one attempt, each
stored read one success; meters behind a dead converter that were not tried count nothing). The
rows also show the state now (online / lost / unreachable / not read yet), the failures in a row,
the readings stored in the period and the last good read.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa

from billing.alarm_log import AlarmRow, list_alarms
from billing.reports.takings import check_range
from models.archive import Floor, Link, Meter, MeterReadDay, Reading, Room
from models.areas import Building
from models.automation import Alarm
from models.db import Database
from models.rights import Actor


@dataclass(frozen=True)
class LostRow:
    what: str                 # meter | link | unreachable (a meter behind a lost link)
    name: str                 # meter number or link name
    link: str
    place: str
    fail_streak: int
    since: datetime | None    # when it went lost (the link's, for an unreachable meter)
    last_ok: datetime | None


@dataclass(frozen=True)
class ReadSuccessRow:
    link: str                 # "" for meters on no link
    meter: str                # "" on a link's summary row
    meters: int
    online: int
    lost: int
    unknown: int
    rate: Decimal | None      # percent, successes / attempts in the period (None: no attempt)
    readings: int             # readings stored in the period
    fail_streak: int
    last_read: datetime | None
    unreachable: int = 0      # meters behind a lost link
    attempts: int = 0         # reads tried in the period
    successes: int = 0        # reads that came back


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
    alarm_since = (sa.select(sa.func.max(Alarm.raised_at)).where(Alarm.kind == "meter_lost", Alarm.state != "cleared",
                                                               Alarm.meter_id == Meter.id).scalar_subquery())
    q = (sa.select(Meter.number, Link.name, Building.name, Floor.name, Room.number, Meter.fail_streak,
                   Meter.comm_state, Meter.lost_since, alarm_since, Meter.last_read_at)
         .outerjoin(Link, Link.id == Meter.link_id).outerjoin(Room, Room.id == Meter.room_id)
         .outerjoin(Floor, Floor.id == Room.floor_id).outerjoin(Building, Building.id == Floor.building_id)
         .where(Meter.comm_state.in_(("lost", "unreachable"))).order_by(Link.name, Meter.number))
    if visible is not None:
        q = q.where(Building.id.in_(sorted(visible) or [-1]))
    link_since = (sa.select(sa.func.max(Alarm.raised_at)).where(Alarm.kind == "link_lost", Alarm.state != "cleared",
                                                              Alarm.link_id == Link.id).scalar_subquery())
    lq = sa.select(Link.name, link_since, Link.last_ok_at).where(Link.state == "lost").order_by(Link.name)
    with db.read() as s:
        links = [LostRow("link", n, n, "", 0, _aware(t), ok) for n, t, ok in s.execute(lq)]
        link_lost = {r.name: r.since for r in links}
        meters = [LostRow("meter" if st == "lost" else "unreachable", num, ln or "",
                          "/".join(p for p in (b, f, r) if p), streak,
                          _aware(own or alarm) if st == "lost" else link_lost.get(ln or ""), last)
                  for num, ln, b, f, r, streak, st, own, alarm, last in s.execute(q)]
    return links + sorted(meters, key=lambda r: (r.what != "meter", r.link, r.name))


def _aware(moment: datetime | str | None) -> datetime | None:
    """max() of a UTC column comes back without the column's type on some backends."""
    if moment is None or isinstance(moment, datetime) and moment.tzinfo:
        return moment
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC)


def _rate(successes: int, attempts: int) -> Decimal | None:
    if attempts == 0:
        return None
    return (Decimal(successes * 100) / attempts).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def read_success(db: Database, start: date, end: date, *, by_meter: bool = False,
                 actor: Actor | None = None) -> list[ReadSuccessRow]:
    """Successful reads ÷ attempts on local days start..end, per link (or per meter)."""
    lo, hi = check_range(start, end, actor)
    visible = None if actor is None else actor.visible_buildings()
    count = (sa.select(sa.func.count()).where(Reading.meter_id == Meter.id, Reading.at >= lo, Reading.at < hi)
             .scalar_subquery())
    tried = (sa.select(sa.func.coalesce(sa.func.sum(MeterReadDay.attempts), 0))
             .where(MeterReadDay.meter_id == Meter.id, MeterReadDay.day >= start, MeterReadDay.day <= end)
             .scalar_subquery())
    came = (sa.select(sa.func.coalesce(sa.func.sum(MeterReadDay.successes), 0))
            .where(MeterReadDay.meter_id == Meter.id, MeterReadDay.day >= start, MeterReadDay.day <= end)
            .scalar_subquery())
    q = (sa.select(sa.func.coalesce(Link.name, ""), Meter.number, Meter.comm_state, Meter.fail_streak,
                   Meter.last_read_at, count, tried, came)
         .outerjoin(Link, Link.id == Meter.link_id).outerjoin(Room, Room.id == Meter.room_id)
         .outerjoin(Floor, Floor.id == Room.floor_id).outerjoin(Building, Building.id == Floor.building_id)
         .where(Meter.state == "installed").order_by(Link.name, Meter.number))
    if visible is not None:
        q = q.where(Building.id.in_(sorted(visible) or [-1]))
    with db.read() as s:
        rows = s.execute(q).all()

    def states(st: str) -> tuple[int, int, int, int]:      # online, lost, unknown, unreachable
        return (int(st == "online"), int(st == "lost"), int(st not in ("online", "lost", "unreachable")),
                int(st == "unreachable"))

    if by_meter:
        out = []
        for ln, num, st, streak, last, n, a, ok in rows:
            on, lo_, unk, unr = states(st)
            out.append(ReadSuccessRow(ln, num, 1, on, lo_, unk, _rate(int(ok), int(a)), int(n), streak, last,
                                      unr, int(a), int(ok)))
        return out
    acc: dict[str, list[Any]] = {}          # counts, and the newest contact (a datetime) at 6
    for ln, _num, st, streak, last, n, a, ok in rows:
        x = acc.setdefault(ln, [0, 0, 0, 0, 0, 0, None, 0, 0, 0])
        x[0] += 1
        for i, v in enumerate(states(st)):
            x[(1, 2, 3, 7)[i]] += v
        x[4] += int(n)
        x[5] = max(x[5], streak)
        x[6] = last if x[6] is None or (last is not None and last > x[6]) else x[6]
        x[8] += int(a)
        x[9] += int(ok)
    return [ReadSuccessRow(ln, "", m, on, lo_, unk, _rate(ok, a), n, streak, last, unr, a, ok)
            for ln, (m, on, lo_, unk, n, streak, last, unr, a, ok) in sorted(acc.items())]
