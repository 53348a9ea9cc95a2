"""Links (buses), meters and customers: add and change, each in one transaction with its
operation-log row. Places and tags are in archive/places.py, lists and searches in
archive/query.py, file import/export in archive/file_formats.py.

    add_link(db, actor, "1号楼总线", "tcp://192.168.1.20:8001")
    add_meter(db, actor, "000012345678", link="1号楼总线", address="12345678", room="1号楼/3F/301")
    add_customer(db, actor, "张三", phone="13800000000")

Rights: `archive_edit`; a meter in a room also needs area rights on the room's building, and a
meter in no room needs every area. A meter's number is unique, and on one link no two meters
share an address (they would both answer).
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from archive import rules
from archive.places import building_of_room, ensure_tag, find_room, flush_or_conflict, require_place
from models import meter_options
from models.archive import Customer, Link, Meter, MeterTag, Reading, Tag
from models.audit import audited, record
from models.db import Database
from models.errors import Conflict, InvalidInput, NotFound
from models.link_urls import parse_link_url
from models.rights import Actor
from resources.i18n import _

KEEP: Any = object()       # "leave this field as it is" in update_meter


def link_key(url: str) -> tuple[object, ...]:
    """What makes two link URLs the same bus (same port, or same host and port)."""
    spec = parse_link_url(url)
    return (spec.scheme, spec.port.lower(), spec.host.lower(), spec.tcp_port)


# --- links ------------------------------------------------------------------------------------
def find_link(s: Session, ref: int | str) -> Link:
    q = sa.select(Link).where(Link.id == ref if isinstance(ref, int) else Link.name == ref.strip())
    link = s.execute(q).scalar_one_or_none()
    if link is None:
        raise NotFound(_("There is no link {name}").format(name=ref))
    return link


def _check_bus_free(s: Session, url: str, exclude: int | None = None) -> None:
    key = link_key(url)
    for other in s.execute(sa.select(Link)).scalars():
        if other.id != exclude and link_key(other.url) == key:
            raise Conflict(_("Link {name} already uses {url}").format(name=other.name, url=other.url))


def add_link(db: Database, actor: Actor, name: str, url: str, protocol: str = "dlt645-2007") -> int:
    name = rules.text(name, _("Link name"), max_len=60)
    url = rules.text(url, _("Link URL"), max_len=200)
    parse_link_url(url)
    protocol = rules.protocol(protocol)
    with audited(db, actor, "link.add", name) as s:
        actor.require("archive_edit")
        taken = _("Link {name} already exists").format(name=name)
        if s.execute(sa.select(Link.id).where(Link.name == name)).first():
            raise Conflict(taken)
        _check_bus_free(s, url)
        link = Link(name=name, url=url, protocol=protocol)
        s.add(link)
        flush_or_conflict(s, taken)
        record(s, actor, "link.add", name, {"url": url, "protocol": protocol})
        return link.id


def update_link(db: Database, actor: Actor, link: int | str, *, name: str | None = None,
                url: str | None = None, protocol: str | None = None, enabled: bool | None = None) -> None:
    with audited(db, actor, "link.update", str(link)) as s:
        actor.require("archive_edit")
        row = find_link(s, link)
        changes: dict[str, object] = {}
        if name is not None:
            row.name = changes["name"] = rules.text(name, _("Link name"), max_len=60)
        if url is not None:
            url = rules.text(url, _("Link URL"), max_len=200)
            parse_link_url(url)
            _check_bus_free(s, url, exclude=row.id)
            row.url = changes["url"] = url
        if protocol is not None:
            row.protocol = changes["protocol"] = rules.protocol(protocol)
        if enabled is not None:
            row.enabled = changes["enabled"] = bool(enabled)
        flush_or_conflict(s, _("Link {name} already exists").format(name=row.name))
        record(s, actor, "link.update", row.name, changes)


# --- meters -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class MeterValues:
    """A meter's checked, canonical fields (everything but its link and room)."""
    number: str
    kind: str
    protocol: str
    address: str
    profile: str
    ct_ratio: int
    initial_milli: int
    install_date: date | None
    state: str


