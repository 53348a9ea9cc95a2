"""A page switch paints the new page once (MainWindow.show_page). Qt alone painted it three
times over two turns of the event loop: on its show, after its item views' delayed layout, and
after the layout request the switch posts. At 10,000 meters each paint of the meters board cost
15-20 ms of the GUI thread (issue 12's stall)."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject

from access import login as auth
from access import operators as operator_service
from tests.ui.meters import board_site
from ui import tasks
from ui.main_window import MainWindow
from ui.session import StationSession

KEYS = ["counter", "accounts", "meters", "control", "reports", "alarms", "settings"]


class Paints(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt name
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def test_a_switch_to_a_board_paints_its_table_once(qtbot, sqlite_db):
    operator_service.create_first_operator(sqlite_db, "root", "secret-1", "T")
    root = auth.login(sqlite_db, "root", "secret-1", "T")
    board_site.build(sqlite_db, meters=240, buildings=2)
    win = MainWindow(StationSession(sqlite_db, root, "T"))
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    qtbot.waitExposed(win)
    boards = {"meters": win.page("meters").view, "control": win.page("control").view}
    for key in ("meters", "control", "counter"):        # built, loaded and shown once
        win.nav.setCurrentRow(KEYS.index(key))
        qtbot.waitUntil(lambda k=key: k == "counter" or boards[k].model().rowCount() == 240, timeout=10_000)
        qtbot.wait(300)
    meters = win.page("meters")
    meters._live, meters.stale = True, lambda: False     # as with the poller's live feed: a visit reloads nothing
    painted = {}
    for key, view in boards.items():
        paints = Paints()
        view.viewport().installEventFilter(paints)
        win.nav.setCurrentRow(KEYS.index(key))
        qtbot.wait(300)
        tasks.wait_idle()
        qtbot.wait(100)
        view.viewport().removeEventFilter(paints)
        painted[key] = paints.count
        win.nav.setCurrentRow(0)
        qtbot.wait(100)
    assert painted == {"meters": 1, "control": 1}, painted
