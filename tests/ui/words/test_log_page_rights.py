"""Settings → Operation log reads through access/log_view: its export (actions in words) leaves a
`log.export` row; a cashier who reaches the page's actions anyway (the buttons are only hidden
by the page) is refused by the service, the refusal logged and no file written."""
from __future__ import annotations

import json

import sqlalchemy as sa
from PySide6.QtWidgets import QFileDialog

from models import oplog
from models.errors import PermissionDenied
from resources import i18n
from ui import tasks


def _rows(db, action):
    with db.read() as s:
        q = sa.select(oplog.OpLogEntry).where(oplog.OpLogEntry.action == action).order_by(oplog.OpLogEntry.seq)
        return [(e.operator, e.target, json.loads(e.details)) for e in s.execute(q).scalars()]


def test_page_export_is_in_words_and_logged(qtbot, gui_db, session, tmp_path, monkeypatch, shown_errors):
    from ui.pages.log_tab import LogTab

    i18n.set_language("zh_CN")
    out = tmp_path / "log.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    tab = LogTab(session)
    qtbot.addWidget(tab)
    tab.export()
    qtbot.waitUntil(lambda: "log.csv" in tab.status.text(), timeout=5000)
    tasks.wait_idle()
    assert shown_errors == []
    text = out.read_text(encoding="utf-8-sig")
    assert "登录" in text and ",login," not in text                          # actions in words
    [(who, target, details)] = _rows(gui_db, "log.export")
    assert who == "root" and target == str(out) and details["rows"] == len(text.strip().splitlines()) - 1


def test_cashier_reaching_the_page_actions_is_refused_and_logged(qtbot, gui_db, gui_root, tmp_path, monkeypatch):
    from access import login as auth
    from access import operators as ops
    from ui.pages.log_tab import LogTab
    from ui.session import StationSession

    ops.add_operator(gui_db, gui_root, "cas", "pass-123", "cashier")
    cashier = auth.login(gui_db, "cas", "pass-123", "一号窗口")
    out = tmp_path / "log.csv"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    tab = LogTab(StationSession(gui_db, cashier, "一号窗口"))
    qtbot.addWidget(tab)
    tab.export()                                   # the button is disabled; the call is not
    qtbot.waitUntil(lambda: _rows(gui_db, "denied") != [], timeout=5000)
    tasks.wait_idle()
    assert not out.exists() and tab.status.text() == ""
    try:
        tab._query(tab._filters(), 10)
    except PermissionDenied:
        pass
    else:
        raise AssertionError("the page's search ran for a cashier")
    assert [(o, d["action"]) for o, _t, d in _rows(gui_db, "denied")] == [("cas", "log.export"), ("cas", "log.show")]
    assert _rows(gui_db, "log.export") == []
