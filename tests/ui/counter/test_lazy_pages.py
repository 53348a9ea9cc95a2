"""The main window opens fast (issue 12): it builds the counter alone, lists every page in the
navigation, builds a page on its first visit (by the navigation, its F-key, window.page(key) or
window.pages[i]), the alarms page right after the first paint (it watches from the start), and
imports neither the other pages' modules nor pyqtgraph while it is being built."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt

from resources import i18n
from ui.main_window import MainWindow
from ui.page_list import PAGES
from ui.session import StationSession

ROOT = Path(__file__).resolve().parents[3]
KEYS = ["counter", "accounts", "meters", "control", "reports", "alarms", "settings"]

DRIVER = """
import json, os, sys
from access import login as auth
from access import operators as operator_service
from models.db import Database
from ui.gui_main import make_app
from ui.main_window import MainWindow
from ui.session import StationSession

app = make_app()
db = Database.open(sys.argv[1], upgrade=True)
operator_service.create_first_operator(db, "root", "secret-1", "T")
session = StationSession(db=db, actor=auth.login(db, "root", "secret-1", "T"), station="T")
window = MainWindow(session)
print(json.dumps({"built": [p is not None for p in window.pages._pages],
                  "modules": sorted(m for m in sys.modules if m.startswith(("ui.pages.", "pyqtgraph", "numpy")))}))
sys.stdout.flush()
os._exit(0)
"""


def test_building_the_window_imports_only_the_counter(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    r = subprocess.run([sys.executable, "-c", DRIVER, f"sqlite:///{tmp_path / 's.db'}"], env=env, cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    seen = json.loads(r.stdout.strip().splitlines()[-1])
    assert seen["built"] == [True] + [False] * 6
    pages = {m for m in seen["modules"] if m.endswith("_page")}
    assert pages == {"ui.pages.counter_page"}, pages
    assert not [m for m in seen["modules"] if m.startswith(("pyqtgraph", "numpy"))]


def test_pages_are_listed_at_once_and_built_on_their_first_visit(qtbot, station):
    i18n.set_language("en")
    db, root = station
    win = MainWindow(StationSession(db, root, "T"))
    qtbot.addWidget(win)
    assert [win.nav.item(i).text() for i in range(win.nav.count())] == \
        ["Counter", "Accounts", "Meters", "Control", "Reports", "Alarms", "Settings"]
    assert [spec.key for spec in PAGES] == KEYS and len(win.pages) == 7
    assert win.built_page("counter") is win.current_page() and win.built_page("reports") is None
    win.show()
    qtbot.waitUntil(lambda: win.built_page("alarms") is not None, timeout=5000)    # after the first paint
    assert win.built_page("reports") is None and win.built_page("settings") is None
    qtbot.keyClick(win, Qt.Key.Key_F5)                                           # reports by its F-key
    reports = win.built_page("reports")
    assert reports is not None and win.current_page() is reports and win.stack.currentWidget().page is reports
    assert reports.title == win.nav.item(4).text()
    win.nav.setCurrentRow(KEYS.index("accounts"))                                # by the navigation
    assert win.current_page().key == "accounts"
    settings_page = win.page("settings")                                         # asked for: built, not shown
    assert win.current_page().key == "accounts" and win.pages.index(settings_page) == 6
    assert settings_page in win.pages and win.pages[KEYS.index("settings")] is settings_page
    assert [p.key for p in win.pages] == KEYS                                    # iterating builds the rest
    assert all(win.stack.widget(i).page is p for i, p in enumerate(win.pages))
    assert [p.title for p in win.pages] == [win.nav.item(i).text() for i in range(7)]


def test_the_usage_chart_arrives_after_the_window_and_draws_what_came_before(qtbot, station):
    db, root = station
    win = MainWindow(StationSession(db, root, "T"))
    qtbot.addWidget(win)
    chart = win.page("counter").card_view.chart
    assert chart.plot_widget is None
    chart.set_usage([])                                   # nothing to draw: the plot is not forced
    assert chart.plot_widget is None
    win.show()
    qtbot.waitUntil(lambda: chart.plot_widget is not None, timeout=20_000)   # built on the next turn
    chart.set_usage([("2026-09", Decimal("12")), ("2026-10", Decimal("40"))], "m³")
    ticks = chart.plot_widget.getPlotItem().getAxis("bottom")._tickLevels
    assert ticks == [[(0, "2026-09"), (1, "2026-10")]] and len(chart._labels) == 2


THREADS = """
import json, os, sys, threading
seen = []
sys.addaudithook(lambda event, args: seen.append(threading.current_thread().name)
                 if event == "import" and args[0] in ("pyqtgraph", "PySide6.QtSvg", "PySide6.QtTest") else None)
from PySide6.QtWidgets import QApplication
from access import login as auth
from access import operators as operator_service
from models.db import Database
from ui.gui_main import make_app
from ui.main_window import MainWindow
from ui.session import StationSession

app = make_app()
db = Database.open(sys.argv[1], upgrade=True)
operator_service.create_first_operator(db, "root", "secret-1", "T")
session = StationSession(db=db, actor=auth.login(db, "root", "secret-1", "T"), station="T")
window = MainWindow(session)
window.show()
chart = window.page("counter").card_view.chart
for _ in range(200):
    app.processEvents()
    if chart.plot_widget is not None:
        break
    threading.Event().wait(0.05)
print(json.dumps({"threads": sorted(set(seen)), "built": chart.plot_widget is not None}))
sys.stdout.flush()
os._exit(0)
"""


def test_pyqtgraph_is_imported_on_the_gui_thread_only(tmp_path):
    """Its import makes shiboken create every QtCore/QtGui/QtWidgets type and defines QObject
    subclasses: on a worker, beside the GUI thread building a page, it crashed the process
    (SIGSEGV in tests/foundation/test_gui.py; ui/widgets/usage_chart.py)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    r = subprocess.run([sys.executable, "-c", THREADS, f"sqlite:///{tmp_path / 's.db'}"], env=env, cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    seen = json.loads(r.stdout.strip().splitlines()[-1])
    assert seen == {"threads": ["MainThread"], "built": True}, seen
