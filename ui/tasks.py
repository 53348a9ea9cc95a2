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
from typing import Any, Callable

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from models.errors import StationError
from resources.i18n import _
from ui.qt_refcount import protect_singletons

protect_singletons()            # every window path imports this module: see ui/qt_refcount.py

log = logging.getLogger(__name__)
_read_pool: QThreadPool | None = None
_write_pool: QThreadPool | None = None
_alive: set["_Task"] = set()
_background_sinks: list[Callable[[str], None]] = []


class _Bridge(QObject):
    done = Signal(object)
    failed = Signal(object)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any]) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.fn = fn
        self.bridge = _Bridge()

    def run(self) -> None:
        try:
            result = self.fn()
        except BaseException as e:  # noqa: BLE001 - handed to the GUI thread
            if not isinstance(e, StationError):
                log.exception("background task failed")
            self.bridge.failed.emit(e)
        else:
            self.bridge.done.emit(result)


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
    task = _Task(fn)
    _alive.add(task)

    def finish(_=None) -> None:
        _alive.discard(task)

    task.bridge.done.connect(finish)
    task.bridge.failed.connect(finish)
    def alive() -> bool:       # the widget that asked may have been closed while the task ran
        return parent is None or shiboken6.isValid(parent)

    if on_done is not None:
        task.bridge.done.connect(lambda result: on_done(result) if alive() else None)
    handler = on_error or ((lambda e: show_error(parent, e)) if user and parent is not None
                           else report_background)
    task.bridge.failed.connect(lambda error: handler(error) if alive() else None)
    pool.start(task)


def read(parent: QWidget | None, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
         on_error: Callable[[BaseException], None] | None = None, *, user: bool = False) -> None:
    _start(pools()[0], parent, fn, on_done, on_error, user)


def write(parent: QWidget | None, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
          on_error: Callable[[BaseException], None] | None = None, *, user: bool = True) -> None:
    _start(pools()[1], parent, fn, on_done, on_error, user)


def wait_idle(msecs: int = 10_000) -> bool:
    """Wait until every task has finished (shutdown and tests)."""
    r, w = pools()
    return r.waitForDone(msecs) and w.waitForDone(msecs)
