"""Archive fixtures: a team of operators (admin, cashier, one limited to building A) and a
small archive: site, buildings A and B with a floor and rooms, and one link."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from access import login as auth
from access import operators as ops
from archive import places
from archive import service as svc
from models import oplog


def login(db, name, pw="pass-123"):
    return auth.login(db, name, pw, "TEST")


def last_action(db):
    with db.read() as s:
        return next(oplog.search(s, limit=1))


def count(db, table):
    with db.read() as s:
        return s.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


@pytest.fixture
def site(superadmin, db):
    """Buildings A (floor 1F: rooms 101, 102) and B (floor 1F: room 101), link bus1."""
    root = superadmin
    a = places.add_building(db, root, "A")
    b = places.add_building(db, root, "B")
    for bid in (a, b):
        places.add_floor(db, root, bid, "1F")
    places.add_room(db, root, a, "1F", "101", area="20.5", people=2)
    places.add_room(db, root, a, "1F", "102")
    places.add_room(db, root, b, "1F", "101")
    svc.add_link(db, root, "bus1", "tcp://127.0.0.1:9001")
    return {"root": root, "A": a, "B": b}


@pytest.fixture
def team(site, db):
    root = site["root"]
    ops.add_operator(db, root, "ann", "pass-123", "admin")
    ops.add_operator(db, root, "cas", "pass-123", "cashier")
    ops.add_operator(db, root, "lim", "pass-123", "admin", buildings=[site["A"]])
    return dict(site, ann=login(db, "ann"), cas=login(db, "cas"), lim=login(db, "lim"))
