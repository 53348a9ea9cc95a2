"""Links and meters: validation per protocol, duplicates (also raced), rights, updates, tags."""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from archive import query
from archive import service as svc
from models.archive import Link, Meter, Reading
from models.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tests.archive.conftest import count, last_action


def _meter(db, number):
    with db.read() as s:
        return s.execute(sa.select(Meter).where(Meter.number == number)).scalar_one()


def test_add_meter_canonical_values(db, site):
    root = site["root"]
    svc.add_meter(db, root, " 2301 ", link="bus1", address="123456", room="A/1F/101", ct_ratio="50",
                  initial="1234.5", install_date="2024-03-01")
    m = _meter(db, "2301")
    assert (m.address, m.protocol, m.kind, m.ct_ratio, m.initial_milli, m.install_date) == (
        "000000123456", "dlt645-2007", "electricity", 50, 1_234_500, date(2024, 3, 1))
    entry = last_action(db)
    assert entry.action == "meter.add" and entry.target == "2301"
    svc.add_meter(db, root, "W1", link="bus1", protocol="cjt188", address="12345678901234")
    assert _meter(db, "W1").kind == "water"
    svc.add_meter(db, root, "MB1", link="bus1", protocol="modbus", profile="eastron-sdm630", address="007")
    assert _meter(db, "MB1").address == "7"


@pytest.mark.parametrize("kw,message", [
    ({"address": "1234567890123"}, "use up to 12 digits"),
    ({"address": "12AB"}, "not valid for dlt645-2007"),
    ({"address": "999999999999"}, "broadcast"),
    ({"address": ""}, "address is missing"),
    ({"protocol": "cjt188", "address": "1234567890"}, "use 14 digits"),
    ({"protocol": "modbus", "profile": "eastron-sdm630", "address": "248"}, "1 to 247"),
    ({"protocol": "modbus", "profile": "eastron-sdm630", "address": "0"}, "1 to 247"),
    ({"protocol": "modbus", "address": "1"}, "needs a profile"),
    ({"protocol": "modbus", "profile": "nosuch", "address": "1"}, "Unknown device profile nosuch"),
    ({"protocol": "iec62056"}, "Protocol iec62056 is not known"),
    ({"kind": "steam"}, "Meter kind steam is not known"),
    ({"kind": "water"}, "measures electricity, not water"),
    ({"protocol": "cjt188", "kind": "electricity", "address": "12345678901234"}, "not electricity"),
    ({"ct_ratio": "0"}, "CT ratio must be a whole number of at least 1"),
    ({"ct_ratio": "2.5"}, "CT ratio"),
    ({"initial": "-1"}, "Initial reading cannot be negative"),
    ({"initial": "1.0001"}, "more than 3 decimals"),
    ({"initial": "1e"}, "is not a number"),
    ({"install_date": "2024-13-01"}, "not a date"),
    ({"link": "nope"}, "no link nope"),
    ({"link": None}, "Name the link"),
    ({"room": "Z/1F/1"}, "no building Z"),
])
def test_add_meter_refuses_bad_input(db, site, kw, message):
    args = dict(link="bus1", address="1", **{})
    args.update(kw)
    with pytest.raises((InvalidInput, NotFound), match=message):
        svc.add_meter(db, site["root"], "X1", **args)
    assert count(db, Meter) == 0


def test_every_problem_in_one_message(db, site):
    with pytest.raises(InvalidInput) as e:
        svc.add_meter(db, site["root"], "X1", link="bus1", address="ABC", ct_ratio="0", initial="-5")
    assert str(e.value).count(";") == 2


def test_stock_meter_needs_no_link(db, site):
    svc.add_meter(db, site["root"], "S1", link=None, address="1", state="stock")
    svc.add_meter(db, site["root"], "S2", link="", address="1", state="库存")
    assert _meter(db, "S1").link_id is None and _meter(db, "S2").state == "stock"


def test_duplicates(db, site):
    root = site["root"]
    svc.add_meter(db, root, "M1", link="bus1", address="1")
    with pytest.raises(Conflict, match="Meter M1 already exists"):
        svc.add_meter(db, root, "M1", link="bus1", address="2")
    with pytest.raises(Conflict, match="already used on this link by meter M1"):
        svc.add_meter(db, root, "M2", link="bus1", address="000000000001")
    svc.add_link(db, root, "bus2", "serial:///dev/ttyUSB1")
    svc.add_meter(db, root, "M2", link="bus2", address="1")      # same address, other bus: fine
    assert count(db, Meter) == 2


def test_duplicate_number_raced_in_is_a_conflict(db, site, monkeypatch):
    svc.add_meter(db, site["root"], "M1", link="bus1", address="1")
    monkeypatch.setattr(svc, "number_taken", lambda s, n: False)   # another station was faster
    with pytest.raises(Conflict, match="Meter M1 already exists"):
        svc.add_meter(db, site["root"], "M1", link="bus1", address="2")
    assert count(db, Meter) == 1


