"""Sites, buildings, floors, rooms/shops and tags: add, change, list, and find by name.

Rights: every change needs `archive_edit`; a change inside a building also needs area rights
on that building, and only an operator with every area may add a site or a building (a new
building is outside any limited operator's areas). Lists honour the actor's visible buildings.

    bid = add_building(db, actor, "1号楼")
    fid = add_floor(db, actor, bid, "3F")            # level 3 guessed from the name
    rid = add_room(db, actor, bid, "3F", "301", area="45.5", people=3)
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from archive import rules
from models.archive import Floor, Room, Tag
from models.areas import Building, Site
from models.audit import audited, record
from models.db import Database
from models.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from models.rights import Actor
from resources.i18n import _


@dataclass(frozen=True)
class RoomInfo:
    id: int
    number: str
    name: str
    area: Decimal          # m²
    people: int
    floor_id: int
    floor: str
    building_id: int
    building: str


@dataclass(frozen=True)
class PlaceInfo:
    """A building or a floor (id, name, parent)."""
    id: int
    name: str
    parent_id: int
    level: int = 0


# --- finding things by name (inside a session) ----------------------------------------------
def find_site(s: Session, name: str | None, *, create: bool = False) -> Site:
    """The named site; with no name the only site (created as "Main site" on an empty station)."""
    if name:
        site = s.execute(sa.select(Site).where(Site.name == name)).scalar_one_or_none()
        if site is None and create:
            site = Site(name=rules.text(name, _("Site name"), max_len=100))
            s.add(site)
            s.flush()
        if site is None:
            raise NotFound(_("There is no site {name}").format(name=name))
        return site
    sites = list(s.execute(sa.select(Site).order_by(Site.id).limit(2)).scalars())
    if len(sites) == 1 or (sites and not create):
        return sites[0]
    if not sites:
        site = Site(name=_("Main site"))
        s.add(site)
        s.flush()
        return site
    raise InvalidInput(_("The station has several sites; name the site"))


def find_building(s: Session, ref: int | str, site: str | None = None) -> Building:
    """A building by id or by name (unique across sites unless the site is named)."""
    if isinstance(ref, int):
        b = s.get(Building, ref)
        if b is None:
            raise NotFound(_("There is no building {name}").format(name=ref))
        return b
    q = sa.select(Building).where(Building.name == ref.strip())
    if site:
        q = q.join(Site, Site.id == Building.site_id).where(Site.name == site)
    found = list(s.execute(q.limit(2)).scalars())
    if not found:
        raise NotFound(_("There is no building {name}").format(name=ref))
    if len(found) > 1:
        raise InvalidInput(_("Several sites have a building {name}; name the site").format(name=ref))
    return found[0]


def find_floor(s: Session, building_id: int, ref: int | str) -> Floor:
    q = sa.select(Floor).where(Floor.building_id == building_id)
    q = q.where(Floor.id == ref) if isinstance(ref, int) else q.where(Floor.name == ref.strip())
    floor = s.execute(q).scalar_one_or_none()
    if floor is None:
        raise NotFound(_("There is no floor {name} in this building").format(name=ref))
    return floor


def find_room(s: Session, ref: int | str) -> Room:
    """A room by id, by "BUILDING/FLOOR/NUMBER", or by a number no other room has."""
    if isinstance(ref, int):
        room = s.get(Room, ref)
        if room is None:
            raise NotFound(_("There is no room {room}").format(room=ref))
        return room
    parts = [p.strip() for p in ref.split("/")]
    if len(parts) == 3:
        b = find_building(s, parts[0])
        return _one_room(s, find_floor(s, b.id, parts[1]).id, parts[2], ref)
    if len(parts) != 1:
        raise InvalidInput(_("Name a room as BUILDING/FLOOR/NUMBER or by its number"))
    found = list(s.execute(sa.select(Room).where(Room.number == parts[0]).limit(2)).scalars())
    if not found:
        raise NotFound(_("There is no room {room}").format(room=ref))
    if len(found) > 1:
        raise InvalidInput(_("Several rooms have the number {room}; name it as BUILDING/FLOOR/NUMBER")
                           .format(room=ref))
    return found[0]


def _one_room(s: Session, floor_id: int, number: str, ref: str) -> Room:
    room = s.execute(sa.select(Room).where(Room.floor_id == floor_id, Room.number == number)
                     ).scalar_one_or_none()
    if room is None:
        raise NotFound(_("There is no room {room}").format(room=ref))
    return room


def building_of_room(s: Session, room_id: int) -> int:
    return s.execute(sa.select(Floor.building_id).join(Room, Room.floor_id == Floor.id)
                     .where(Room.id == room_id)).scalar_one()


def require_all_areas(actor: Actor) -> None:
    """archive_edit on every area: for sites, buildings and meters placed in no room."""
    actor.require("archive_edit")
    if actor.visible_buildings() is not None:
        raise PermissionDenied(_("Operator {name} is limited to some buildings and may only act "
                                 "inside them").format(name=actor.name), right="archive_edit")


def require_place(actor: Actor, building_id: int | None) -> None:
    """archive_edit on that building, or on every area when the thing is in no building."""
    if building_id is None:
        require_all_areas(actor)
    else:
        actor.require("archive_edit", building_id)


def flush_or_conflict(s: Session, message: str) -> None:
    """Flush; a unique clash (also one raced in by another station) becomes Conflict."""
    try:
        s.flush()
    except sa.exc.IntegrityError:
        raise Conflict(message) from None


# --- changes ----------------------------------------------------------------------------------
def add_site(db: Database, actor: Actor, name: str) -> int:
    name = rules.text(name, _("Site name"), max_len=100)
    with audited(db, actor, "site.add", name) as s:
        require_all_areas(actor)
        if s.execute(sa.select(Site.id).where(Site.name == name)).first():
            raise Conflict(_("Site {name} already exists").format(name=name))
        site = Site(name=name)
        s.add(site)
        flush_or_conflict(s, _("Site {name} already exists").format(name=name))
        record(s, actor, "site.add", name)
        return site.id


def new_building(s: Session, name: str, site: Site) -> Building:
    name = rules.text(name, _("Building name"), max_len=100)
    taken = _("Building {name} already exists").format(name=name)
    if s.execute(sa.select(Building.id).where(Building.site_id == site.id, Building.name == name)).first():
        raise Conflict(taken)
    b = Building(site_id=site.id, name=name)
    s.add(b)
    flush_or_conflict(s, taken)
    return b


def add_building(db: Database, actor: Actor, name: str, site: str | None = None) -> int:
    with audited(db, actor, "building.add", name) as s:
        require_all_areas(actor)
        b = new_building(s, name, find_site(s, site, create=True))
        record(s, actor, "building.add", b.name, {"site_id": b.site_id})
        return b.id


def rename_building(db: Database, actor: Actor, building: int | str, name: str) -> None:
    name = rules.text(name, _("Building name"), max_len=100)
    with audited(db, actor, "building.update", str(building)) as s:
        actor.require("archive_edit")        # first: a refusal says nothing of what exists
        b = find_building(s, building)
        actor.require("archive_edit", b.id)
        old, b.name = b.name, name
        flush_or_conflict(s, _("Building {name} already exists").format(name=name))
        record(s, actor, "building.update", name, {"old_name": old})


def new_floor(s: Session, building_id: int, name: str, level: int | None = None) -> Floor:
    name = rules.text(name, _("Floor name"), max_len=40)
    taken = _("Floor {name} already exists in this building").format(name=name)
    if s.execute(sa.select(Floor.id).where(Floor.building_id == building_id, Floor.name == name)).first():
        raise Conflict(taken)
    f = Floor(building_id=building_id, name=name, level=rules.floor_level(name) if level is None else level)
    s.add(f)
    flush_or_conflict(s, taken)
    return f


def add_floor(db: Database, actor: Actor, building: int | str, name: str, level: int | None = None) -> int:
    with audited(db, actor, "floor.add", f"{building}/{name}") as s:
        actor.require("archive_edit")        # first: a refusal says nothing of what exists
        b = find_building(s, building)
        actor.require("archive_edit", b.id)
        f = new_floor(s, b.id, name, level)
        record(s, actor, "floor.add", f"{b.name}/{f.name}", {"level": f.level})
        return f.id


def new_room(s: Session, floor_id: int, number: str, name: object = "", area: object = "",
             people: object = "") -> Room:
    number = rules.text(number, _("Room number"), max_len=40)
    taken = _("Room {room} already exists on this floor").format(room=number)
    if s.execute(sa.select(Room.id).where(Room.floor_id == floor_id, Room.number == number)).first():
        raise Conflict(taken)
    r = Room(floor_id=floor_id, number=number, name=rules.text(name, _("Room name"), max_len=100, required=False),
             area_centi_m2=rules.area_centi(area), people=rules.whole(people, _("People"), minimum=0, default=0))
    s.add(r)
    flush_or_conflict(s, taken)
    return r


def add_room(db: Database, actor: Actor, building: int | str, floor: int | str, number: str, *,
             name: str = "", area: object = "", people: object = "") -> int:
    with audited(db, actor, "room.add", f"{building}/{floor}/{number}") as s:
        actor.require("archive_edit")        # first: a refusal says nothing of what exists
        b = find_building(s, building)
        actor.require("archive_edit", b.id)
        f = find_floor(s, b.id, floor)
        r = new_room(s, f.id, number, name, area, people)
        record(s, actor, "room.add", f"{b.name}/{f.name}/{r.number}",
               {"area": rules.format_centi(r.area_centi_m2), "people": r.people})
        return r.id


def update_room(db: Database, actor: Actor, room: int | str, *, number: str | None = None,
                name: str | None = None, area: object = None, people: object = None) -> None:
    """Change what is given (None leaves a field as it is)."""
    with audited(db, actor, "room.update", str(room)) as s:
        actor.require("archive_edit")        # first: a refusal says nothing of what exists
        r = find_room(s, room)
        actor.require("archive_edit", building_of_room(s, r.id))
        changes: dict[str, str] = {}
        if number is not None:
            r.number = changes["number"] = rules.text(number, _("Room number"), max_len=40)
        if name is not None:
            r.name = changes["name"] = rules.text(name, _("Room name"), max_len=100, required=False)
        if area is not None:
            r.area_centi_m2 = rules.area_centi(area)
            changes["area"] = rules.format_centi(r.area_centi_m2)
        if people is not None:
            r.people = rules.whole(people, _("People"), minimum=0, default=0)
            changes["people"] = str(r.people)
        flush_or_conflict(s, _("Room {room} already exists on this floor").format(room=r.number))
        record(s, actor, "room.update", str(r.id), changes)


def add_tag(db: Database, actor: Actor, kind: str, name: str) -> int:
    kind, name = rules.tag_kind(kind), rules.text(name, _("Tag name"), max_len=60)
    with audited(db, actor, "tag.add", f"{kind}:{name}") as s:
        actor.require("archive_edit")
        if s.execute(sa.select(Tag.id).where(Tag.kind == kind, Tag.name == name)).first():
            raise Conflict(_("Tag {name} already exists").format(name=name))
        t = ensure_tag(s, kind, name)
        record(s, actor, "tag.add", f"{kind}:{name}")
        return t.id


def ensure_tag(s: Session, kind: str, name: str) -> Tag:
    t = s.execute(sa.select(Tag).where(Tag.kind == kind, Tag.name == name)).scalar_one_or_none()
    if t is None:
        t = Tag(kind=kind, name=name)
        s.add(t)
        flush_or_conflict(s, _("Tag {name} already exists").format(name=name))
    return t
