"""Starting the windows: open the database, first-start or login dialog, main window, and the
station's runtime (poller, settlement, scheduler) in the background (ui/bridge.py).

--demo: a fresh filled demo database with simulated meters (ui/demo.py), logged in as the demo
administrator; closing the window stops the runtime, then the simulators.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from access import login as auth
from models import settings
from models.db import Database
from models.errors import StationError
from resources.i18n import _

FREEZE_AFTER_S = 20      # collect_garbage_on_gui_thread(): the startup heap is frozen after this
TICK_MS = 250            # ... and young objects are collected this often
FULL_EVERY_S = 60        # ... and the whole (unfrozen) heap at most this often,
FULL_GROWTH = 0.25       # ... when what outlived the young collections grew by this part since
SWITCH_INTERVAL_S = 0.001   # gui_thread_first(): the interpreter lock reaches the GUI thread this soon


def make_app():
    from PySide6.QtWidgets import QApplication

    from resources import i18n
    from ui import qt_translations, theme
    from ui.qt_refcount import protect_singletons

    protect_singletons()                                # the bool_dealloc abort: ui/qt_refcount.py
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("MeterStation")
    qt_translations.install(app, i18n.language())     # Qt's own buttons and dialogs in that language
    theme.apply(app)
    return app


def gui_thread_first() -> Callable[[], None]:
    """The window's process hands the interpreter lock over every SWITCH_INTERVAL_S (Python's
    default: 5 ms); returns the undo. Qt paints in C++ but enters Python for each model call (a
    table's rows, a delegate), taking the lock each time: while a worker thread runs Python (a
    board's 10,000 rows unpickled, a report), each entry waited up to a whole interval. A
    2,000-row meters table repainted in 8.6 ms idle, 73 ms (median) beside a thread running
    Python at 5 ms, 29 ms at 1 ms, 24 ms at 0.5 ms. The runtime's child and the CLI keep the
    default."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    return lambda: sys.setswitchinterval(before)


def collect_garbage_on_gui_thread(app, freeze_after_s: float = FREEZE_AFTER_S, full_every_s: float = FULL_EVERY_S):
    """Run Python's cyclic garbage collector only on the GUI thread (Anki's approach).

    Left automatic, a collection can start on a worker thread (a big query, an import) and
    destroy Qt widgets there, which crashes Qt. Young objects are collected every TICK_MS, the
    whole heap at most once a minute (below). A young collection walks what every thread made since the last
    one, so its pause grows with the interval: once a second it took 60-130 ms of the GUI thread
    while the poller stored readings (bench_gui); four times a second, a quarter of that.

    freeze_after_s seconds after the event loop runs (the window, the pages, the runtime and
    the demo are built by then) everything alive is moved out of the collector's sight
    (gc.freeze()): those objects live as long as the program, and the minute's full collection
    then walks only what was made since, instead of the whole heap, which held the GIL (and so
    the window) for 0.5-1.3 s at 144 meters on a loaded machine and longer at 10,000
    (tests/benchmarks/bench_gui.py prints the collector's pauses). Frozen objects are still freed
    by reference counting; only a reference cycle among them that dies later stays in memory.

    The full collection runs only when the unfrozen objects that outlived the young collections
    (the oldest generation) grew by more than FULL_GROWTH since the last one, or since their
    lowest count after it (CPython's own rule for its automatic full collections, measured here by
    count): garbage in reference cycles shows as growth, while the board's rows, replaced by every
    reading and freed by reference counting, do not. At 10,000 meters what it walks is about three
    objects a meter (a board row on each of two pages, a driver): a row's look and values and a
    driver's echoes are kept as data the collector does not track (tests/ui/meters/test_board_gc.py)."""
    import gc

    from PySide6.QtCore import QTimer

    gc.disable()
    timer = QTimer(app)
    start = time.monotonic()          # by the clock, not by ticks: a busy loop coalesces ticks
    state = {"frozen": False, "full": start, "old": 0}

    def tick() -> None:
        now = time.monotonic()
        if not state["frozen"] and now - start >= freeze_after_s:
            state["frozen"] = True
            gc.collect(1)
            gc.freeze()
            state["full"], state["old"] = now, 0
        elif state["frozen"] and now - state["full"] >= full_every_s:
            state["full"] = now
            gc.collect(1)
            old = len(gc.get_objects(generation=2))     # a list of references: ~1 ms at 100,000
            if old - state["old"] > state["old"] * FULL_GROWTH:
                gc.collect(2)
                state["old"] = len(gc.get_objects(generation=2))    # the survivors: the new base
            else:
                state["old"] = min(state["old"], old)
        else:
            gc.collect(1)

    timer.timeout.connect(tick)
    timer.start(TICK_MS)

    def undo() -> None:
        timer.stop()
        timer.deleteLater()
        gc.unfreeze()
        gc.enable()

    return undo


def run_gui(args: argparse.Namespace) -> int:
    from models import program_log
    from ui import error_log

    crash_undo = program_log.start_crash_trace("window")   # a native crash's stacks: crash.log
    log_undo = error_log.install()          # "the details are in the log file": errors.log
    from ui.widgets import usage_chart

    usage_chart.warm_numpy()                    # while the login or the demo's build goes on
    try:
        app = make_app()
        gc_undo = collect_garbage_on_gui_thread(app)
        switch_undo = gui_thread_first()
        try:
            return _run(app, args)
        finally:
            switch_undo()
            gc_undo()
    finally:
        log_undo()
        crash_undo()


def _startup_probe(dialog) -> None:
    """METERSTATION_STARTUP_PROBE=1 measures the cold start (README.md, "Install at a site"): as soon as the
    first dialog is on screen, say so on stdout (with Qt's own word for Cancel, which shows that
    Qt's translations were found) and close it; the program then exits."""
    if os.environ.get("METERSTATION_STARTUP_PROBE") != "1":
        return
    from PySide6.QtCore import QCoreApplication, QTimer

    def shown() -> None:
        cancel = QCoreApplication.translate("QPlatformTheme", "Cancel")
        print(f"startup-probe: {type(dialog).__name__} shown; Qt: {cancel}", flush=True)
        dialog.reject()

    QTimer.singleShot(0, shown)


def _nothing() -> None:
    return None


def _demo_folders(folder: Path) -> Callable[[], None]:
    """The demo's receipts and bills go to its own temporary folder, not the user's data folder
    (its receipt numbers start at 1 again: the walk found a demo's receipt next to, and before
    the fix in place of, the station's own). The children started from here inherit it; returns
    what puts the environment back (run_gui runs in tests' processes too)."""
    names = {"METERSTATION_RECEIPT_DIR": folder / "receipts", "METERSTATION_BILL_DIR": folder / "bills"}
    before = {k: os.environ.get(k) for k in names}
    for k, where in names.items():
        os.environ.setdefault(k, str(where))       # a folder named by the person who started it wins

    def restore() -> None:
        for k, old in before.items():
            if old is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = old
    return restore


def _run(app, args: argparse.Namespace) -> int:
    from PySide6.QtWidgets import QDialog, QMessageBox

    from ui import tasks
    from ui.bridge import RuntimeHost, shutdown
    from ui.login import FirstStartDialog, LoginDialog
    from ui.main_window import MainWindow
    from ui.session import StationSession

    station = str(settings.get_local("station.name"))
    demo = None
    restore_folders: Callable[[], None] = _nothing
    try:
        meters = getattr(args, "demo_meters", None)
        if args.demo or meters:
            from ui.demo import create_demo_station
            from ui.demo_splash import DemoSplash

            splash = DemoSplash(_("Preparing the demo station: meters, accounts and three months of history…"))
            splash.show()                       # not QSplashScreen's second asleep: ui/demo_splash.py
            app.processEvents()
            try:
                demo = create_demo_station(station, meters=meters or 144)
            finally:
                splash.close()
            url = demo.url
            restore_folders = _demo_folders(demo.folder)  # its receipts and bills: not the user's
        else:
            url = args.db or settings.get_local("station.db_url") or None
        db = Database.open(url, upgrade=True)
    except StationError as e:
        restore_folders()
        if demo is not None:
            demo.stop()
        QMessageBox.critical(None, _("MeterStation"), str(e))
        return 1
    session = None
    try:
        if demo is not None:
            actor = auth.login(db, demo.operator, demo.password, station)
        else:
            if not auth.has_operators(db):
                first = FirstStartDialog(db, station)
                _startup_probe(first)
                if first.exec() != QDialog.DialogCode.Accepted:
                    return 1
            login = LoginDialog(db, station)
            _startup_probe(login)
            if login.exec() != QDialog.DialogCode.Accepted or login.actor is None:
                return 1
            actor = login.actor
        session = StationSession(db=db, actor=actor, station=station, demo=demo is not None)
        if demo is not None:
            session.services["demo"] = demo
        host = RuntimeHost(session)
        from ui.widgets import usage_chart

        usage_chart.preload()                   # pyqtgraph on this thread, before the window shows
        window = MainWindow(session)
        window.show()
        from ui import probe

        probe.install(window)                   # tests driving the real window only
        # the poller starts once the window has painted: its imports and threads do not
        # compete with the first frame for the interpreter
        window.first_painted.connect(host.start)
        code = app.exec()
        shutdown(session)
        tasks.wait_idle()
        return code
    except StationError as e:
        QMessageBox.critical(None, _("MeterStation"), str(e))
        return 1
    finally:
        if session is not None:
            shutdown(session)
        if demo is not None:
            demo.stop()
        tasks.wait_idle()
        db.dispose()
        restore_folders()
