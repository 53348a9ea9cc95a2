"""Threshold service: scopes, validation, merge (meter > strictest group > all), rights and the
operation log, and the CLI twin `alarm-threshold set|list|remove`."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
import sqlalchemy as sa

from access import operators as operator_service
from app import main
from billing.quality_thresholds import Limits, list_thresholds, merge, remove_thresholds, set_thresholds
from models.archive import Meter, Tag
from models.errors import InvalidInput, NotFound, PermissionDenied
from models.oplog import OpLogEntry as OpLog
from models.rights import Actor

D = Decimal


def _archive(db):
    with db.write() as s:
        s.add_all([Tag(kind="area", name="A"), Tag(kind="line", name="L1"),
                   Meter(number="E1", protocol="dlt645-2007", address="000000000001")])


def test_set_list_replace_remove(db, superadmin):
    _archive(db)
    set_thresholds(db, superadmin, "all", Limits(over_voltage=D("253"), under_voltage=D("198")))
    set_thresholds(db, superadmin, "tag:area:A", Limits(over_current=D("60.5")))
    set_thresholds(db, superadmin, "meter:E1", Limits(overload=D("13.2")))
    rows = list_thresholds(db)
    assert [r.scope for r in rows] == ["all", "tag:area:A", "meter:E1"]
    assert rows[0].limits == Limits(D("253"), D("198"), None, None)
    assert rows[1].limits.over_current == D("60.5") and rows[2].limits.overload == D("13.2")
    set_thresholds(db, superadmin, "tag:A", Limits(over_current=D("40")))      # replaces, by tag name only
    assert [r.limits for r in list_thresholds(db) if r.scope == "tag:area:A"] == [Limits(over_current=D(40))]
    remove_thresholds(db, superadmin, "tag:area:A")
    assert [r.scope for r in list_thresholds(db)] == ["all", "meter:E1"]
    with db.read() as s:
        actions = s.execute(sa.select(OpLog.action).where(OpLog.action.like("quality.%"))).scalars().all()
    assert actions.count("quality.threshold_set") == 4 and actions.count("quality.threshold_remove") == 1


@pytest.mark.parametrize("scope,limits,error", [
    ("all", Limits(), InvalidInput),
    ("all", Limits(over_voltage=D("-1")), InvalidInput),
    ("all", Limits(over_voltage=D("200"), under_voltage=D("210")), InvalidInput),
    ("all", Limits(over_current=D("1.0001")), InvalidInput),
    ("building:1", Limits(overload=D("1")), InvalidInput),
    ("tag:nope", Limits(overload=D("1")), NotFound),
    ("meter:XX", Limits(overload=D("1")), NotFound),
])
def test_refused_input(db, superadmin, scope, limits, error):
    _archive(db)
    with pytest.raises(error):
        set_thresholds(db, superadmin, scope, limits)
    assert list_thresholds(db) == []


def test_cashier_cannot_set_and_refusal_is_logged(db, superadmin):
    _archive(db)
    operator_service.add_operator(db, superadmin, "cash", "secret-2", "cashier", "", None)
    from access import login as auth

    cashier = auth.login(db, "cash", "secret-2", "TEST")
    with pytest.raises(PermissionDenied):
        set_thresholds(db, cashier, "all", Limits(over_voltage=D("253")))
    set_thresholds(db, superadmin, "all", Limits(over_voltage=D("253")))
    with pytest.raises(PermissionDenied):
        remove_thresholds(db, cashier, "all")
    with pytest.raises(PermissionDenied):
        set_thresholds(db, Actor(name="v", role="viewer", rights=frozenset({"report_view"}), station="T"),
                       "all", Limits(over_voltage=D("1")))
    assert [r.scope for r in list_thresholds(db)] == ["all"]
    with db.read() as s:
        denied = s.execute(sa.select(OpLog.details)
                           .where(OpLog.action == "denied", OpLog.operator == "cash")).scalars().all()
    assert len(denied) == 2 and all("quality.threshold" in d for d in denied)


def test_merge_meter_then_strictest_group_then_all():
    everyone = Limits(over_voltage=D(260), under_voltage=D(180), over_current=D(100), overload=D(20))
    groups = [Limits(over_voltage=D(253), under_voltage=D(190)), Limits(over_voltage=D(250), under_voltage=D(198))]
    meter = Limits(over_current=D(40))
    assert merge(meter, groups, everyone) == Limits(D(250), D(198), D(40), D(20))
    assert merge(None, [], None) == Limits()
    assert merge(None, [], everyone) == everyone


def test_cli_set_list_remove(tmp_path, monkeypatch, capsys):
    from access import login as auth
    from models.db import Database

    url = f"sqlite:///{tmp_path / 'station.db'}"
    db = Database.open(url, upgrade=True)
    operator_service.create_first_operator(db, "root", "secret-1", "TEST")
    root = auth.login(db, "root", "secret-1", "TEST")
    operator_service.add_operator(db, root, "cash", "secret-2", "cashier", "", None)
    _archive(db)
    db.dispose()

    def run(*args, who=("root", "secret-1")):
        monkeypatch.setenv("METERSTATION_OPERATOR", who[0])
        monkeypatch.setenv("METERSTATION_PASSWORD", who[1])
        capsys.readouterr()
        code = main(["--lang", "en", "--db", url, "alarm-threshold", *args])
        out, err = capsys.readouterr()
        return code, out, err

    assert run("set", "tag:area:A", "--over-voltage", "253", "--under-voltage", "198")[0] == 0
    code, out, _err = run("set", "meter:E1", "--overload", "13.2", "--json")
    assert code == 0 and json.loads(out) == {"scope": "meter:E1", "limits": {
        "over_voltage": None, "under_voltage": None, "over_current": None, "overload": "13.2"}}
    code, out, _err = run("list", "--json")
    assert [t["scope"] for t in json.loads(out)["thresholds"]] == ["tag:area:A", "meter:E1"]
    code, _out, err = run("set", "all", "--over-voltage", "abc")
    assert code == 1 and err.count("\n") == 1
    code, _out, err = run("set", "all", "--over-voltage", "253", who=("cash", "secret-2"))
    assert code == 1 and "no right" in err
    assert run("remove", "meter:E1")[0] == 0
    code, out, _err = run("list")
    assert code == 0 and out.startswith("tag:area:A\t")
    assert run("remove", "meter:E1")[0] == 1