def meter_values(*, number: object, address: object, protocol: object = None, link_protocol: str = "",
                 kind: object = None, profile: object = "", ct_ratio: object = "", initial: object = "",
                 install_date: object = None, state: object = "") -> MeterValues:
    """Check every field; one InvalidInput naming every problem ("; " between them)."""
    problems: list[str] = []

    def check(fn: Callable[..., Any], *args: object, default: Any = None) -> Any:   # a rule's value
        try:
            return fn(*args)
        except InvalidInput as e:
            problems.append(str(e))
            return default

    num = check(lambda v: rules.text(v, _("Meter number"), max_len=40), number, default="")
    proto = check(rules.protocol, protocol if rules.cell_text(protocol) else (link_protocol or "dlt645-2007"))
    if rules.cell_text(kind):
        knd = check(rules.kind, kind)
    else:
        knd = "water" if proto == "cjt188" else "electricity"
    if proto and knd:
        check(rules.kind_fits_protocol, knd, proto)
    addr = check(rules.address, address, proto) if proto else ""    # no protocol: a problem already
    prof = check(rules.profile, profile, proto) if proto else ""
    ct = check(rules.ct_ratio, ct_ratio)
    milli = check(rules.initial_milli, initial)
    when = check(rules.install_date, install_date)
    st = check(rules.meter_state, state) if rules.cell_text(state) else "installed"
    if problems:
        raise InvalidInput("; ".join(problems))
    return MeterValues(num, knd, proto, addr, prof, ct, milli, when, st)


def find_meter(s: Session, number: str) -> Meter:
    meter = s.execute(sa.select(Meter).where(Meter.number == str(number).strip())).scalar_one_or_none()
    if meter is None:
        raise NotFound(_("There is no meter {number}").format(number=number))
    return meter


def number_taken(s: Session, number: str) -> bool:
    return s.execute(sa.select(Meter.id).where(Meter.number == number)).first() is not None


def _check_address_free(s: Session, link_id: int | None, address: str, exclude: int | None = None) -> None:
    if link_id is None:
        return
    other = s.execute(sa.select(Meter.number).where(Meter.link_id == link_id, Meter.address == address,
                                                    Meter.id != (exclude or 0))).first()
    if other:
        raise Conflict(_("Address {address} is already used on this link by meter {number}")
                       .format(address=address, number=other[0]))


def _need_link(link: object, state: str) -> None:
    if link in (None, "") and state != "stock":
        raise InvalidInput(_("Name the link the meter is on (only a meter in stock may have none)"))


def options_json(protocol: str, options: dict[str, str] | None, old: str = "{}") -> str:
    """Meter.options after applying `options` (KEY -> VALUE, "" removes) to the stored JSON `old`,
    checked for the meter's protocol (models/meter_options.py: unknown keys and bad values refused)."""
    try:
        current = {str(k): str(v) for k, v in json.loads(old or "{}").items()}
    except ValueError:
        current = {}
    changes = meter_options.check_options(protocol, dict(options or {}))
    merged = meter_options.merge_options(current, changes)
    meter_options.check_options(protocol, merged)         # old keys must still fit a changed protocol
    return json.dumps(merged, ensure_ascii=False, sort_keys=True)


def add_meter(db: Database, actor: Actor, number: str, *, address: object, link: int | str | None,
              protocol: str | None = None, profile: str = "", kind: str | None = None,
              ct_ratio: object = 1, initial: object = "0", install_date: object = None,
              room: int | str | None = None, state: str = "installed",
              options: dict[str, str] | None = None) -> int:
    """Add a meter; protocol defaults to the link's. initial is Decimal text (kWh or m³);
    options are the per-meter options (models/meter_options.py OPTIONS), checked for its protocol."""
    with audited(db, actor, "meter.add", str(number)) as s:
        actor.require("archive_edit")
        row_room = find_room(s, room) if room not in (None, "") else None
        require_place(actor, building_of_room(s, row_room.id) if row_room else None)
        row_link = find_link(s, link) if link not in (None, "") else None
        v = meter_values(number=number, address=address, protocol=protocol, kind=kind, profile=profile,
                         link_protocol=row_link.protocol if row_link else "", ct_ratio=ct_ratio,
                         initial=initial, install_date=install_date, state=state)
        _need_link(row_link, v.state)
        opts = options_json(v.protocol, options)
        taken = _("Meter {number} already exists").format(number=v.number)
        if number_taken(s, v.number):
            raise Conflict(taken)
        _check_address_free(s, row_link.id if row_link else None, v.address)
        meter = Meter(**v.__dict__, link_id=row_link.id if row_link else None,
                      room_id=row_room.id if row_room else None, options=opts)
        s.add(meter)
        flush_or_conflict(s, taken)
        details: dict[str, object] = {"kind": v.kind, "protocol": v.protocol, "address": v.address,
                   "link": row_link.name if row_link else "", "room_id": meter.room_id, "ct_ratio": v.ct_ratio,
                   "initial": rules.format_milli(v.initial_milli)}
        if opts != "{}":
            details["options"] = meter_options.shown(json.loads(opts))
        record(s, actor, "meter.add", v.number, details)
        return meter.id


