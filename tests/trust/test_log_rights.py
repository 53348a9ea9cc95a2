"""`log show|export|head` through the real program (subprocess, both backends): the `log_view`
right is the service's (access/log_view): a cashier is refused with one line and the refusal is
logged; no operator at all is refused with one line and prints no log row; a viewer shows and
exports, and the export leaves a row. `log verify` stays open (an integrity check)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import sqlalchemy as sa

from access import operators as ops
from models import oplog
from tests.trust.conftest import ROOT, one_error

VIEWER = ("vic", "pass-456")


@pytest.fixture
def viewer(db, root, cashier):
    ops.add_operator(db, root, "vic", "pass-456", "viewer")
    return VIEWER


def _rows(db, action):
    with db.read() as s:
        q = sa.select(oplog.OpLogEntry).where(oplog.OpLogEntry.action == action).order_by(oplog.OpLogEntry.seq)
        return [(e.operator, e.target, json.loads(e.details)) for e in s.execute(q).scalars()]


def test_cashier_is_refused_and_the_refusal_logged(cli, db, tmp_path):
    out = tmp_path / "log.csv"
    for args in (("log", "show"), ("log", "show", "--json"), ("log", "export", str(out)), ("log", "head")):
        r = cli(*args)                                      # the cashier by default
        assert "no right" in one_error(r), args
        assert r.stdout == "", (args, r.stdout)
    assert not out.exists()
    assert [(o, d["action"]) for o, _t, d in _rows(db, "denied")] == [
        ("cas", "log.show"), ("cas", "log.show"), ("cas", "log.export"), ("cas", "log.head")]


def test_no_operator_is_refused_with_nothing_printed(cli, db, tmp_path):
    out = tmp_path / "log.csv"
    for args in (("log", "show"), ("log", "show", "--json"), ("log", "export", str(out)), ("log", "head")):
        r = cli(*args, who=None)
        assert "--operator" in one_error(r), args
        assert r.stdout == "", (args, r.stdout)
    assert not out.exists()
    r = cli("log", "show", who=None, stdin="pass-123\n")      # a password alone names no one
    assert r.returncode == 1 and r.stdout == ""
    assert cli("log", "verify", who=None).returncode == 0


def test_no_operator_is_refused_in_chinese(cli, db):
    r = subprocess.run([sys.executable, str(ROOT / "app.py"), "--lang", "zh_CN", "--db", cli.url, "log", "show"],
                       capture_output=True, text=True, env=cli.env, cwd=cli.tmp, timeout=120)
    assert "查看操作日志需要有查看权限的操作员" in one_error(r) and r.stdout == ""


def test_viewer_shows_and_exports_and_the_export_is_logged(cli, db, viewer, tmp_path):
    r = cli("log", "show", "--json", "--action", "operator.add", who=viewer)
    assert r.returncode == 0, r.stderr
    assert [e["target"] for e in json.loads(r.stdout)["entries"]] == ["vic", "cas", "root"]
    r = cli("log", "head", who=viewer)
    assert r.returncode == 0 and ":" in r.stdout
    out = tmp_path / "log.xlsx"
    r = cli("log", "export", str(out), "--action", "operator.add", "--by", "root", who=viewer)
    assert r.returncode == 0, r.stderr
    assert "2 log rows" in r.stdout and out.exists()
    [(who, target, details)] = _rows(db, "log.export")
    assert who == "vic" and target.endswith("log.xlsx")
    assert details == {"rows": 2, "filters": {"action": "operator.add", "operator": "root"}}
    assert cli("log", "verify", who=viewer).returncode == 0
