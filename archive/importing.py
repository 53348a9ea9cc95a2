"""Importing archive tables (read by archive/file_formats.py): check every row, import all or nothing.

Everything happens in one write transaction: rows are checked in the order places, links,
meters, customers (so meters may name links, buildings and rooms from the same file), the
good ones are added to the session as they are checked, and if any row was bad the whole
transaction is rolled back and ImportFailed lists every bad row. Lookups (numbers, names,
addresses on each link) are loaded once and kept in memory, so 10,000 meters take seconds.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from archive import places, rules
from archive.file_formats import Table
from archive.service import customer_values, link_key, meter_values
from models.archive import Customer, Floor, Link, Meter, MeterTag, Room, Tag
from models.areas import Building, Site
from models.audit import audited, record
from models.db import Database
from models.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from models.rights import Actor
from resources.i18n import N_, _

YES = {"", "1", "yes", "y", "true", "是", "启用", "√"}
NO = {"0", "no", "n", "false", "否", "停用", "禁用", "×"}
RACE = N_("The archive was changed by another station during the import; nothing was imported, try again")


@dataclass(frozen=True)
class RowProblem:
    sheet: str
    row: int
    reason: str

    def __str__(self) -> str:
        return _("{sheet}, row {row}: {reason}").format(sheet=self.sheet, row=self.row, reason=self.reason)


class ImportFailed(InvalidInput):
    """Some rows are bad; nothing was imported. `problems` lists every bad row."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(_("{n} rows are not valid; nothing was imported").format(n=len(problems)))
        self.problems = problems


def _options(protocol: str, cell: object) -> str:
    """The 表计参数 cell ("password=000000; timeout=2", ";" or "；" between) as Meter.options JSON."""
    import re

    from archive.service import options_json
    from models.meter_options import parse_items

    items = [p.strip() for p in re.split(r"[;；\n]", rules.cell_text(cell)) if p.strip()]
    return options_json(protocol, {k: v for k, v in parse_items(items).items() if v != ""})


