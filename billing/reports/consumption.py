"""Consumption by meter, room, floor, building or tag over local days, and line loss.

A meter's consumption over start..end is its last unflagged reading at or before the end
boundary (the midnight after `end`) minus its last unflagged reading at or before the start
boundary (the midnight starting `start`), times its CT ratio. A reading exactly at midnight
belongs to both periods, so consecutive periods add up. Flagged readings (backwards, jump) are
never used. Missing data is shown, never guessed — each meter has a status:

- ``ok``: readings on both sides;
- ``partial``: no reading before the start (a new meter, or the archive began later): counted
  from its first reading inside the period;
- ``no_reading``: readings before the start but none inside the period: unknown (None);
- ``no_data``: no usable reading at all before the end: unknown (None);
- ``backwards``: the end reading is lower than the start one (a reset the flags missed): None.

Groups sum the meters that have a figure and count those that do not (``missing``), so a
building with a dead meter is visibly incomplete. A meter with several tags counts in each tag.
Stock meters (never installed) are left out. Values are Decimal kWh (m³ for water and gas).

Line loss (线损): for each main meter (总表, a meter other meters name as parent_id), its
consumption minus the sum of its sub meters' (分表), and that loss as a percentage of the main
meter's consumption. When the main meter or any sub meter has no figure the loss is None and
the row says how many are missing: a partial sum would show a false loss.
"""
from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Session

from billing.reports.takings import check_range
from models.archive import Floor, Meter, MeterTag, Reading, Room, Tag
from models.areas import Building
from models.db import Database
from models.errors import InvalidInput
from models.rights import Actor
from resources.i18n import _

CONSUMPTION_GROUPS = ("meter", "room", "floor", "building", "tag")
UNITS = {"electricity": "kWh", "water": "m³", "gas": "m³", "heat": "kWh"}


@dataclass(frozen=True)
class MeterConsumption:
    meter_id: int
    number: str
    parent_id: int | None
    building: str
    floor: str
    room: str
    ct_ratio: int
    start: Decimal | None         # the reading the period starts from (before CT ratio)
    end: Decimal | None
    consumption: Decimal | None   # (end - start) × CT ratio
    status: str


@dataclass(frozen=True)
class ConsumptionRow:
    key: str                      # meter number, "楼/层/房", "楼/层", "楼", "kind:tag"; "" = none
    meters: int
    missing: int                  # meters without a figure (not in the sum)
    consumption: Decimal
    start: Decimal | None = None  # meter grouping only
    end: Decimal | None = None
    status: str = ""


@dataclass(frozen=True)
class LineLossRow:
    main: str
    place: str
    subs: int
    main_consumption: Decimal | None
    subs_consumption: Decimal       # sum of the sub meters that have a figure
    missing: int                    # main + sub meters without a figure
    loss: Decimal | None
    loss_percent: Decimal | None


def _reading(lo_or_hi: datetime, *, after: datetime | sa.ScalarSelect[Any] | None = None, first: bool = False,
             column: InstrumentedAttribute[Any] = Reading.energy_milli) -> sa.ScalarSelect[Any]:
    q = sa.select(column).where(Reading.meter_id == Meter.id, Reading.flag == "", Reading.at <= lo_or_hi)
    if after is not None:
        q = q.where(Reading.at > after)
    order = (Reading.at.asc(), Reading.id.asc()) if first else (Reading.at.desc(), Reading.id.desc())
    return q.order_by(*order).limit(1).scalar_subquery()


def _milli(v: int) -> Decimal:
    return Decimal(int(v)).scaleb(-3)


def meter_consumption(db: Database, start: date, end: date, *, kind: str = "electricity",
                      actor: Actor) -> list[MeterConsumption]:
    lo, hi = check_range(start, end, actor)
    visible = actor.visible_buildings()
    with db.read() as s:
        return meter_figures(s, lo, hi, kind=kind, visible=visible)


