"""A page switch paints the new page once (MainWindow.show_page). Qt alone painted it three
times over two turns of the event loop: on its show, after its item views' delayed layout, and
after the layout request the switch posts; and the theme's `QTableView { background }` rule had
Qt paint a shown table twice in one go (ui/theme.py). At 10,000 meters each paint of the meters
board cost 15-20 ms of the GUI thread (issue 12's stall).

The window runs in a process of its own: windows other tests of the same worker leave behind
(a demo's, say) would paint and post into this one's event loop."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

DRIVER = """
import json, sys, time
from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer
from access import login as auth
from access import operators as operator_service
from models.db import Database
from resources import i18n
from tests.ui.meters import board_site
from ui import tasks
from ui.gui_main import make_app
from ui.main_window import MainWindow
from ui.session import StationSession

KEYS = ["counter", "accounts", "meters", "control", "reports", "alarms", "settings"]


class Paints(QObject):
    count = 0

    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def wait(ms):
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


app = make_app()
i18n.set_language(sys.argv[2])
db = Database.open(sys.argv[1], upgrade=True)
operator_service.create_first_operator(db, "root", "secret-1", "T")
root = auth.login(db, "root", "secret-1", "T")
board_site.build(db, meters=240, buildings=2)
win = MainWindow(StationSession(db, root, "T"))
win.resize(1366, 768)
win.show()
boards = {"meters": win.page("meters").view, "control": win.page("control").view}
for key in ("meters", "control", "counter"):               # built, loaded and shown once
    win.nav.setCurrentRow(KEYS.index(key))
    for _ in range(100):
        wait(50)
        if key == "counter" or boards[key].model().rowCount() == 240:
            break
    wait(300)
meters, control = win.page("meters"), win.page("control")
meters._live, meters.stale = True, lambda: False            # as with the poller's live feed:
control._live = True                                        # a visit reloads nothing
painted = {}
for key, view in boards.items():
    control.fresh.loaded()
    paints = Paints()
    view.viewport().installEventFilter(paints)
    win.nav.setCurrentRow(KEYS.index(key))
    for _ in range(8):                  # the switch's own turns of the loop (no worker's answer is this fast)
        app.processEvents()
    view.viewport().removeEventFilter(paints)
    painted[key] = paints.count
    wait(300)
    win.nav.setCurrentRow(0)
    wait(100)
tasks.wait_idle()
print(json.dumps(painted))
sys.stdout.flush()
import os
os._exit(0)
"""


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_a_switch_to_a_board_paints_its_table_once(tmp_path, language):
    env = {k: v for k, v in os.environ.items() if not k.startswith("METERSTATION_")}
    env.update(PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen", METERSTATION_CONFIG_DIR=str(tmp_path / "config"),
               METERSTATION_DATA_DIR=str(tmp_path / "data"), METERSTATION_LOG_DIR=str(tmp_path / "logs"))
    r = subprocess.run([sys.executable, "-c", DRIVER, f"sqlite:///{tmp_path / 's.db'}", language], env=env,
                       cwd=tmp_path, capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr[-3000:]
    painted = json.loads(r.stdout.strip().splitlines()[-1])
    assert painted == {"meters": 1, "control": 1}, painted
