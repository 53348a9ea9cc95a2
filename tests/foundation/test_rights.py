"""Rights are enforced in the services (not only in the UI), denials are logged, area rights
limit what an operator acts on, and role grants cannot escalate."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from access import login as auth
from access import operators as ops
from models import oplog, settings
from models.errors import Conflict, InvalidInput, PermissionDenied
from models.operators import Operator
from models.rights import ALL_RIGHTS, BUILTIN_ROLES, Actor


def _login(db, name, pw="pass-123"):
    return auth.login(db, name, pw, "TEST")


def _count(db, table):
    with db.read() as s:
        return s.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def _last_action(db):
    with db.read() as s:
        return next(oplog.search(s, limit=1))


@pytest.fixture
def team(superadmin, db):
    for name, role in (("ann", "admin"), ("cas", "cashier"), ("vic", "viewer")):
        ops.add_operator(db, superadmin, name, "pass-123", role)
    return {"root": superadmin, "ann": _login(db, "ann"), "cas": _login(db, "cas"), "vic": _login(db, "vic")}


PROTECTED = [
    ("operator_admin", lambda db, a: ops.add_operator(db, a, "newbie", "pass-123", "viewer")),
    ("operator_admin", lambda db, a: ops.update_operator(db, a, "vic", unlock=True)),
    ("operator_admin", lambda db, a: ops.define_role(db, a, "reader", "Reader", ["report_view"])),
    ("settings_edit", lambda db, a: settings.put(db, a, "company.name", "某某物业")),
]


@pytest.mark.parametrize("right,call", PROTECTED, ids=[f"{r}-{i}" for i, (r, _) in enumerate(PROTECTED)])
def test_service_refuses_without_right_and_logs_denial(db, team, right, call):
    for who in ("cas", "vic"):
        actor = team[who]
        assert right not in actor.rights
        ops_before = _count(db, Operator)
        with pytest.raises(PermissionDenied):
            call(db, actor)
        assert _count(db, Operator) == ops_before
        last = _last_action(db)
        assert last.action == "denied" and last.operator == who
    call(db, team["ann"])   # an admin may
    assert _last_action(db).action != "denied"


def test_builtin_roles_rights():
    assert BUILTIN_ROLES["super-admin"][1] == ALL_RIGHTS
    assert "refund" not in BUILTIN_ROLES["cashier"][1] and "sell" in BUILTIN_ROLES["cashier"][1]
    assert BUILTIN_ROLES["viewer"][1] == {"report_view", "log_view"}


def test_area_rights():
    actor = Actor(name="x", role="cashier", rights=frozenset({"sell"}), station="T", all_areas=False,
                  areas=frozenset({1, 2}))
    actor.require("sell", building_id=1)
    with pytest.raises(PermissionDenied, match="building"):
        actor.require("sell", building_id=3)
    assert actor.visible_buildings() == {1, 2}
    with pytest.raises(PermissionDenied):
        actor.require("refund", building_id=1)


def test_area_rights_stored_for_operator(db, superadmin):
    from models.areas import Building, Site

    with db.write() as s:
        site = Site(name="园区")
        s.add(site)
        s.flush()
        s.add_all([Building(site_id=site.id, name="A栋"), Building(site_id=site.id, name="B栋")])
    ops.add_operator(db, superadmin, "limited", "pass-123", "cashier", buildings=[1])
    a = _login(db, "limited")
    assert not a.all_areas and a.areas == {1}
    assert a.can("sell", 1) and not a.can("sell", 2)
    ops.update_operator(db, superadmin, "limited", buildings=None)
    assert _login(db, "limited").all_areas


def test_no_escalation(db, team):
    with pytest.raises(PermissionDenied, match="super administrator"):
        ops.add_operator(db, team["ann"], "boss", "pass-123", "super-admin")
    ops.define_role(db, team["root"], "restorer", "Restorer", ["restore"])
    with pytest.raises(PermissionDenied, match="cannot grant"):   # admin lacks 'restore'
        ops.add_operator(db, team["ann"], "r1", "pass-123", "restorer")
    with pytest.raises(PermissionDenied, match="cannot grant"):
        ops.define_role(db, team["ann"], "r2", "R2", ["restore"])


def test_last_super_admin_protected(db, superadmin):
    with pytest.raises(Conflict, match="last active super"):
        ops.update_operator(db, superadmin, "root", active=False)
    with pytest.raises(Conflict, match="last active super"):
        ops.update_operator(db, superadmin, "root", role="admin")


def test_defined_role_is_enforced(db, superadmin):
    ops.define_role(db, superadmin, "finance", "Finance", ["report_view", "log_view", "refund"])
    ops.add_operator(db, superadmin, "fin", "pass-123", "finance")
    fin = _login(db, "fin")
    assert fin.can("refund") and not fin.can("sell")
    with pytest.raises(PermissionDenied):
        ops.add_operator(db, fin, "x", "pass-123", "viewer")


def test_own_password_change_needs_no_admin_right(db, team):
    ops.update_operator(db, team["cas"], "cas", password="new-pass-1")
    assert _login(db, "cas", "new-pass-1").name == "cas"
    with pytest.raises(PermissionDenied):
        ops.update_operator(db, team["cas"], "vic", password="hijack-1")


def test_bad_input(db, superadmin):
    with pytest.raises(InvalidInput):
        ops.add_operator(db, superadmin, "bad name!", "pass-123", "viewer")
    with pytest.raises(InvalidInput, match="at least"):
        ops.add_operator(db, superadmin, "shorty", "123", "viewer")
    with pytest.raises(Exception, match="no role"):
        ops.add_operator(db, superadmin, "norole", "pass-123", "wizard")
    with pytest.raises(InvalidInput, match="Unknown rights"):
        ops.define_role(db, superadmin, "odd", "Odd", ["fly"])