def update_meter(db: Database, actor: Actor, number: str, *, address: object = KEEP, link: Any = KEEP,
                 protocol: Any = KEEP, profile: Any = KEEP, kind: Any = KEEP, ct_ratio: Any = KEEP,
                 initial: Any = KEEP, install_date: Any = KEEP, room: Any = KEEP, state: Any = KEEP,
                 options: Any = KEEP) -> None:
    """Change the given fields (room=None takes the meter out of its room). The number is the
    meter's identity and does not change; the initial reading is fixed once readings exist.
    options {KEY: VALUE} changes only the keys given (VALUE "" removes the key)."""
    with audited(db, actor, "meter.update", str(number)) as s:
        actor.require("archive_edit")
        m = find_meter(s, number)
        require_place(actor, building_of_room(s, m.room_id) if m.room_id else None)
        if room is not KEEP:
            m.room_id = find_room(s, room).id if room not in (None, "") else None
            require_place(actor, building_of_room(s, m.room_id) if m.room_id else None)
        if link is not KEEP:
            m.link_id = find_link(s, link).id if link not in (None, "") else None
        old = {k: getattr(m, k) for k in MeterValues.__dataclass_fields__}
        given = {"address": address, "protocol": protocol, "profile": profile, "kind": kind,
                 "ct_ratio": ct_ratio, "initial": initial, "install_date": install_date, "state": state}
        current = {"address": m.address, "protocol": m.protocol, "profile": m.profile, "kind": m.kind,
                   "ct_ratio": m.ct_ratio, "initial": rules.format_milli(m.initial_milli),
                   "install_date": m.install_date, "state": m.state}
        merged: dict[str, Any] = {k: current[k] if v is KEEP else v for k, v in given.items()}
        v = meter_values(number=m.number, **merged)
        _need_link(m.link_id, v.state)
        if v.initial_milli != m.initial_milli and s.execute(
                sa.select(Reading.id).where(Reading.meter_id == m.id).limit(1)).first():
            raise Conflict(_("Meter {number} has readings; its initial reading can no longer change")
                           .format(number=m.number))
        _check_address_free(s, m.link_id, v.address, exclude=m.id)
        opts = m.options or "{}"
        if options is not KEEP or v.protocol != m.protocol:
            opts = options_json(v.protocol, {} if options is KEEP else options, m.options)
        for k, value in v.__dict__.items():
            setattr(m, k, value)
        changes: dict[str, Any] = {k: str(getattr(m, k)) for k in old if getattr(m, k) != old[k]}
        if opts != (m.options or "{}"):
            m.options = opts
            changes["options"] = meter_options.shown(json.loads(opts))
        for k in ("room_id", "link_id"):
            if (room if k == "room_id" else link) is not KEEP:
                changes[k] = str(getattr(m, k))
        s.flush()
        record(s, actor, "meter.update", m.number, changes)


def set_meter_tags(db: Database, actor: Actor, number: str, tags: list[tuple[str, str]]) -> None:
    """Replace a meter's tags with `tags` [(kind, name)...]; missing tags are created."""
    clean = [(rules.tag_kind(k), rules.text(n, _("Tag name"), max_len=60)) for k, n in tags]
    with audited(db, actor, "meter.tags", str(number)) as s:
        actor.require("archive_edit")
        m = find_meter(s, number)
        require_place(actor, building_of_room(s, m.room_id) if m.room_id else None)
        s.execute(sa.delete(MeterTag).where(MeterTag.meter_id == m.id))
        for tag_id in {ensure_tag(s, k, n).id for k, n in clean}:
            s.add(MeterTag(meter_id=m.id, tag_id=tag_id))
        s.flush()
        record(s, actor, "meter.tags", m.number, {"tags": [f"{k}:{n}" for k, n in sorted(set(clean))]})


