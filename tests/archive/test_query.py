"""Meter lists with filters and area visibility; customers: add, validate, search."""
from __future__ import annotations

import pytest

from archive import query
from archive import service as svc
from models.archive import Customer
from models.errors import InvalidInput, PermissionDenied
from tests.archive.conftest import count, last_action


@pytest.fixture
def meters(team, db):
    root = team["root"]
    svc.add_link(db, root, "bus2", "serial://COM3?baud=9600&parity=N", "modbus")
    svc.add_meter(db, root, "A-101", link="bus1", address="101", room="A/1F/101")
    svc.add_meter(db, root, "A-102", link="bus1", address="102", room="A/1F/102", state="removed")
    svc.add_meter(db, root, "B-101", link="bus2", address="5", profile="eastron-sdm120", room="B/1F/101")
    svc.add_meter(db, root, "W-101", link="bus1", protocol="cjt188", address="00000000000101", room="A/1F/101")
    svc.add_meter(db, root, "STOCK_1", link=None, address="9", state="stock")
    svc.set_meter_tags(db, root, "B-101", [("line", "L2")])
    return team


def _numbers(rows):
    return [m.number for m in rows]


def test_filters(db, meters):
    root = meters["root"]
    assert _numbers(query.list_meters(db, root)) == ["A-101", "A-102", "B-101", "STOCK_1", "W-101"]
    assert _numbers(query.list_meters(db, root, building="A")) == ["A-101", "A-102", "W-101"]
    assert _numbers(query.list_meters(db, root, building=meters["B"])) == ["B-101"]
    assert _numbers(query.list_meters(db, root, link="bus2")) == ["B-101"]
    assert _numbers(query.list_meters(db, root, kind="水")) == ["W-101"]
    assert _numbers(query.list_meters(db, root, state="removed")) == ["A-102"]
    assert _numbers(query.list_meters(db, root, tag="line:L2")) == ["B-101"]
    assert _numbers(query.list_meters(db, root, tag="L2")) == ["B-101"]
    assert _numbers(query.list_meters(db, root, floor="1F", building="B")) == ["B-101"]
    assert _numbers(query.list_meters(db, root, text="102")) == ["A-102"]        # number and address
    assert _numbers(query.list_meters(db, root, text="a-1")) == ["A-101", "A-102"]  # case-insensitive
    assert _numbers(query.list_meters(db, root, text="_")) == ["STOCK_1"]        # no wildcard
    assert _numbers(query.list_meters(db, root, limit=2, offset=1)) == ["A-102", "B-101"]
    row = query.list_meters(db, root, text="B-101")[0]
    assert (row.link, row.building, row.floor, row.room, row.site) == ("bus2", "B", "1F", "101", "Main site")
    with pytest.raises(InvalidInput):
        query.list_meters(db, root, kind="steam")


def test_visibility(db, meters):
    lim = meters["lim"]
    assert _numbers(query.list_meters(db, lim)) == ["A-101", "A-102", "W-101"]
    assert query.list_meters(db, lim, building="B") == []
    assert _numbers(query.list_meters(db, None)) == _numbers(query.list_meters(db, meters["root"]))


def test_customers(db, team):
    root = team["root"]
    cid = svc.add_customer(db, root, "张三", phone="138-0000-0001", id_number="11010519491231002x")
    svc.add_customer(db, root, "李四", phone="13900000002", type="商户")
    svc.add_customer(db, root, "张三丰", type="office")
    assert last_action(db).action == "customer.add"
    assert [c.name for c in query.search_customers(db, "张三")] == ["张三", "张三丰"]
    assert [c.name for c in query.search_customers(db, "1390")] == ["李四"]
    assert [c.id for c in query.search_customers(db, "11010519491231002X")] == [cid]
    assert query.search_customers(db, "李四")[0].type == "merchant"
    assert len(query.search_customers(db)) == 3
    with pytest.raises(InvalidInput, match="Customer name is missing"):
        svc.add_customer(db, root, " ")
    with pytest.raises(InvalidInput, match="Phone number abc is not valid"):
        svc.add_customer(db, root, "王五", phone="abc")
    with pytest.raises(InvalidInput, match="Customer type vip"):
        svc.add_customer(db, root, "王五", type="vip")
    with pytest.raises(PermissionDenied):
        svc.add_customer(db, team["cas"], "王五")
    svc.update_customer(db, root, cid, phone="13800000001")
    assert query.search_customers(db, "13800000001")[0].id == cid
    assert count(db, Customer) == 3


def test_customers_an_area_limited_operator_sees(db, team):
    """Customers with an account in one of the operator's buildings, or with none placed in any
    building; not those whose accounts all lie elsewhere (before: every customer, to anyone)."""
    import sqlalchemy as sa

    from models.accounts import Account
    from models.archive import Floor, Room

    root = team["root"]
    ids = {name: svc.add_customer(db, root, name) for name in ("甲", "乙", "丙", "丁", "戊")}
    with db.write() as s:
        room_in = {b: s.execute(sa.select(Room.id).join(Floor, Floor.id == Room.floor_id)
                                .where(Floor.building_id == team[b])).scalars().first() for b in ("A", "B")}
        for n, (name, place) in enumerate((("甲", "A"), ("乙", "B"), ("丙", "A"), ("丙", "B"), ("丁", None))):
            s.add(Account(number=f"9{n:05d}", customer_id=ids[name], room_id=room_in[place] if place else None))
    everyone = ["丁", "丙", "乙", "戊", "甲"]
    assert sorted(c.name for c in query.search_customers(db)) == sorted(everyone)
    assert sorted(c.name for c in query.search_customers(db, actor=root)) == sorted(everyone)
    # 甲 in A, 丙 in A and B, 丁 with an account in no room, 戊 with none; not 乙 (only in B)
    assert sorted(c.name for c in query.search_customers(db, actor=team["lim"])) == sorted(["甲", "丙", "丁", "戊"])
    assert query.search_customers(db, "乙", actor=team["lim"]) == []
