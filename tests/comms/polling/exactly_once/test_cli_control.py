"""Issue 11.3: every meter command goes through the control service with an operator holding the
right to control, and leaves a log row - `control --url ...` (commissioning) as well as
`control METER_NO`. Hostile cases through the real CLI (a subprocess): a cashier and no operator
at all, on SQLite and PostgreSQL; the meter is never touched."""
from __future__ import annotations

import json

import pytest

from archive import service as svc
from models import oplog
from tests.comms.polling.conftest import E1
from tests.trust.conftest import Cli, one_error


@pytest.fixture
def cli(db, superadmin, sim, tmp_path):
    from access import operators as operator_service

    operator_service.add_operator(db, superadmin, "cas", "pass-123", "cashier")
    svc.add_link(db, superadmin, "bus1", sim.url)
    svc.add_meter(db, superadmin, "E1", address=E1, link="bus1", protocol="dlt645-2007", kind="electricity")
    return Cli(db.url, tmp_path)


ROOT = ("root", "secret-1")


def actions(db, pattern):
    with db.read() as s:
        return [(e.operator, e.action, e.target, json.loads(e.details or "{}"))
                for e in oplog.search(s, action=pattern, newest_first=False)]


@pytest.mark.parametrize("form", ["url", "archive"])
@pytest.mark.parametrize("who", [("cas", "pass-123"), None], ids=["cashier", "nobody"])
def test_control_is_refused_without_the_right(cli, db, sim, form, who):
    where = ["--url", sim.url, "--protocol", "dlt645-2007", "--address", E1] if form == "url" else ["E1"]
    r = cli("control", *where, "trip", who=who)
    line = one_error(r)
    assert "no right" in line or "operator" in line.lower(), line
    assert not sim.bus.meter(E1).relay_open and sim.bus.meter(E1).journal == []
    if who is not None:                                  # the refusal of a named operator is logged
        denied = actions(db, "denied")
        assert denied and denied[-1][0] == "cas" and "meter.trip" in json.dumps(denied[-1][3]), denied
    assert actions(db, "meter.control") == []


def test_control_by_url_as_an_operator_with_the_right_is_logged_with_the_url(cli, db, sim):
    r = cli("control", "--url", sim.url, "--protocol", "dlt645-2007", "--address", E1, "trip", "--json", who=ROOT)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["confirmed"] is True and sim.bus.meter(E1).relay_open
    (operator, _action, target, details), = actions(db, "meter.control")
    assert operator == "root" and target == sim.url and details["url"] == sim.url
    assert details["status"] == "confirmed"


def test_control_of_an_archive_meter_is_logged_and_kept(cli, db, sim):
    r = cli("control", "E1", "trip", who=ROOT)
    assert r.returncode == 0, r.stderr
    (operator, _action, _target, details), = actions(db, "meter.control")
    assert operator == "root" and details["status"] == "confirmed" and _target == "E1"
    sim.bus.set_fault(E1, "silent")
    r = cli("control", "E1", "close", "--option", "timeout=0.2", who=ROOT)
    assert r.returncode in (4, 6), r.stderr                  # exit codes kept: no reply / link failed
    assert [d["status"] for _o, _a, _t, d in actions(db, "meter.control")][-1] in ("no-reply", "link-error")
