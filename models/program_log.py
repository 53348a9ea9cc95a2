"""What the window's process leaves behind for whoever looks after the station: its log file and
the Python stacks of a native crash.

    undo = program_log.start("window")      # ui/gui_main.run_gui, for as long as the window runs
    program_log.start_crash_trace("runtime")  # the runtime's child process (its log goes to the window)

- <log folder>/window.log: WARNING and above of the logging tree (rotated at 1 MB, 5 kept; a
  private file). The window's messages say "the details are in the log file" and the runtime
  child's stderr lines are logged by the window (ui/runtime_process.py): before this they went
  to the window's stderr only, which a program started from the desktop does not have.
- <log folder>/crash.log: the standard library's faulthandler, every thread's Python stack when
  the process dies of SIGSEGV, SIGFPE, SIGABRT, SIGBUS or SIGILL — a crash in Qt or a C extension
  otherwise leaves nothing at all (a segfault seen once in a benchmark of 2026-11-30 left no
  trace). Each process appends with its name and pid first.
The log folder is models.station_paths.log_dir() (METERSTATION_LOG_DIR in tests).
"""
from __future__ import annotations

import faulthandler
import logging
import os
import sys
import time
from collections.abc import Callable
from typing import IO

from models.station_paths import log_dir, private_dir, private_file

WINDOW_LOG = "window.log"
CRASH_LOG = "crash.log"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def start_crash_trace(name: str) -> Callable[[], None]:
    """faulthandler into crash.log for this process; returns the undo (tests). Never raises: a
    station whose log folder cannot be written still runs (faulthandler then stays on stderr)."""
    was_on = faulthandler.is_enabled()        # python -X faulthandler, pytest: given back at undo
    try:
        folder = private_dir(log_dir())
        path = folder / CRASH_LOG
        fd = os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
        private_file(path)
        stream: IO[str] = os.fdopen(fd, "a", encoding="utf-8", buffering=1)
        stream.write(f"--- {name} pid {os.getpid()} started {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        faulthandler.enable(file=stream, all_threads=True)
    except OSError:
        faulthandler.enable(all_threads=True)
        return faulthandler.disable

    def undo() -> None:
        faulthandler.disable()
        stream.close()
        if was_on and sys.__stderr__ is not None:
            faulthandler.enable(file=sys.__stderr__, all_threads=True)
    return undo


def start(name: str) -> Callable[[], None]:
    """window.log and crash.log for the window's process; returns the undo (run_gui's finally)."""
    undo_crash = start_crash_trace(name)
    root = logging.getLogger()
    handler: logging.Handler | None = None
    old_level = root.level
    try:
        from logging.handlers import RotatingFileHandler

        folder = private_dir(log_dir())
        path = folder / WINDOW_LOG
        handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=5, encoding="utf-8")
        private_file(path)
        handler.setLevel(logging.WARNING)
        handler.setFormatter(logging.Formatter(_FORMAT))
        root.addHandler(handler)
        if root.level == logging.NOTSET or root.level > logging.WARNING:
            root.setLevel(logging.WARNING)
    except OSError:
        handler = None

    def undo() -> None:
        if handler is not None:
            root.removeHandler(handler)
            handler.close()
            root.setLevel(old_level)
        undo_crash()
    return undo
