"""Exporting the archive in the layout archive/file_formats.py reads back (Chinese headers).

An operator limited to some buildings exports only what lies in them (links and customers are
not per building and are exported whole). Exporting needs `archive_edit` — the file holds
customers' phone and ID numbers — and is written to the operation log.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from archive import query, rules
from archive.file_formats import KINDS, XlsxWriter, write_tables
from models.archive import Customer, Floor, Link, Room
from models.areas import Building, Site
from models.audit import audited, record
from models.db import Database
from models.rights import Actor


def _stream(s: Session, q: sa.Executable, batch: int = 1000) -> Iterator[Any]:
    """The rows of q straight from the cursor, `batch` at a time (a server-side cursor on
    PostgreSQL), closed when the consumer stops."""
    with s.connection().execute(q, execution_options={"yield_per": batch}) as result:
        yield from result


def _places(s: Session, actor: Actor) -> Iterator[list[Any]]:
    visible = actor.visible_buildings()
    q = (sa.select(Site.name, Building.name, Floor.name, Floor.level, Room.number, Room.name,
                   Room.area_centi_m2, Room.people)
         .join(Site, Site.id == Building.site_id)
         .outerjoin(Floor, Floor.building_id == Building.id).outerjoin(Room, Room.floor_id == Floor.id)
         .order_by(Site.name, Building.name, Floor.level, Floor.name, Room.number))
    if visible is not None:
        q = q.where(Building.id.in_(sorted(visible) or [-1]))
    for site, building, floor, level, room, name, area, people in _stream(s, q):
        if room is None:
            yield [site, building, floor, level, None, None, None, None]
        else:
            yield [site, building, floor, level, room, name, rules.plain(Decimal(area).scaleb(-2)), people]


def _links(s: Session) -> Iterator[list[Any]]:
    q = sa.select(Link.name, Link.url, Link.protocol, Link.enabled).order_by(Link.name)
    return (([name, url, protocol, "是" if enabled else "否"]) for name, url, protocol, enabled in _stream(s, q))


def _meters(s: Session, actor: Actor) -> Iterator[list[Any]]:
    return ([m.number, m.kind, m.protocol, m.profile, m.address, m.link, m.ct_ratio, rules.plain(m.initial),
             m.install_date, m.state, m.site, m.building, m.floor, m.room,
             "; ".join(m.tags), _options_cell(m.options)] for m in query.iter_meters(s, actor))


def _options_cell(text: str) -> str:
    """Meter options as "key=value; ..." for the 表计参数 column; secrets (the password) left out."""
    import json

    from models.meter_options import SECRET_OPTIONS

    try:
        options = json.loads(text or "{}")
    except ValueError:
        return ""
    return "; ".join(f"{k}={v}" for k, v in sorted(options.items()) if k not in SECRET_OPTIONS)


def _customers(s: Session) -> Iterator[list[Any]]:
    q = sa.select(Customer.name, Customer.phone, Customer.id_number, Customer.type).order_by(Customer.id)
    return ([name, phone, id_number, kind] for name, phone, id_number, kind in _stream(s, q))


def export_tables(db: Database, actor: Actor, path: str | Path,
                  kinds: tuple[str, ...] = KINDS, *, xlsx: XlsxWriter | None = None) -> dict[str, int]:
    """Write the chosen kinds to path (.xlsx, a single-kind .csv, or a folder); counts per kind.
    `xlsx`: the caller's faster .xlsx writer (file_formats.write_tables).

    The rows stream from the database cursor to the file (one read transaction: the kinds are
    one consistent picture), so 100,000 meters never sit in memory."""
    with audited(db, actor, "archive.export", str(path)):
        actor.require("archive_edit")     # a refusal is logged; the file is written outside the lock
    builders: dict[str, Callable[[Session], Iterator[list[Any]]]] = {
        "places": lambda s: _places(s, actor), "links": _links,
        "meters": lambda s: _meters(s, actor), "customers": _customers}
    with db.read() as s:
        counts = write_tables(path, {k: builders[k](s) for k in kinds}, xlsx=xlsx)
    with db.write() as s:
        record(s, actor, "archive.export", Path(path).name, counts)
    return counts
