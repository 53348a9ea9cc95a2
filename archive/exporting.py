"""Exporting the archive in the layout archive/file_formats.py reads back (Chinese headers).

An operator limited to some buildings exports only what lies in them (links and customers are
not per building and are exported whole). Exporting needs `archive_edit` — the file holds
customers' phone and ID numbers — and is written to the operation log.
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from archive import query, rules
from archive.file_formats import KINDS, write_tables
from models.archive import Customer, Floor, Room
from models.areas import Building, Site
from models.audit import audited, record
from models.db import Database
from models.rights import Actor


def _places(db: Database, actor: Actor) -> list[list[Any]]:
    visible = actor.visible_buildings()
    q = (sa.select(Site.name, Building.name, Floor.name, Floor.level, Room.number, Room.name,
                   Room.area_centi_m2, Room.people)
         .join(Site, Site.id == Building.site_id)
         .outerjoin(Floor, Floor.building_id == Building.id).outerjoin(Room, Room.floor_id == Floor.id)
         .order_by(Site.name, Building.name, Floor.level, Floor.name, Room.number))
    if visible is not None:
        q = q.where(Building.id.in_(sorted(visible) or [-1]))
    with db.read() as s:
        rows = s.execute(q).all()
    out = []
    for site, building, floor, level, room, name, area, people in rows:
        if room is None:
            out.append([site, building, floor, level, None, None, None, None])
        else:
            out.append([site, building, floor, level, room, name, rules.plain(Decimal(area).scaleb(-2)), people])
    return out


def _links(db: Database) -> list[list[Any]]:
    return [[k.name, k.url, k.protocol, "是" if k.enabled else "否"] for k in query.list_links(db)]


def _meters(db: Database, actor: Actor) -> list[list[Any]]:
    return [[m.number, m.kind, m.protocol, m.profile, m.address, m.link, m.ct_ratio, rules.plain(m.initial),
             m.install_date, m.state, m.site, m.building, m.floor, m.room,
             "; ".join(m.tags), _options_cell(m.options)] for m in query.list_meters(db, actor)]


def _options_cell(text: str) -> str:
    """Meter options as "key=value; ..." for the 表计参数 column; secrets (the password) left out."""
    import json

    from models.meter_options import SECRET_OPTIONS

    try:
        options = json.loads(text or "{}")
    except ValueError:
        return ""
    return "; ".join(f"{k}={v}" for k, v in sorted(options.items()) if k not in SECRET_OPTIONS)


def _customers(db: Database) -> list[list[Any]]:
    with db.read() as s:
        return [[c.name, c.phone, c.id_number, c.type]
                for c in s.execute(sa.select(Customer).order_by(Customer.id)).scalars()]


def export_tables(db: Database, actor: Actor, path: str | Path,
                  kinds: tuple[str, ...] = KINDS) -> dict[str, int]:
    """Write the chosen kinds to path (.xlsx, a single-kind .csv, or a folder); counts per kind."""
    with audited(db, actor, "archive.export", str(path)):
        actor.require("archive_edit")     # a refusal is logged; the file is written outside the lock
    builders = {"places": lambda: _places(db, actor), "links": lambda: _links(db),
                "meters": lambda: _meters(db, actor), "customers": lambda: _customers(db)}
    tables = {k: builders[k]() for k in kinds}
    write_tables(path, tables)
    counts = {k: len(v) for k, v in tables.items()}
    with db.write() as s:
        record(s, actor, "archive.export", Path(path).name, counts)
    return counts
