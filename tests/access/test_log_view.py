"""access/log_view: reading the operation log is the `log_view` right, checked in the service
(both backends): a cashier is refused and the refusal is logged; a viewer searches, reads the
head and exports, and the export leaves a log row with the count and the filters."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from access import log_view
from access import login as auth
from access import operators as ops
from models import oplog
from models.errors import PermissionDenied
from printing.oplog_export import export_log


@pytest.fixture
def people(db, superadmin):
    ops.add_operator(db, superadmin, "cas", "pass-123", "cashier")
    ops.add_operator(db, superadmin, "vic", "pass-456", "viewer")
    return auth.login(db, "cas", "pass-123", "TEST"), auth.login(db, "vic", "pass-456", "TEST")


def _rows(db, action):
    with db.read() as s:
        q = sa.select(oplog.OpLogEntry).where(oplog.OpLogEntry.action == action).order_by(oplog.OpLogEntry.seq)
        return [(e.operator, e.target, json.loads(e.details)) for e in s.execute(q).scalars()]


def test_cashier_is_refused_everywhere_and_each_refusal_is_logged(db, people, tmp_path):
    cashier, _viewer = people
    target = tmp_path / "log.csv"
    with pytest.raises(PermissionDenied, match="no right"):
        log_view.search(db, cashier, limit=10)
    with pytest.raises(PermissionDenied):
        log_view.head(db, cashier)
    with pytest.raises(PermissionDenied):
        log_view.export(db, cashier, target, write=export_log)
    assert not target.exists()
    denied = _rows(db, "denied")
    assert [(o, d["action"], d["right"]) for o, _t, d in denied] == [
        ("cas", "log.show", "log_view"), ("cas", "log.head", "log_view"), ("cas", "log.export", "log_view")]
    assert denied[2][1] == str(target)
    assert _rows(db, "log.export") == []


def test_no_actor_is_refused_and_nothing_is_read(db, people, tmp_path):
    def writer(*_a, **_k):
        raise AssertionError("the writer ran for no one")
    with pytest.raises(PermissionDenied):
        log_view.search(db, None, limit=10)          # type: ignore[arg-type]
    with pytest.raises(PermissionDenied):
        log_view.export(db, None, tmp_path / "x.csv", write=writer)   # type: ignore[arg-type]
    with pytest.raises(PermissionDenied):
        log_view.head(db, None)                      # type: ignore[arg-type]


def test_viewer_searches_reads_head_and_exports_with_a_log_row(db, people, tmp_path):
    _cashier, viewer = people
    found = log_view.search(db, viewer, limit=50, action="operator.*")
    assert [e.target for e in found] == ["vic", "cas", "root"] and found[0].operator == "root"
    with db.read() as s:
        assert log_view.head(db, viewer) == oplog.head_anchor(s)
    target = tmp_path / "log.csv"
    n = log_view.export(db, viewer, target, write=export_log, action="operator.*", text="ca")
    assert n == 1
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 2 and "operator.add" in lines[1] and "cas" in lines[1]
    [(who, where, details)] = _rows(db, "log.export")
    assert (who, where) == ("vic", str(target))
    assert details == {"rows": 1, "filters": {"action": "operator.*", "text": "ca"}}
    assert _rows(db, "denied") == []
    with db.read() as s:
        assert oplog.verify(s).ok


def test_a_failed_export_is_not_logged_as_done(db, people, tmp_path):
    _cashier, viewer = people
    with pytest.raises(Exception, match="csv or .xlsx"):
        log_view.export(db, viewer, Path(tmp_path / "log.txt"), write=export_log)
    assert _rows(db, "log.export") == []
