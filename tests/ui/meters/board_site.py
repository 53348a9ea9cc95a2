"""A small site for the board's tests, built in a few transactions: buildings, floors, rooms,
a link, meters with tags and readings, and some open accounts with chosen balances."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from models.accounts import Account, AccountMeter
from models.archive import Customer, Floor, Link, Meter, MeterTag, Reading, Room, Tag
from models.areas import Building, Site

_seq = itertools.count(1)
T0 = datetime(2026, 11, 1, tzinfo=UTC)


@dataclass
class BoardSite:
    buildings: list[int]
    meters: list[int]                  # ids in number order
    numbers: list[str]
    accounts: dict[int, int] = field(default_factory=dict)   # meter id -> account id
    link_id: int = 0


def build(db, *, meters: int = 300, buildings: int = 2, opened_every: int = 2, readings: int = 3,
          link_url: str = "tcp://127.0.0.1:1", addresses: list[str] | None = None) -> BoardSite:
    """`meters` meters spread over `buildings` buildings × 3 floors; every `opened_every`-th meter
    has an open station-prepaid account (balance 100.00); every meter has `readings` readings, the
    last one at T0 + readings hours with energy = 1000 × index + readings (kWh × 1000)."""
    n = next(_seq)
    with db.write() as s:
        site = Site(name=f"gm-site{n}")
        s.add(site)
        s.flush()
        link = Link(name=f"gm-link{n}", url=link_url, protocol="dlt645-2007")
        s.add(link)
        tag = Tag(kind="line", name=f"L{n}")
        s.add(tag)
        s.flush()
        rooms, bids = [], []
        for b in range(buildings):
            bld = Building(site_id=site.id, name=f"B{n}-{b + 1}")
            s.add(bld)
            s.flush()
            bids.append(bld.id)
            for f in range(3):
                fl = Floor(building_id=bld.id, name=f"{f + 1}F", level=f + 1)
                s.add(fl)
                s.flush()
                rooms.append(fl.id)
        made: list[Meter] = []
        for i in range(meters):
            room = Room(floor_id=rooms[i % len(rooms)], number=f"{n}-{i:04d}")
            s.add(room)
            s.flush()
            m = Meter(number=f"G{n:02d}{i:05d}", protocol="dlt645-2007",
                      address=addresses[i] if addresses else f"{n:02d}{i:010d}",
                      link_id=link.id, room_id=room.id, last_values='{"voltage": "220.1", "current": "1.5"}')
            s.add(m)
            made.append(m)
        s.flush()
        site_out = BoardSite(bids, [m.id for m in made], [m.number for m in made], link_id=link.id)
        s.execute(sa.insert(MeterTag), [{"meter_id": m.id, "tag_id": tag.id} for m in made[::3]])
        s.execute(sa.insert(Reading), [{"meter_id": m.id, "at": T0 + timedelta(hours=k + 1), "source": "poll",
                                        "energy_milli": 1000 * i + k + 1}
                                       for i, m in enumerate(made) for k in range(readings)])
        for i, m in enumerate(made):
            if i % opened_every:
                continue
            c = Customer(name=f"客户{n}-{i}")
            s.add(c)
            s.flush()
            a = Account(number=f"A{n:02d}{i:05d}", customer_id=c.id, room_id=m.room_id, balance_fen=10000)
            s.add(a)
            s.flush()
            s.add(AccountMeter(account_id=a.id, meter_id=m.id, opening_milli=0))
            site_out.accounts[m.id] = a.id
    return site_out


def set_account(db, meter_id: int, **values) -> None:
    with db.write() as s:
        aid = s.scalar(sa.select(AccountMeter.account_id).where(AccountMeter.meter_id == meter_id))
        s.execute(sa.update(Account).where(Account.id == aid).values(**values))


def set_meter(db, meter_id: int, **values) -> None:
    with db.write() as s:
        s.execute(sa.update(Meter).where(Meter.id == meter_id).values(**values))
