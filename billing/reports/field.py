"""Reports on the field: alarm history, lost meters and links, read success per link and meter.

Alarm history is the alarm log (billing/alarm_log.py) raised on local days start..end, oldest
first, every one of them: the screen holds the first SHOWN (100,000) and says how many there are
when there are more (billing/reports/shown.py); the export streams them all from the cursor
(iter_alarm_history), however many. (It used to stop at 100,000 without a word.)

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

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from billing.alarm_log import AlarmRow, alarm_columns_query, alarm_filters, column_row
from billing.reports.shown import Shown
from billing.reports.takings import check_range
from models.archive import Floor, Link, Meter, MeterReadDay, Reading, Room
from models.areas import Building
from models.audit import require_read
from models.automation import Alarm
from models.db import Database
from models.rights import Actor

SHOWN = 100_000             # alarms the report's screen holds at most


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


def _alarm_where(s: Session, start: date, end: date, actor: Actor) -> list[sa.ColumnElement[bool]]:
    """The alarms raised on local days start..end in the actor's buildings, at or below the newest
    now: a count and the rows read after it (the export of a Shown) agree, as alarm_pages' Window."""
    lo, hi = check_range(start, end, actor)
    visible = actor.visible_buildings()
    top_id = s.scalar(sa.select(sa.func.max(Alarm.id))) or 0
    return [*alarm_filters(visible, since=lo, until=hi), Alarm.id <= top_id]


def _stream_alarms(s: Session, where: list[sa.ColumnElement[bool]], batch: int) -> Iterator[AlarmRow]:
    q = alarm_columns_query().where(*where).order_by(Alarm.id)
    with s.connection().execute(q, execution_options={"yield_per": batch}) as result:
        for row in result:
            yield column_row(*row)


def iter_alarm_history(s: Session, start: date, end: date, *, actor: Actor,
                       batch: int = 2000) -> Iterator[AlarmRow]:
    """Every alarm of the history, oldest first, as a stream inside the caller's read transaction
    (exports): rows from the cursor `batch` at a time, a server-side cursor on PostgreSQL."""
    return _stream_alarms(s, _alarm_where(s, start, end, actor), batch)


def alarm_history(db: Database, start: date, end: date, *, actor: Actor,
                  limit: int | None = None) -> Shown[AlarmRow]:
    """The alarms raised on local days start..end, oldest first: at most `limit` (SHOWN) of them,
    with the true count when there are more (Shown.cut; its export writes them all)."""
    limit = SHOWN if limit is None else limit
    with db.read() as s:
        where = _alarm_where(s, start, end, actor)
        q = alarm_columns_query().where(*where).order_by(Alarm.id).limit(limit)
        rows = [column_row(*row) for row in s.execute(q)]
        total = len(rows)
        if total >= limit:
            total = s.scalar(sa.select(sa.func.count()).select_from(Alarm).where(*where)) or 0
    return Shown(rows, total, db, lambda session: _stream_alarms(session, where, 2000))


def lost(db: Database, *, actor: Actor) -> list[LostRow]:
    require_read(db, actor, "report_view", "report.view", "lost")       # None: refused
    visible = actor.visible_buildings()
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
                 actor: Actor) -> list[ReadSuccessRow]:
    """Successful reads ÷ attempts on local days start..end, per link (or per meter)."""
    lo, hi = check_range(start, end, actor)
    visible = actor.visible_buildings()
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
