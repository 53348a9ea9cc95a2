"""Small ORM factories for billing tests: a site, building, floor, rooms, customers, meters and a
flat tariff, created directly (the archive services are another module's business)."""
from __future__ import annotations

import itertools
from decimal import Decimal

from billing.accounts_open import MeterOpening, open_account
from billing.tariffs import plan_store
from models.archive import Customer, Floor, Meter, Room
from models.areas import Building, Site

_seq = itertools.count(1)


def place(db, *, rooms: int = 2, area: int = 5000, people: int = 2) -> list[int]:
    """A site/building/floor with `rooms` rooms; returns their ids."""
    n = next(_seq)
    with db.write() as s:
        site = Site(name=f"site{n}")
        s.add(site)
        s.flush()
        b = Building(site_id=site.id, name=f"B{n}")
        s.add(b)
        s.flush()
        f = Floor(building_id=b.id, name="1F")
        s.add(f)
        s.flush()
        ids = []
        for i in range(rooms):
            r = Room(floor_id=f.id, number=f"{n}-{101 + i}", area_centi_m2=area * (i + 1), people=people + i)
            s.add(r)
            s.flush()
            ids.append(r.id)
        return ids


def customer(db, name: str | None = None, type_: str = "resident") -> str:
    name = name or f"客户{next(_seq)}"
    with db.write() as s:
        s.add(Customer(name=name, type=type_))
    return name


def meter(db, number: str | None = None, *, room_id: int | None = None, ct: int = 1,
          common: bool = False, parent: str | None = None, profile: str = "") -> str:
    number = number or f"M{next(_seq):05d}"
    with db.write() as s:
        parent_id = None
        if parent:
            from billing.lookup import find_meter
            parent_id = find_meter(s, parent).id
        s.add(Meter(number=number, protocol="dlt645-2007", address=f"{next(_seq):012d}", room_id=room_id,
                    ct_ratio=ct, is_common=common, parent_id=parent_id, profile=profile))
    return number


def flat_tariff(db, actor, name: str = "flat", price: str = "0.50") -> str:
    plan_store.add_version(db, actor, name, {"kind": "flat", "price": price})
    return name


def account(db, actor, *, mode: str = "station-prepaid", tariff: str | None = "flat", reading="100",
            type_: str = "resident", room_id: int | None = None, meters: int = 1, name: str | None = None):
    """Open an account with fresh customer and meter(s); returns the AccountView."""
    if tariff and tariff not in [p.name for p in plan_store.list_plans(db)]:
        flat_tariff(db, actor, tariff)
    cust = customer(db, name, type_)
    # a meter-side prepaid account needs a meter that takes purchases: the project's own simulated one
    profile = "meterstation-sim-dlt645" if mode == "meter-prepaid" else ""
    ms = [meter(db, room_id=room_id, profile=profile) for _i in range(meters)]
    return open_account(db, actor, cust, [MeterOpening(m, Decimal(reading) if reading is not None else None)
                                          for m in ms], mode=mode, tariff=tariff, room=room_id)
