"""The one way the windows run work: off the GUI thread, results back as signals.

    tasks.read(self, lambda: service.search(db, text), on_done=self.show_rows)
    tasks.write(self, lambda: billing.sell(db, actor, ...), on_done=..., on_error=...)

Reads run on a shared pool; database writes go through a single worker thread, because SQLite
has one writer and because a sale must never race another sale from the same window. Callbacks
run on the GUI thread; a StationError reaches on_error, any other exception is a bug and is shown
as an internal error, never as a traceback.

Without on_error, only what the person did opens a dialog: a write asked for by a widget (a
button, a sale) shows a message box; a failed read (page loads, timers, live refreshes) and
anything without a widget (parent None) is a background failure: logged and shown in the
status bar through report_background(), never modal. Pass user=True/False to say otherwise.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QThreadPool, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from models.errors import StationError
from resources.i18n import _
from ui.qt_refcount import protect_singletons

protect_singletons()            # every window path imports this module: see ui/qt_refcount.py

log = logging.getLogger(__name__)
_read_pool: QThreadPool | None = None
_write_pool: QThreadPool | None = None
_alive: set[_Task] = set()
_background_sinks: list[Callable[[str], None]] = []
_writes_done = 0                # database writes finished (the single writer thread counts them)


class _Relay(QObject):
    """One QObject on the GUI thread for every task: a worker emits (task, ok, value) and the
    GUI thread delivers it. (A QObject and four connections per task cost ≈ 8 ms of the GUI
    thread each at 10,000 meters; this is one connection for the process.)"""
    finished = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.finished.connect(self._deliver)

    def _deliver(self, item: tuple[_Task, bool, Any]) -> None:
        task, ok, value = item
        _alive.discard(task)
        task.deliver(ok, value)


class _Task:
    def __init__(self, fn: Callable[[], Any], parent: QWidget | None, on_done: Callable[[Any], None] | None,
                 on_error: Callable[[BaseException], None], counted: bool = False) -> None:
        self.fn, self.parent, self.on_done, self.on_error = fn, parent, on_done, on_error
        self.counted = counted

    def run(self) -> None:              # a pool thread
        global _writes_done
        try:
            try:
                result = self.fn()
            finally:
                if self.counted:        # one writer thread: no other thread changes the count
                    _writes_done += 1
        except BaseException as e:  # noqa: BLE001 - handed to the GUI thread
            if not isinstance(e, StationError):
                log.exception("background task failed")
            _relay().finished.emit((self, False, e))
        else:
            _relay().finished.emit((self, True, result))

    def deliver(self, ok: bool, value: Any) -> None:    # the GUI thread
        if self.parent is not None and not shiboken6.isValid(self.parent):
            return                      # the widget that asked was closed while the task ran
        if ok:
            if self.on_done is not None:
                self.on_done(value)
        else:
            self.on_error(value)


_the_relay: _Relay | None = None


def _relay() -> _Relay:
    global _the_relay
    if _the_relay is None:
        relay = _Relay()
        app = QCoreApplication.instance()
        if app is not None and relay.thread() is not app.thread():
            relay.moveToThread(app.thread())
        _the_relay = relay
    return _the_relay


def pools() -> tuple[QThreadPool, QThreadPool]:
    global _read_pool, _write_pool
    if _read_pool is None:
        _read_pool = QThreadPool()
        _read_pool.setMaxThreadCount(4)
        _write_pool = QThreadPool()
        _write_pool.setMaxThreadCount(1)
    assert _write_pool is not None
    return _read_pool, _write_pool


def show_error(parent: QWidget | None, error: BaseException) -> None:
    QMessageBox.warning(parent, _("MeterStation"), error_text(error))


def error_text(error: BaseException) -> str:
    if isinstance(error, StationError):
        return str(error)
    return _("Internal error ({kind}); the details are in the log file").format(kind=type(error).__name__)


def add_background_sink(sink: Callable[[str], None]) -> Callable[[], None]:
    """Where background failures are shown (the main window's status bar); returns the remover."""
    _background_sinks.append(sink)
    return lambda: _background_sinks.remove(sink) if sink in _background_sinks else None


def report_background(error: BaseException | str) -> None:
    """A failure the person did not cause (poller, refresh, "database is busy"): logged and shown
    in the status bar, never a modal box. GUI thread."""
    text = error if isinstance(error, str) else error_text(error)
    log.warning("background failure: %s", text)
    for sink in list(_background_sinks):
        try:
            sink(text)
        except RuntimeError:            # its window is gone
            _background_sinks.remove(sink)


def _start(pool: QThreadPool, parent: QWidget | None, fn: Callable[[], Any],
           on_done: Callable[[Any], None] | None, on_error: Callable[[BaseException], None] | None,
           user: bool) -> None:
    handler = on_error or ((lambda e: show_error(parent, e)) if user and parent is not None
                           else report_background)
    task = _Task(fn, parent, on_done, handler, counted=pool is pools()[1])
    _relay()                            # made on the GUI thread, before any worker emits
    _alive.add(task)
    pool.start(task.run)


def read(parent: QWidget | None, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
         on_error: Callable[[BaseException], None] | None = None, *, user: bool = False) -> None:
    _start(pools()[0], parent, fn, on_done, on_error, user)


def write(parent: QWidget | None, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
          on_error: Callable[[BaseException], None] | None = None, *, user: bool = True) -> None:
    _start(pools()[1], parent, fn, on_done, on_error, user)


def writes_done() -> int:
    """How many database writes the windows have finished. A page that loaded its rows when
    this was lower may show data those writes changed (a sale, an archive edit): it reloads."""
    return _writes_done


def wait_idle(msecs: int = 10_000) -> bool:
    """Wait until every task has finished (shutdown and tests)."""
    r, w = pools()
    return r.waitForDone(msecs) and w.waitForDone(msecs)
