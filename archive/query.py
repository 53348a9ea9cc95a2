"""What the windows and the CLI show of the archive: meters with their link, room, floor and
building names, filtered; places, links, tags; customers found by name, phone or ID number.

Every list of things inside buildings honours the actor's visible buildings (actor=None: the
station itself, everything). Meters in no room are shown only to operators with every area.
Values are plain frozen dataclasses; readings come back as Decimal text-safe values.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from archive import rules
from archive.places import PlaceInfo, RoomInfo
from models.accounts import Account
from models.archive import Customer, Floor, Link, Meter, MeterTag, Room, Tag
from models.areas import Building, Site
from models.db import Database
from models.rights import Actor


@dataclass(frozen=True)
class MeterRow:
    id: int
    number: str
    kind: str
    protocol: str
    address: str
    profile: str
    link: str                 # "" when none
    ct_ratio: int
    initial: Decimal          # kWh or m³
    install_date: date | None
    state: str
    comm_state: str
    site: str
    building: str
    building_id: int | None
    floor: str
    room: str
    tags: tuple[str, ...]     # "kind:name"
    options: str = "{}"       # Meter.options JSON (models/meter_options.py)


@dataclass(frozen=True)
class LinkRow:
    id: int
    name: str
    url: str
    protocol: str
    enabled: bool
    state: str
    meters: int


@dataclass(frozen=True)
class CustomerRow:
    id: int
    name: str
    phone: str
    id_number: str
    type: str


def _visible(actor: Actor | None) -> frozenset[int] | None:
    return None if actor is None else actor.visible_buildings()


def _like(text: str) -> str:
    return "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _meter_query(actor: Actor | None, columns: tuple[Any, ...], *, building: int | str | None = None,
                 floor: int | str | None = None, link: int | str | None = None, kind: str | None = None,
                 state: str | None = None, tag: int | str | None = None,
                 text: str | None = None) -> sa.Select[Any]:
    q = (sa.select(*columns)
         .outerjoin(Link, Link.id == Meter.link_id).outerjoin(Room, Room.id == Meter.room_id)
         .outerjoin(Floor, Floor.id == Room.floor_id).outerjoin(Building, Building.id == Floor.building_id)
         .outerjoin(Site, Site.id == Building.site_id))
    visible = _visible(actor)
    if visible is not None:
        q = q.where(Building.id.in_(sorted(visible) or [-1]))
    if building is not None:
        q = q.where(Building.id == building if isinstance(building, int) else Building.name == building)
    if floor is not None:
        q = q.where(Floor.id == floor if isinstance(floor, int) else Floor.name == floor)
    if link is not None:
        q = q.where(Link.id == link if isinstance(link, int) else Link.name == link)
    if kind:
        q = q.where(Meter.kind == rules.kind(kind))
    if state:
        q = q.where(Meter.state == rules.meter_state(state))
    if tag is not None:
        tq = sa.select(MeterTag.meter_id).join(Tag, Tag.id == MeterTag.tag_id)
        if isinstance(tag, int):
            tq = tq.where(Tag.id == tag)
        elif ":" in tag:
            k, _sep, n = tag.partition(":")
            tq = tq.where(Tag.kind == rules.tag_kind(k), Tag.name == n.strip())
        else:
            tq = tq.where(Tag.name == tag)
        q = q.where(Meter.id.in_(tq))
    if text and text.strip():
        pattern = _like(text.strip())
        q = q.where(sa.or_(*(sa.func.lower(c).like(pattern, escape="\\")
                             for c in (Meter.number, Meter.address, Room.number))))
    return q.order_by(Meter.number)


def _tags_of(s: Session, ids: list[int]) -> dict[int, list[str]]:
    tags: dict[int, list[str]] = {}
    for chunk in range(0, len(ids), 500):
        for mid, k, n in s.execute(sa.select(MeterTag.meter_id, Tag.kind, Tag.name)
                                   .join(Tag, Tag.id == MeterTag.tag_id)
                                   .where(MeterTag.meter_id.in_(ids[chunk:chunk + 500]))
                                   .order_by(Tag.kind, Tag.name)):
            tags.setdefault(mid, []).append(f"{k}:{n}")
    return tags


def list_meters(db: Database, actor: Actor | None, *, building: int | str | None = None,
                floor: int | str | None = None, link: int | str | None = None, kind: str | None = None,
                state: str | None = None, tag: int | str | None = None, text: str | None = None,
                limit: int | None = None, offset: int = 0) -> list[MeterRow]:
    """Meters by number. building/floor/link by id or name; tag by id, "kind:name" or name;
    text matches part of the number, the address or the room number (case-insensitive)."""
    q = _meter_query(actor, (Meter, Link.name, Room.number, Floor.name, Building.id, Building.name, Site.name),
                     building=building, floor=floor, link=link, kind=kind, state=state, tag=tag,
                     text=text).offset(offset)
    if limit is not None:
        q = q.limit(limit)
    with db.read() as s:
        rows = s.execute(q).all()
        tags = _tags_of(s, [r[0].id for r in rows])
    return [MeterRow(m.id, m.number, m.kind, m.protocol, m.address, m.profile, link_name or "", m.ct_ratio,
                     Decimal(m.initial_milli).scaleb(-3), m.install_date, m.state, m.comm_state,
                     site or "", bname or "", bid, fname or "", rnum or "", tuple(tags.get(m.id, ())),
                     m.options or "{}")
            for m, link_name, rnum, fname, bid, bname, site in rows]


_STREAM_COLUMNS = (Meter.id, Meter.number, Meter.kind, Meter.protocol, Meter.address, Meter.profile, Link.name,
                   Meter.ct_ratio, Meter.initial_milli, Meter.install_date, Meter.state, Meter.comm_state,
                   Site.name, Building.name, Building.id, Floor.name, Room.number, Meter.options)


def iter_meters(s: Session, actor: Actor | None, *, batch: int = 1000) -> Iterator[MeterRow]:
    """list_meters(db, actor) as a stream inside the caller's read transaction: plain rows
    from the cursor `batch` at a time (a server-side cursor on PostgreSQL) with the tags of
    each batch in one more query, so exporting 100,000 meters keeps memory flat."""
    q = _meter_query(actor, _STREAM_COLUMNS)
    with s.connection().execute(q, execution_options={"yield_per": batch}) as result:
        for part in result.partitions():
            tags = _tags_of(s, [r[0] for r in part])
            for (mid, number, kind, protocol, address, profile, link_name, ct, milli, installed, state, comm,
                 site, bname, bid, fname, rnum, options) in part:
                yield MeterRow(mid, number, kind, protocol, address, profile, link_name or "", ct,
                               Decimal(milli).scaleb(-3), installed, state, comm, site or "", bname or "", bid,
                               fname or "", rnum or "", tuple(tags.get(mid, ())), options or "{}")


def list_links(db: Database) -> list[LinkRow]:
    count = (sa.select(Meter.link_id, sa.func.count().label("n")).group_by(Meter.link_id).subquery())
    with db.read() as s:
        rows = s.execute(sa.select(Link, count.c.n).outerjoin(count, count.c.link_id == Link.id)
                         .order_by(Link.name)).all()
    return [LinkRow(k.id, k.name, k.url, k.protocol, k.enabled, k.state, n or 0) for k, n in rows]


def list_buildings(db: Database, actor: Actor | None) -> list[PlaceInfo]:
    q = sa.select(Building).order_by(Building.site_id, Building.name)
    visible = _visible(actor)
    if visible is not None:
        q = q.where(Building.id.in_(sorted(visible) or [-1]))
    with db.read() as s:
        return [PlaceInfo(b.id, b.name, b.site_id) for b in s.execute(q).scalars()]


def list_floors(db: Database, actor: Actor | None, building_id: int) -> list[PlaceInfo]:
    visible = _visible(actor)
    if visible is not None and building_id not in visible:
        return []
    with db.read() as s:
        return [PlaceInfo(f.id, f.name, f.building_id, f.level) for f in s.execute(
            sa.select(Floor).where(Floor.building_id == building_id).order_by(Floor.level, Floor.name)).scalars()]


def list_rooms(db: Database, actor: Actor | None, *, building_id: int | None = None,
               floor_id: int | None = None) -> list[RoomInfo]:
    q = (sa.select(Room, Floor, Building).join(Floor, Floor.id == Room.floor_id)
         .join(Building, Building.id == Floor.building_id)
         .order_by(Building.name, Floor.level, Floor.name, Room.number))
    visible = _visible(actor)
    if visible is not None:
        q = q.where(Building.id.in_(sorted(visible) or [-1]))
    if building_id is not None:
        q = q.where(Building.id == building_id)
    if floor_id is not None:
        q = q.where(Floor.id == floor_id)
    with db.read() as s:
        return [RoomInfo(r.id, r.number, r.name, Decimal(r.area_centi_m2).scaleb(-2), r.people, f.id, f.name,
                         b.id, b.name) for r, f, b in s.execute(q).all()]


def list_tags(db: Database) -> list[tuple[int, str, str]]:
    """(id, kind, name) of every tag."""
    with db.read() as s:
        return [(i, k, n) for i, k, n in s.execute(sa.select(Tag.id, Tag.kind, Tag.name).order_by(Tag.kind, Tag.name))]


def search_customers(db: Database, text: str = "", *, limit: int = 50, actor: Actor | None = None) -> list[CustomerRow]:
    """Customers whose name or phone contains text, or whose ID number is text (newest first
    among equals is not promised: ordered by name, then id).

    An operator limited to some buildings sees the customers with an account in one of them,
    and those with no account in any building (not yet placed: like an account without a room,
    billing.lookup.account_building, they belong to no area); not a customer whose accounts all
    lie in other buildings. actor=None: every customer (the station itself)."""
    q = sa.select(Customer).order_by(Customer.name, Customer.id).limit(limit)
    visible = _visible(actor)
    if visible is not None:
        placed = (sa.select(Account.id).join(Room, Room.id == Account.room_id).join(Floor, Floor.id == Room.floor_id)
                  .where(Account.customer_id == Customer.id))
        q = q.where(sa.or_(~placed.exists(), placed.where(Floor.building_id.in_(sorted(visible))).exists()))
    t = text.strip()
    if t:
        pattern = _like(t)
        q = q.where(sa.or_(sa.func.lower(Customer.name).like(pattern, escape="\\"),
                           Customer.phone.like(pattern, escape="\\"), Customer.id_number == t.upper()))
    with db.read() as s:
        return [CustomerRow(c.id, c.name, c.phone, c.id_number, c.type) for c in s.execute(q).scalars()]


def meter_options(db: Database, number: str) -> dict[str, str]:
    """A meter's stored options (Meter.options JSON) as {key: value}; {} when none or unreadable."""
    import json

    from models.errors import NotFound
    from resources.i18n import _

    with db.read() as s:
        text = s.execute(sa.select(Meter.options).where(Meter.number == str(number).strip())).scalar_one_or_none()
    if text is None:
        raise NotFound(_("There is no meter {number}").format(number=number))
    try:
        return {str(k): str(v) for k, v in json.loads(text or "{}").items()}
    except ValueError:
        return {}
