"""Sites, buildings, floors, rooms and tags: validation, duplicates, rights and area rights."""
from __future__ import annotations

from decimal import Decimal

import pytest

from archive import places, query
from models.archive import Room
from models.areas import Building
from models.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tests.archive.conftest import count, last_action


def test_rooms_and_floors(db, site):
    root = site["root"]
    rooms = query.list_rooms(db, root, building_id=site["A"])
    assert [(r.number, r.floor, r.area, r.people) for r in rooms] == [
        ("101", "1F", Decimal("20.5"), 2), ("102", "1F", Decimal("0"), 0)]
    fid = places.add_floor(db, root, "A", "B2")
    assert [f.name for f in query.list_floors(db, root, site["A"])] == ["B2", "1F"]
    assert fid
    assert last_action(db).action == "floor.add"


@pytest.mark.parametrize("name,level", [("3", 3), ("3F", 3), ("12层", 12), ("B1", -1), ("-2", -2),
                                        ("负1层", -1), ("屋顶", 0)])
def test_floor_level_from_name(name, level):
    from archive.rules import floor_level

    assert floor_level(name) == level


def test_duplicates_are_conflicts(db, site):
    root = site["root"]
    with pytest.raises(Conflict, match="Building A already exists"):
        places.add_building(db, root, "A")
    with pytest.raises(Conflict, match="Floor 1F already exists"):
        places.add_floor(db, root, "A", "1F")
    with pytest.raises(Conflict, match="Room 101 already exists"):
        places.add_room(db, root, "A", "1F", "101")
    places.add_room(db, root, "B", "1F", "102")       # same number, other building: fine
    places.add_tag(db, root, "line", "L1")
    with pytest.raises(Conflict):
        places.add_tag(db, root, "线路", "L1")


@pytest.mark.parametrize("kw,message", [
    ({"area": "-1"}, "Area cannot be negative"),
    ({"area": "12.345"}, "more than 2 decimals"),
    ({"area": "abc"}, "Area abc is not a number"),
    ({"people": "1.5"}, "People must be a whole number"),
])
def test_room_validation(db, site, kw, message):
    with pytest.raises(InvalidInput, match=message):
        places.add_room(db, site["root"], "A", "1F", "109", **kw)
    assert count(db, Room) == 3


def test_unknown_places(db, site):
    root = site["root"]
    with pytest.raises(NotFound, match="no building Z"):
        places.add_floor(db, root, "Z", "1F")
    with pytest.raises(NotFound, match="no floor 9F"):
        places.add_room(db, root, "A", "9F", "901")
    with pytest.raises(InvalidInput, match="missing"):
        places.add_building(db, root, "  ")


def test_update_room(db, site):
    root = site["root"]
    places.update_room(db, root, "A/1F/102", area="33.25", people=4, name="小卖部")
    r = [x for x in query.list_rooms(db, root) if x.number == "102"][0]
    assert (r.area, r.people, r.name) == (Decimal("33.25"), 4, "小卖部")
    with pytest.raises(InvalidInput, match="Several rooms"):
        places.update_room(db, root, "101", people=1)
    with pytest.raises(Conflict):
        places.update_room(db, root, "A/1F/102", number="101")


def test_cashier_cannot_add_places_and_is_logged(db, team):
    with pytest.raises(PermissionDenied, match="no right"):
        places.add_room(db, team["cas"], "A", "1F", "103")
    assert last_action(db).action == "denied" and last_action(db).operator == "cas"
    with pytest.raises(PermissionDenied):
        places.add_building(db, team["cas"], "C")
    assert count(db, Room) == 3


def test_limited_operator_acts_only_in_its_buildings(db, team):
    lim = team["lim"]
    places.add_room(db, lim, "A", "1F", "103")
    with pytest.raises(PermissionDenied, match="may not act on this building"):
        places.add_room(db, lim, "B", "1F", "103")
    assert last_action(db).action == "denied"
    with pytest.raises(PermissionDenied, match="limited to some buildings"):
        places.add_building(db, lim, "C")
    with pytest.raises(PermissionDenied):
        places.update_room(db, lim, "B/1F/101", people=3)
    assert count(db, Building) == 2
    assert [b.name for b in query.list_buildings(db, lim)] == ["A"]
    assert query.list_floors(db, lim, team["B"]) == []
    assert {r.building for r in query.list_rooms(db, lim)} == {"A"}


def test_sites(db, superadmin):
    root = superadmin
    places.add_site(db, root, "东区")
    places.add_building(db, root, "1号楼")          # the only site
    places.add_site(db, root, "西区")
    with pytest.raises(InvalidInput, match="several sites"):
        places.add_building(db, root, "2号楼")
    places.add_building(db, root, "1号楼", site="西区")
    with pytest.raises(InvalidInput, match="Several sites have a building"):
        places.add_floor(db, root, "1号楼", "1F")
    with pytest.raises(Conflict):
        places.add_site(db, root, "东区")
