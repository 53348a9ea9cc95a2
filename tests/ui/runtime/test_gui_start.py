"""`meterstation --demo`: run_gui opens the main window on the demo station, logged in as the
demo administrator, says DEMO in the title and the status bar, starts the runtime off the GUI
thread; closing the window stops the runtime and the simulators' process (no thread left behind,
no process: ended and reaped).

run_gui ends in app.exec(), which returns only when the last window closes - a wait in C++ that
pytest-timeout's signal cannot end (its exception lands in the next Python callback Qt runs, and
Qt swallows it). So the test bounds itself: the watch looks again before anything else (a
swallowed exception cannot break its chain), gives up after WAIT_S and closes every window (one
another test left open would otherwise hold app.exec() for ever); a timer does the same as the
last resort. Found by review after CI hung at 2,357 of 2,360 tests (stop 26)."""
from __future__ import annotations

import argparse
import logging
import os
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from ui.gui_main import run_gui
from ui.main_window import MainWindow

WAIT_S = 120        # the demo window polling, then closed: well inside pytest's timeout


def close_every_window() -> None:
    """Close every visible top-level window: app.exec() returns at the last one closed. (Not
    QApplication.quit() or exit(): after them a later test's dialog loop ended at once.)"""
    for w in QApplication.topLevelWidgets():
        if w.isVisible():
            w.close()


def test_demo_gui_starts_polls_and_stops(qapp, qtbot):
    seen: dict = {}
    deadline = time.monotonic() + WAIT_S

    def watch() -> None:
        if seen.get("done"):
            return
        QTimer.singleShot(100, watch)            # first: an exception swallowed below cannot end the chain
        if time.monotonic() > deadline:
            seen.update(done=True, error=f"no polling demo window within {WAIT_S} s")
            close_every_window()
            return
        modal = QApplication.activeModalWidget()
        if isinstance(modal, QMessageBox):        # run_gui refused to start: fail, never hang on the box
            seen.update(done=True, error=modal.text())
            modal.done(0)
            return
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if not windows:
            return
        window = windows[0]
        s = window.session
        if "runtime" in s.services and "Links" in window.comm_status.text():
            seen.update(receipts=os.environ.get("METERSTATION_RECEIPT_DIR"),
                        bills=os.environ.get("METERSTATION_BILL_DIR"))
            seen.update(title=window.windowTitle(), status=window.comm_status.text(),
                        message=window.statusBar().currentMessage(), operator=s.actor.name,
                        demo=s.services.get("demo"), child=s.services["demo"].process)
            seen["done"] = True
            window.close()
            close_every_window()    # app.exec() ends even if another test left a window open

    QTimer.singleShot(0, watch)
    guard = QTimer(singleShot=True, interval=int(WAIT_S + 30) * 1000)     # the last resort
    guard.timeout.connect(close_every_window)
    guard.start()
    handlers = list(logging.getLogger().handlers)
    folders = {k: os.environ.get(k) for k in ("METERSTATION_RECEIPT_DIR", "METERSTATION_BILL_DIR")}
    try:
        code = run_gui(argparse.Namespace(demo=True, db=None))
    finally:
        guard.stop()
        seen["done"] = True
    assert "error" not in seen, seen.get("error")
    logs = Path(os.environ["METERSTATION_LOG_DIR"])           # the window's crash trace was there
    assert "--- window pid" in (logs / "crash.log").read_text()
    assert logging.getLogger().handlers == handlers          # and are given back when it ends
    assert code == 0
    assert seen["operator"] == "demo"
    folder = seen["demo"].folder                            # the demo's receipts and bills: its own folder
    assert seen["receipts"] == (folders["METERSTATION_RECEIPT_DIR"] or str(folder / "receipts"))
    assert seen["bills"] == (folders["METERSTATION_BILL_DIR"] or str(folder / "bills"))    # a named one wins
    assert {k: os.environ.get(k) for k in folders} == folders            # and the environment given back
    assert "DEMO" in seen["title"] and "DEMO" in seen["status"] and "DEMO" in seen["message"]
    assert seen["demo"].simulators == [] and seen["demo"].process is None     # stopped with the window
    assert seen["child"] is not None and seen["child"].proc.returncode == 0