def change_meter_tags(db: Database, actor: Actor, number: str, *, add: Sequence[tuple[str, str]] = (),
                      remove: Sequence[tuple[str, str]] = ()) -> list[str]:
    """Add and/or remove some of a meter's tags (missing tags are created, removing a tag the
    meter does not carry is no error); returns the meter's tags after, as "kind:name"."""
    add = [(rules.tag_kind(k), rules.text(n, _("Tag name"), max_len=60)) for k, n in add]
    remove = [(rules.tag_kind(k), rules.text(n, _("Tag name"), max_len=60)) for k, n in remove]
    with audited(db, actor, "meter.tags", str(number)) as s:
        actor.require("archive_edit")
        m = find_meter(s, number)
        require_place(actor, building_of_room(s, m.room_id) if m.room_id else None)
        have = {(k, n): tid for tid, k, n in s.execute(
            sa.select(Tag.id, Tag.kind, Tag.name).join(MeterTag, MeterTag.tag_id == Tag.id)
            .where(MeterTag.meter_id == m.id))}
        for key in dict.fromkeys(add):
            if key not in have:
                tag = ensure_tag(s, *key)
                s.add(MeterTag(meter_id=m.id, tag_id=tag.id))
                have[key] = tag.id
        for key in dict.fromkeys(remove):
            if key in have:
                s.execute(sa.delete(MeterTag).where(MeterTag.meter_id == m.id, MeterTag.tag_id == have.pop(key)))
        s.flush()
        after = [f"{k}:{n}" for k, n in sorted(have)]
        record(s, actor, "meter.tags", m.number, {"tags": after, "added": [f"{k}:{n}" for k, n in add],
                                                   "removed": [f"{k}:{n}" for k, n in remove]})
        return after


# --- customers --------------------------------------------------------------------------------
def customer_values(name: object, phone: object = "", id_number: object = "",
                    type: object = "") -> dict[str, str]:
    problems: list[str] = []
    out: dict[str, str] = {}
    checks: tuple[tuple[str, Callable[[], str]], ...] = (
        ("name", lambda: rules.text(name, _("Customer name"), max_len=100)),
        ("phone", lambda: rules.phone(phone)), ("id_number", lambda: rules.id_number(id_number)),
        ("type", lambda: rules.customer_type(type) if rules.cell_text(type) else "resident"))
    for key, fn in checks:
        try:
            out[key] = fn()
        except InvalidInput as e:
            problems.append(str(e))
    if problems:
        raise InvalidInput("; ".join(problems))
    return out


def add_customer(db: Database, actor: Actor, name: str, *, phone: str = "", id_number: str = "",
                 type: str = "resident") -> int:
    values = customer_values(name, phone, id_number, type)
    with audited(db, actor, "customer.add", values["name"]) as s:
        actor.require("archive_edit")
        c = Customer(**values)
        s.add(c)
        s.flush()
        record(s, actor, "customer.add", str(c.id), {"name": c.name, "phone": c.phone, "type": c.type})
        return c.id


def update_customer(db: Database, actor: Actor, customer_id: int, *, name: str | None = None,
                    phone: str | None = None, id_number: str | None = None, type: str | None = None) -> None:
    with audited(db, actor, "customer.update", str(customer_id)) as s:
        actor.require("archive_edit")
        c = s.get(Customer, customer_id)
        if c is None:
            raise NotFound(_("There is no customer {id}").format(id=customer_id))
        values = customer_values(c.name if name is None else name, c.phone if phone is None else phone,
                                 c.id_number if id_number is None else id_number,
                                 c.type if type is None else type)
        changes = {k: v for k, v in values.items() if getattr(c, k) != v}
        for k, v in changes.items():
            setattr(c, k, v)
        record(s, actor, "customer.update", str(c.id), changes)
