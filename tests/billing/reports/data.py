"""Known datasets for report tests, written straight into the tables with fixed times.

Consumption, October 2025 (local days 10-01..10-31), one building, rooms R1 and R2:

    MAIN  R1 ct 1   09-30 1000.000 · 10-15 1100 · 10-31 23:00 1250.500 · (flagged 9999, after-range 1300)  -> 250.5
    S1    R1 ct 1   parent MAIN   09-30 500 · 10-31 600                                                   -> 100
    S2    R2 ct 10  parent MAIN   09-30 20 · 10-31 32                                                     -> 120
    NEW   R2        10-10 5 · 10-31 8 (nothing before the start: partial)                                -> 3
    DEAD  R2        no readings                                                                           -> no data
    STALE R1        09-20 7 only                                                    -> no reading in period
    line loss of MAIN: 250.5 - 220 = 30.5 kWh = 12.18 %

Money (accounts A in room R1, B in no room):

    10-02 10:00 A purchase 100.00 cash (root)   10-02 15:00 A purchase 50.00 wechat (root)
    10-03 09:00 A refund -20.00 cash            10-05 A consumption -30.00
    11-01 09:00 B purchase 200.00 card          11-01 10:00 B reversal -200.00 of receipt T4
"""
from __future__ import annotations

from models.archive import Floor, Meter, MeterTag, Reading, Room, Tag
from models.areas import Building, Site
from tests.billing.reports.conftest import local


def places(db) -> dict[str, int]:
    """Building A楼, floor 1F, rooms 101 (R1) and 102 (R2); created once per database."""
    import sqlalchemy as sa

    with db.read() as s:
        b_id = s.scalar(sa.select(Building.id).where(Building.name == "A楼"))
        if b_id is not None:
            r1, r2 = s.scalars(sa.select(Room.id).order_by(Room.number).limit(2)).all()
            return {"building": b_id, "R1": r1, "R2": r2}
    with db.write() as s:
        site = Site(name="site")
        s.add(site)
        s.flush()
        b = Building(site_id=site.id, name="A楼")
        s.add(b)
        s.flush()
        f = Floor(building_id=b.id, name="1F")
        s.add(f)
        s.flush()
        r1, r2 = Room(floor_id=f.id, number="101"), Room(floor_id=f.id, number="102")
        s.add_all([r1, r2])
        s.flush()
        return {"building": b.id, "R1": r1.id, "R2": r2.id}


def consumption_data(db) -> dict[str, int]:
    ids = places(db)
    spec = [("MAIN", "R1", 1, None), ("S1", "R1", 1, "MAIN"), ("S2", "R2", 10, "MAIN"), ("NEW", "R2", 1, None),
            ("DEAD", "R2", 1, None), ("STALE", "R1", 1, None)]
    readings = {
        "MAIN": [((2025, 9, 30, 12), 1_000_000), ((2025, 10, 15), 1_100_000), ((2025, 10, 31, 23), 1_250_500),
                 ((2025, 10, 31, 23, 30), 9_999_000, "jump"), ((2025, 11, 2), 1_300_000)],
        "S1": [((2025, 9, 30), 500_000), ((2025, 10, 31), 600_000)],
        "S2": [((2025, 9, 30), 20_000), ((2025, 10, 31), 32_000)],
        "NEW": [((2025, 10, 10), 5_000), ((2025, 10, 31), 8_000)],
        "STALE": [((2025, 9, 20), 7_000)],
    }
    with db.write() as s:
        meters: dict[str, int] = {}
        for i, (number, room, ct, parent) in enumerate(spec):
            m = Meter(number=number, protocol="dlt645-2007", address=f"{i + 1:012d}", room_id=ids[room],
                      ct_ratio=ct, parent_id=meters.get(parent) if parent else None)
            s.add(m)
            s.flush()
            meters[number] = m.id
        for number, rows in readings.items():
            for row in rows:
                at, milli, flag = row[0], row[1], (row[2] if len(row) > 2 else "")
                s.add(Reading(meter_id=meters[number], at=local(*at), energy_milli=milli, flag=flag))
        tag = Tag(kind="line", name="L1")
        s.add(tag)
        s.flush()
        s.add_all([MeterTag(meter_id=meters["MAIN"], tag_id=tag.id), MeterTag(meter_id=meters["S1"], tag_id=tag.id)])
    return {**ids, **meters}


def money_data(db, actor) -> dict[str, str]:
    from billing.ledger import lock_account, post
    from models.accounts import Account
    from tests.billing import factories

    ids = places(db)
    a = factories.account(db, actor, room_id=ids["R1"], reading=None, name="甲")
    b = factories.account(db, actor, reading=None, name="乙")
    with db.write() as s:
        acc_a = s.query(Account).filter_by(number=a.number).one()
        acc_b = s.query(Account).filter_by(number=b.number).one()
        ea = lock_account(s, acc_a.id)
        post(s, ea, "purchase", 10000, actor=actor, method="cash", receipt_no="T1", at=local(2025, 10, 2, 10))
        post(s, ea, "purchase", 5000, actor=actor, method="wechat", receipt_no="T2", at=local(2025, 10, 2, 15))
        post(s, ea, "refund", -2000, actor=actor, method="cash", receipt_no="T3", at=local(2025, 10, 3, 9))
        post(s, ea, "consumption", -3000, actor=actor, at=local(2025, 10, 5))
        eb = lock_account(s, acc_b.id)
        bought = post(s, eb, "purchase", 20000, actor=actor, method="card", receipt_no="T4", at=local(2025, 11, 1, 9))
        post(s, eb, "reversal", -20000, actor=actor, method="card", receipt_no="T5", reverses_id=bought.id,
             note="typo", at=local(2025, 11, 1, 10))
    return {"A": a.number, "B": b.number}
