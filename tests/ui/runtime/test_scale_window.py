"""Thousands of simulated meters in the real main window, with background failures forced in:
no modal box ever opens (only what the person did may open one), nothing crashes, and every
meter's state reaches the meters page.

Forced failures: the alarm reads (the bridge's alarm poll, the alarms page's watch and refresh)
raise "the database is busy"; a bare background read and write fail; the database file is
held under an exclusive lock by another connection for a few seconds while the poller writes.
"""
from __future__ import annotations

import sqlite3
import time
from collections import Counter

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from access import login as auth
from billing import alarm_log
from models.db import Database
from models.errors import DatabaseError
from ui import tasks
from ui.bridge import RuntimeHost
from ui.demo import create_demo_station
from ui.main_window import MainWindow
from ui.session import StationSession

METERS = 2000


def _busy(*_a, **_k):
    raise DatabaseError("The database is busy (locked by another program); try again")


def test_thousands_of_meters_background_failures_never_modal(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(alarm_log, "list_alarms", _busy)
    demo = create_demo_station("TEST", str(tmp_path / "demo"), meters=METERS)
    db = Database.open(demo.url)
    session = StationSession(db, auth.login(db, demo.operator, demo.password, "TEST"), "TEST", demo=True)
    session.services["demo"] = demo
    window = None
    modal: list[str] = []

    def look() -> None:
        w = QApplication.activeModalWidget()
        if w is not None:
            modal.append(type(w).__name__)
            w.close()                           # record it, and let the test go on

    watcher = QTimer(interval=20, timeout=look)
    try:
        host = RuntimeHost(session)
        window = MainWindow(session)
        qtbot.addWidget(window)
        window.show()
        watcher.start()
        host.start()
        qtbot.waitUntil(lambda: "runtime" in session.services, timeout=30_000)
        tasks.read(None, lambda: _busy())                    # background: no widget asked
        tasks.read(window.page("alarms"), lambda: _busy())   # a page's refresh
        tasks.write(None, lambda: _busy())
        locker = sqlite3.connect(str(tmp_path / "demo" / "demo.db"), timeout=30)
        locker.execute("BEGIN EXCLUSIVE")                    # "database is busy" for the poller
        qtbot.wait(3000)
        locker.rollback()
        locker.close()
        board = window.page("meters").model
        silent = 1                                           # the demo's one lost meter

        def all_shown() -> bool:
            online = sum(1 for r in board.rows if r.comm_state == "online" and r.last_read_at is not None)
            return online >= METERS - silent

        deadline = time.monotonic() + 150
        i = 0
        while not all_shown() and time.monotonic() < deadline:
            window.nav.setCurrentRow(i % len(window.pages))   # every page, while the flood comes in
            qtbot.wait(300)
            i += 1
        window.nav.setCurrentRow(window.pages.index(window.page("meters")))
        qtbot.wait(500)
        states = [r.comm_state for r in board.rows]
        assert board.rowCount() == METERS
        unread = sum(1 for r in board.rows if r.last_read_at is None)
        assert all_shown(), (f"{states.count('online')} of {METERS} online; states {dict(Counter(states))}, "
                             f"{unread} rows without a reading")   # lost (timeouts) or never read?
        assert modal == []
        assert window.problems >= 3                          # the failures went to the status bar
        assert window.problem.text()
    finally:
        watcher.stop()
        if window is not None:
            window.close()
        else:
            demo.stop()
        tasks.wait_idle()
        db.dispose()
