"""The meters board (every meter's state, customer and balance) needs one of the rights that
work with meters: report_view, meter_read or relay_control (billing.monitor_query.BOARD_RIGHTS).
Before, any logged-in operator saw it: a role with only `sell` or only `log_view` too. The
service refuses and logs; the window's pages say it on the page and ask nobody (no denied row
per visit)."""
from __future__ import annotations

import pytest

from access import login as auth
from access import operators as operator_service
from billing import monitor_query
from models import oplog
from models.errors import PermissionDenied
from models.rights import Actor
from tests.ui.meters import board_site
from ui import board_source, tasks
from ui.session import StationSession


def _denied_rows(db) -> list:
    with db.read() as s:
        return [e for e in oplog.search(s, limit=50) if e.action == "denied"]


def _actor(rights: set[str]) -> Actor:
    return Actor(name="clerk", role="custom", rights=frozenset(rights), station="T")


@pytest.fixture
def site(db):
    operator_service.create_first_operator(db, "root", "secret-1", "T")
    root = auth.login(db, "root", "secret-1", "T")
    board_site.build(db, meters=4, buildings=1)
    return root


@pytest.mark.parametrize("rights", [{"sell", "shift"}, {"log_view"}, set()])
def test_the_service_refuses_and_logs(db, site, rights):
    before = len(_denied_rows(db))
    with pytest.raises(PermissionDenied, match="no right to see the meters"):
        monitor_query.monitor_rows(db, _actor(rights))
    rows = _denied_rows(db)
    assert len(rows) == before + 1 and "board.view" in (rows[0].details or "")


@pytest.mark.parametrize("right", monitor_query.BOARD_RIGHTS)
def test_each_board_right_is_enough(db, site, right):
    assert len(monitor_query.monitor_rows(db, _actor({right}))) == 4
    assert len(monitor_query.monitor_rows(db, None)) == 4          # the station itself


def test_the_pages_say_it_and_ask_nobody(qtbot, sqlite_db, monkeypatch):
    from ui.pages.control_page import ControlPage
    from ui.pages.meters_page import MetersPage

    operator_service.create_first_operator(sqlite_db, "root", "secret-1", "T")
    board_site.build(sqlite_db, meters=4, buildings=1)
    asked: list = []
    monkeypatch.setattr(board_source, "monitor_rows", lambda *a, **kw: asked.append(a) or [])
    session = StationSession(sqlite_db, _actor({"sell", "shift"}), "T")
    before = len(_denied_rows(sqlite_db))
    board = MetersPage(session)
    qtbot.addWidget(board)
    control = ControlPage(session)
    qtbot.addWidget(control)
    for _visit in range(3):
        board.visited()
        control.refresh(force=True)
    tasks.wait_idle()
    qtbot.wait(50)
    assert asked == [] and board.model.rows == [] and control.meters.rows == []
    assert "no right to see the meters" in board.status.text()
    assert "no right to see the meters" in control.result.text()
    assert len(_denied_rows(sqlite_db)) == before                  # a visit is not a logged refusal