class _Importer:
    def __init__(self, s: Session, actor: Actor) -> None:
        self.s, self.actor = s, actor
        self.problems: list[RowProblem] = []
        self.counts = dict.fromkeys(("buildings", "floors", "rooms", "rooms_updated", "links", "meters",
                                     "customers", "tags"), 0)
        self.buildings = [(b, n) for b, n in s.execute(sa.select(Building, Site.name)
                                                       .join(Site, Site.id == Building.site_id))]
        self.floors = {(f.building_id, f.name): f for f in s.execute(sa.select(Floor)).scalars()}
        self.rooms = {(r.floor_id, r.number): r for r in s.execute(sa.select(Room)).scalars()}
        self.old_rooms = set(self.rooms)
        self.links = {k.name: k for k in s.execute(sa.select(Link)).scalars()}
        self.buses = {link_key(k.url): k.name for k in self.links.values()}
        self.numbers: dict[str, int | None] = {n: None for n in s.execute(sa.select(Meter.number)).scalars()}
        self.addresses: dict[tuple[int, str], str] = {
            (lid, a): n for lid, a, n in s.execute(sa.select(Meter.link_id, Meter.address, Meter.number))
            if lid is not None}
        self.tags = {(t.kind, t.name): t for t in s.execute(sa.select(Tag)).scalars()}
        self.people: dict[tuple[str, str], int | None] = {(c.name, c.phone): None for c in s.execute(sa.select(Customer)
                                                                  .where(Customer.phone != "")).scalars()}
        self.meter_tags: list[tuple[Meter, list[tuple[str, str]]]] = []

    # --- places ----------------------------------------------------------------------------
    def building(self, name: str, site: str) -> Building:
        found = [b for b, sname in self.buildings if b.name == name and (not site or sname == site)]
        if not found:
            raise NotFound(_("There is no building {name}").format(name=name))
        if len(found) > 1:
            raise InvalidInput(_("Several sites have a building {name}; name the site").format(name=name))
        return found[0]

    def floor(self, b: Building, name: str, level: object = "") -> Floor:
        f = self.floors.get((b.id, name))
        if f is None:
            self.actor.require("archive_edit", b.id)
            lvl = rules.whole(level, _("Floor level"), minimum=-999, default=rules.floor_level(name))
            f = self.floors[(b.id, name)] = places.new_floor(self.s, b.id, name, lvl)
            self.counts["floors"] += 1
        return f

    def room(self, f: Floor, b: Building, number: str) -> Room:
        r = self.rooms.get((f.id, number))
        if r is None:
            self.actor.require("archive_edit", b.id)
            r = self.rooms[(f.id, number)] = places.new_room(self.s, f.id, number)
            self.counts["rooms"] += 1
        return r

    def place_row(self, row: dict[str, Any]) -> None:
        site = rules.text(row.get("site"), _("Site name"), max_len=100, required=False)
        name = rules.text(row.get("building"), _("Building name"), max_len=100)
        try:
            b = self.building(name, site)
        except NotFound:
            places.require_all_areas(self.actor)
            in_site = places.find_site(self.s, site or None, create=True)
            b = places.new_building(self.s, name, in_site)
            self.buildings.append((b, in_site.name))
            self.counts["buildings"] += 1
        floor_name = rules.text(row.get("floor"), _("Floor name"), max_len=40, required=False)
        room_no = rules.text(row.get("room"), _("Room number"), max_len=40, required=False)
        if not floor_name:
            if room_no:
                raise InvalidInput(_("Give the floor of room {room}").format(room=room_no))
            return
        f = self.floor(b, floor_name, row.get("level"))
        if room_no:
            r = self.room(f, b, room_no)
            new = {"name": rules.text(row.get("room_name"), _("Room name"), max_len=100, required=False),
                   "area_centi_m2": rules.area_centi(row.get("area")) if rules.cell_text(row.get("area")) else None,
                   "people": rules.whole(row.get("people"), _("People"), minimum=0, default=-1)}
            changed = False
            for attr, value in new.items():
                if value not in (None, "", -1) and getattr(r, attr) != value:
                    self.actor.require("archive_edit", b.id)
                    setattr(r, attr, value)
                    changed = True
            if changed and (f.id, room_no) in self.old_rooms:
                self.counts["rooms_updated"] += 1

    # --- links ----------------------------------------------------------------------------
    def link_row(self, row: dict[str, Any]) -> None:
        self.actor.require("archive_edit")
        name = rules.text(row.get("name"), _("Link name"), max_len=60)
        url = rules.text(row.get("url"), _("Link URL"), max_len=200)
        key = link_key(url)
        proto = rules.protocol(row.get("protocol") if rules.cell_text(row.get("protocol")) else "dlt645-2007")
        enabled = rules.cell_text(row.get("enabled")).lower()
        if enabled not in YES | NO:
            raise InvalidInput(_("Enabled must be yes or no, not {value}").format(value=enabled))
        old = self.links.get(name)
        if old is not None:
            if link_key(old.url) != key:
                raise Conflict(_("Link {name} already exists with the URL {url}").format(name=name, url=old.url))
            return
        if key in self.buses:
            raise Conflict(_("Link {name} already uses {url}").format(name=self.buses[key], url=url))
        link = Link(name=name, url=url, protocol=proto, enabled=enabled not in NO)
        self.s.add(link)
        self.s.flush()
        self.links[name], self.buses[key] = link, name
        self.counts["links"] += 1

    # --- meters ---------------------------------------------------------------------------
    def meter_row(self, row: dict[str, Any], rownum: int) -> None:
        self.actor.require("archive_edit")
        link_name = rules.cell_text(row.get("link"))
        link = self.links.get(link_name) if link_name else None
        problems: list[str] = []
        room: Room | None = None
        tags: list[tuple[str, str]] = []
        if link_name and link is None:
            problems.append(_("There is no link {name}").format(name=link_name))
        try:
            v = meter_values(number=row.get("number"), address=row.get("address"), protocol=row.get("protocol"),
                             link_protocol=link.protocol if link else "", kind=row.get("kind"),
                             profile=row.get("profile"), ct_ratio=row.get("ct_ratio"), initial=row.get("initial"),
                             install_date=row.get("install_date"), state=row.get("state"))
        except InvalidInput as e:
            problems.append(str(e))
            v = None
        if not link_name and v is not None and v.state != "stock":
            problems.append(_("Name the link the meter is on (only a meter in stock may have none)"))
        try:
            room = self.meter_room(row)
            tags = rules.parse_tags(row.get("tags"))
        except (InvalidInput, NotFound, PermissionDenied, Conflict) as e:
            problems.append(str(e))
        options = "{}"
        if v is not None:
            try:
                options = _options(v.protocol, row.get("options"))
            except InvalidInput as e:
                problems.append(str(e))
        if v is not None:
            if v.number in self.numbers:
                first = self.numbers[v.number]
                problems.append(_("Meter {number} already exists").format(number=v.number) if first is None else
                                _("Meter {number} is also in row {row}").format(number=v.number, row=first))
            if link is not None and (link.id, v.address) in self.addresses:
                problems.append(_("Address {address} is already used on this link by meter {number}")
                                .format(address=v.address, number=self.addresses[(link.id, v.address)]))
        if problems:
            raise InvalidInput("; ".join(problems))
        assert v is not None                  # no values is a problem above
        self.numbers[v.number] = rownum
        if link is not None:
            self.addresses[(link.id, v.address)] = v.number
        m = Meter(**v.__dict__, link_id=link.id if link else None, room_id=room.id if room else None,
                  options=options)
        self.s.add(m)
        self.meter_tags.append((m, tags))
        self.counts["meters"] += 1

    def meter_room(self, row: dict[str, Any]) -> Room | None:
        bname = rules.text(row.get("building"), _("Building name"), max_len=100, required=False)
        fname = rules.text(row.get("floor"), _("Floor name"), max_len=40, required=False)
        number = rules.text(row.get("room"), _("Room number"), max_len=40, required=False)
        if not bname:
            if fname:
                raise InvalidInput(_("Give the building of floor {name}").format(name=fname))
            if not number:
                places.require_all_areas(self.actor)
                return None
            room = places.find_room(self.s, number)
            self.actor.require("archive_edit", places.building_of_room(self.s, room.id))
            return room
        b = self.building(bname, rules.cell_text(row.get("site")))
        self.actor.require("archive_edit", b.id)
        if not fname:
            raise InvalidInput(_("Give the floor and room of the meter in building {name}").format(name=bname))
        if not number:
            raise InvalidInput(_("Give the room of the meter on floor {name}").format(name=fname))
        return self.room(self.floor(b, fname), b, number)

    # --- customers ------------------------------------------------------------------------
    def customer_row(self, row: dict[str, Any], rownum: int) -> None:
        self.actor.require("archive_edit")
        values = customer_values(row.get("name"), row.get("phone"), row.get("id_number"), row.get("type"))
        key = (values["name"], values["phone"])
        if values["phone"] and key in self.people:
            first = self.people[key]
            raise Conflict(_("Customer {name} with phone {phone} already exists").format(
                name=values["name"], phone=values["phone"]) if first is None else
                _("Customer {name} with phone {phone} is also in row {row}").format(
                name=values["name"], phone=values["phone"], row=first))
        self.people[key] = rownum
        self.s.add(Customer(**values))
        self.counts["customers"] += 1

    # --- driver ---------------------------------------------------------------------------
    def run(self, tables: list[Table]) -> None:
        handlers = {"places": lambda r, n: self.place_row(r), "links": lambda r, n: self.link_row(r),
                    "meters": self.meter_row, "customers": self.customer_row}
        try:
            for kind in ("places", "links", "meters", "customers"):
                for table in (t for t in tables if t.kind == kind):
                    for rownum, row in table.rows:
                        try:
                            handlers[kind](row, rownum)
                        except (InvalidInput, NotFound, Conflict, PermissionDenied) as e:
                            self.problems.append(RowProblem(table.sheet, rownum, str(e)))
        except sa.exc.PendingRollbackError:      # a unique clash raced in by another station
            raise Conflict(_(RACE)) from None
        if self.problems:
            return
        self._flush()
        for meter, tags in self.meter_tags:
            for tag_id in {self.tag(k, n).id for k, n in tags}:
                self.s.add(MeterTag(meter_id=meter.id, tag_id=tag_id))
        self._flush()

    def tag(self, kind: str, name: str) -> Tag:
        if (kind, name) not in self.tags:
            self.tags[(kind, name)] = places.ensure_tag(self.s, kind, name)
            self.counts["tags"] += 1
        return self.tags[(kind, name)]

    def _flush(self) -> None:
        try:
            self.s.flush()
        except sa.exc.IntegrityError:
            raise Conflict(_(RACE)) from None


def import_tables(db: Database, actor: Actor, tables: list[Table], source: str) -> dict[str, int]:
    """Import every table or nothing; the counts of what was added. Raises ImportFailed."""
    if not any(t.rows for t in tables):
        raise InvalidInput(_("{file} holds no rows to import").format(file=source))
    with audited(db, actor, "archive.import", source) as s:
        actor.require("archive_edit")
        imp = _Importer(s, actor)
        imp.run(tables)
        if imp.problems:
            raise ImportFailed(imp.problems)
        record(s, actor, "archive.import", source, dict(imp.counts))
        return dict(imp.counts)