def test_rights(db, team):
    with pytest.raises(PermissionDenied, match="no right"):
        svc.add_meter(db, team["cas"], "C1", link="bus1", address="1")
    assert last_action(db).action == "denied"
    lim = team["lim"]
    svc.add_meter(db, lim, "L1", link="bus1", address="1", room="A/1F/101")
    with pytest.raises(PermissionDenied, match="may not act on this building"):
        svc.add_meter(db, lim, "L2", link="bus1", address="2", room="B/1F/101")
    with pytest.raises(PermissionDenied, match="limited to some buildings"):
        svc.add_meter(db, lim, "L3", link="bus1", address="3")           # in no room
    with pytest.raises(PermissionDenied):
        svc.update_meter(db, lim, "L1", room="B/1F/101")                # moving it out of its areas
    with pytest.raises(PermissionDenied):
        svc.add_link(db, team["cas"], "bus9", "tcp://10.0.0.9:1")
    assert count(db, Meter) == 1 and _meter(db, "L1").room_id is not None


def test_update_meter(db, site):
    root = site["root"]
    svc.add_meter(db, root, "M1", link="bus1", address="1", initial="5")
    svc.update_meter(db, root, "M1", ct_ratio=100, room="A/1F/102", initial="6.5")
    m = _meter(db, "M1")
    assert (m.ct_ratio, m.initial_milli, m.address) == (100, 6500, "000000000001")
    assert last_action(db).action == "meter.update"
    with pytest.raises(InvalidInput, match="needs a profile"):
        svc.update_meter(db, root, "M1", protocol="modbus", address="3")
    svc.update_meter(db, root, "M1", protocol="modbus", profile="chint-ddsu666", address="3")
    assert _meter(db, "M1").address == "3"
    with db.write() as s:
        s.add(Reading(meter_id=m.id, at=datetime.now(UTC), energy_milli=7000))
    with pytest.raises(Conflict, match="has readings"):
        svc.update_meter(db, root, "M1", initial="0")
    svc.update_meter(db, root, "M1", room=None)
    assert _meter(db, "M1").room_id is None
    with pytest.raises(NotFound):
        svc.update_meter(db, root, "nope", ct_ratio=2)


def test_tags(db, site):
    root = site["root"]
    svc.add_meter(db, root, "M1", link="bus1", address="1", room="A/1F/101")
    svc.set_meter_tags(db, root, "M1", [("line", "L1"), ("部门", "后勤"), ("line", "L1")])
    assert query.list_meters(db, root)[0].tags == ("department:后勤", "line:L1")
    svc.set_meter_tags(db, root, "M1", [("area", "北区")])
    assert query.list_meters(db, root)[0].tags == ("area:北区",)
    with pytest.raises(InvalidInput, match="Tag kind"):
        svc.set_meter_tags(db, root, "M1", [("colour", "red")])


def test_links(db, site):
    root = site["root"]
    with pytest.raises(InvalidInput, match="is not valid"):
        svc.add_link(db, root, "bad", "http://x")
    with pytest.raises(InvalidInput, match="needs a host and a port"):
        svc.add_link(db, root, "bad", "tcp://host")
    with pytest.raises(Conflict, match="Link bus1 already exists"):
        svc.add_link(db, root, "bus1", "tcp://127.0.0.1:9002")
    with pytest.raises(Conflict, match="Link bus1 already uses"):
        svc.add_link(db, root, "bus2", "tcp://127.0.0.1:9001")
    with pytest.raises(InvalidInput, match="Protocol"):
        svc.add_link(db, root, "bus2", "modbus-tcp://127.0.0.1:502", "x")
    svc.add_link(db, root, "bus2", "modbus-tcp://127.0.0.1:502", "modbus")
    svc.update_link(db, root, "bus2", enabled=False, url="modbus-tcp://127.0.0.1:503")
    rows = {k.name: k for k in query.list_links(db)}
    assert rows["bus2"].enabled is False and rows["bus2"].url.endswith(":503")
    assert count(db, Link) == 2
    # a meter on a link inherits its default protocol
    with pytest.raises(InvalidInput, match="needs a profile"):
        svc.add_meter(db, root, "MB", link="bus2", address="1")
    svc.add_meter(db, root, "MB", link="bus2", address="1", profile="eastron-sdm120")
    assert _meter(db, "MB").protocol == "modbus" and query.list_links(db)[1].meters == 1


def test_initial_is_exact(db, site):
    svc.add_meter(db, site["root"], "M1", link="bus1", address="1", initial="99999999.999")
    assert query.list_meters(db, site["root"])[0].initial == Decimal("99999999.999")
