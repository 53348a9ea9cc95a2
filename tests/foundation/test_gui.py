"""The windows, offscreen: first start, login (good, bad), the main window's pages, the
permission-aware operators tab, and the screenshot command."""
from __future__ import annotations

from PySide6.QtCore import Qt

from access import login as auth
from access import operators as ops
from ui import tasks
from ui.login import FirstStartDialog, LoginDialog
from ui.main_window import MainWindow
from ui.session import StationSession


def test_first_start_then_login(qtbot, sqlite_db):
    first = FirstStartDialog(sqlite_db, "T")
    qtbot.addWidget(first)
    first.name.setText("root")
    first.pw1.setText("secret-1")
    first.pw2.setText("secret-1")
    with qtbot.waitSignal(first.accepted, timeout=5000):
        first.create()
    login = LoginDialog(sqlite_db, "T")
    qtbot.addWidget(login)
    login.name.setText("root")
    login.password.setText("wrong")
    login.try_login()
    qtbot.waitUntil(lambda: login.message.text() != "", timeout=5000)
    assert "Wrong operator name or password" in login.message.text()
    login.password.setText("secret-1")
    with qtbot.waitSignal(login.accepted, timeout=5000):
        qtbot.keyClick(login.password, Qt.Key.Key_Return)
    assert login.actor is not None and login.actor.role == "super-admin"


def test_main_window_pages_and_rights(qtbot, sqlite_db):
    ops.create_first_operator(sqlite_db, "root", "secret-1", "T")
    root = auth.login(sqlite_db, "root", "secret-1", "T")
    ops.add_operator(sqlite_db, root, "cas", "pass-123", "cashier")
    cas = auth.login(sqlite_db, "cas", "pass-123", "T")
    win = MainWindow(StationSession(sqlite_db, cas, "T"))
    qtbot.addWidget(win)
    win.show()
    keys = [p.key for p in win.pages]
    assert keys == ["counter", "accounts", "meters", "control", "reports", "alarms", "settings"]
    win.nav.setCurrentRow(keys.index("settings"))
    settings_page = win.page("settings")
    assert not any(b.isEnabled() for b in settings_page.operators_tab.actions)   # cashier
    settings_page.tabs.setCurrentWidget(settings_page.operators_tab)             # a tab loads when shown
    qtbot.waitUntil(lambda: settings_page.operators_tab.model.rowCount() == 2, timeout=5000)
    admin_win = MainWindow(StationSession(sqlite_db, root, "T", demo=True))
    qtbot.addWidget(admin_win)
    assert "DEMO" in admin_win.windowTitle()
    assert all(b.isEnabled() for b in admin_win.page("settings").operators_tab.actions)
    tasks.wait_idle()


def test_log_tab_shows_and_verifies(qtbot, sqlite_db):
    ops.create_first_operator(sqlite_db, "root", "secret-1", "T")
    root = auth.login(sqlite_db, "root", "secret-1", "T")
    win = MainWindow(StationSession(sqlite_db, root, "T"))
    qtbot.addWidget(win)
    win.nav.setCurrentRow(len(win.pages) - 1)
    tab = win.page("settings").log_tab
    tasks.wait_idle()
    qtbot.wait(100)                                       # any load's answer delivered
    assert tab.model.rowCount() == 0                      # not on screen: not loaded (issue 12)
    win.page("settings").tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.model.rowCount() >= 2, timeout=5000)
    tab.verify()
    qtbot.waitUntil(lambda: "intact" in tab.status.text(), timeout=5000)
    tasks.wait_idle()


def test_screenshot_renders_every_page(tmp_path, qapp):
    from ui.screenshot import render_all

    files = render_all(str(tmp_path / "shots"), demo=True, url=None)
    names = [f.name for f in files]
    assert names[0] == "00-login.png" and names[-1] == "07-settings.png" and len(files) == 9
    assert "03-meters-plan.png" in names                     # the board's floor plan too
    from PySide6.QtGui import QImage

    img = QImage(str(files[-1]))
    assert (img.width(), img.height()) == (1366, 768)        # the counter PC's screen