def meter_figures(s: Session, lo: datetime, hi: datetime, *, kind: str | None = "electricity",
                  meter_ids: list[int] | None = None,
                  visible: AbstractSet[int] | None = None) -> list[MeterConsumption]:
    """Each meter's consumption between two moments (the rule in this module's docstring):
    one query, readings picked by correlated subqueries. Also used by the counter's chart."""
    q = (sa.select(Meter.id, Meter.number, Meter.parent_id, Meter.ct_ratio, Building.name, Floor.name,
                   Room.number, _reading(lo).label("s"), _reading(hi).label("e"),
                   _reading(hi, column=Reading.at).label("e_at"), _reading(hi, after=lo, first=True).label("f"))
         .outerjoin(Room, Room.id == Meter.room_id).outerjoin(Floor, Floor.id == Room.floor_id)
         .outerjoin(Building, Building.id == Floor.building_id)
         .where(Meter.state != "stock").order_by(Meter.number))
    if kind is not None:
        q = q.where(Meter.kind == kind)
    if meter_ids is not None:
        q = q.where(Meter.id.in_(meter_ids or [-1]))
    if visible is not None:
        q = q.where(Building.id.in_(sorted(visible) or [-1]))
    out = []
    for mid, number, parent, ct, bld, flr, room, s_, e_, e_at, f_ in s.execute(q).all():
        first = s_ if s_ is not None else f_
        if e_ is None:
            status, value = "no_data", None
        elif s_ is not None and _as_utc(e_at) <= lo:
            status, value = "no_reading", None
        elif e_ < first:
            status, value = "backwards", None
        else:
            status = "ok" if s_ is not None else "partial"
            value = _milli((e_ - first) * ct)
        out.append(MeterConsumption(mid, number, parent, bld or "", flr or "", room or "", ct,
                                    None if first is None else _milli(first),
                                    None if e_ is None else _milli(e_), value, status))
    return out


def _as_utc(moment: datetime | str) -> datetime:
    """A scalar subquery's time may come back without the column type's UTC handling."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def consumption(db: Database, start: date, end: date, group: str = "building", *,
                kind: str = "electricity", actor: Actor) -> list[ConsumptionRow]:
    if group not in CONSUMPTION_GROUPS:
        raise InvalidInput(_("Unknown grouping {group}; choose one of {choices}").format(
            group=group, choices=", ".join(CONSUMPTION_GROUPS)))
    meters = meter_consumption(db, start, end, kind=kind, actor=actor)
    if group == "meter":
        return [ConsumptionRow(m.number, 1, int(m.consumption is None), m.consumption or Decimal(0),
                               m.start, m.end, m.status) for m in meters]
    keys: dict[int, list[str]]
    if group == "tag":
        keys = {m.meter_id: [] for m in meters}
        with db.read() as s:
            for mid, tk, tn in s.execute(sa.select(MeterTag.meter_id, Tag.kind, Tag.name)
                                         .join(Tag, Tag.id == MeterTag.tag_id)):
                if mid in keys:
                    keys[mid].append(f"{tk}:{tn}")
        keys = {k: v or [""] for k, v in keys.items()}
    else:
        depth = {"building": 1, "floor": 2, "room": 3}[group]
        keys = {m.meter_id: ["/".join((m.building, m.floor, m.room)[:depth]) if m.building else ""]
                for m in meters}
    acc: dict[str, list[Any]] = {}          # meters, without data, consumption
    for m in meters:
        for key in keys[m.meter_id]:
            a = acc.setdefault(key, [0, 0, Decimal(0)])
            a[0] += 1
            if m.consumption is None:
                a[1] += 1
            else:
                a[2] += m.consumption
    return [ConsumptionRow(k, n, miss, total) for k, (n, miss, total) in sorted(acc.items())]


def line_loss(db: Database, start: date, end: date, *, kind: str = "electricity",
              actor: Actor) -> list[LineLossRow]:
    meters = meter_consumption(db, start, end, kind=kind, actor=actor)
    by_id = {m.meter_id: m for m in meters}
    subs: dict[int, list[MeterConsumption]] = {}
    for m in meters:
        if m.parent_id is not None and m.parent_id in by_id:
            subs.setdefault(m.parent_id, []).append(m)
    out = []
    for main_id, children in subs.items():
        main = by_id[main_id]
        known = [c.consumption for c in children if c.consumption is not None]
        missing = len(children) - len(known) + int(main.consumption is None)
        total = sum(known, Decimal(0))
        loss = pct = None
        if missing == 0 and main.consumption is not None:
            loss = main.consumption - total
            if main.consumption:
                pct = (loss * 100 / main.consumption).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        place = "/".join(p for p in (main.building, main.floor, main.room) if p)
        out.append(LineLossRow(main.number, place, len(children), main.consumption, total, missing, loss, pct))
    return sorted(out, key=lambda r: r.main)
