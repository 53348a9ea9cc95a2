"""The Python stacks of a native crash, for whoever looks after the station: <log folder>/crash.log.

    undo = program_log.start_crash_trace("window")   # ui/gui_main.run_gui (undo: its finally)
    program_log.start_crash_trace("runtime")         # the runtime's child, the demo's simulators

The standard library's faulthandler writes every thread's Python stack when the process dies of
SIGSEGV, SIGFPE, SIGABRT, SIGBUS or SIGILL — a crash in Qt or a C extension otherwise leaves
nothing at all (a segfault seen once in a benchmark of 2026-11-30 left no trace). Each process
appends its name and pid first; the file is private (0600). The window's errors and warnings go to
errors.log (ui/error_log.py). The log folder is models.station_paths.log_dir()
(METERSTATION_LOG_DIR in tests).
"""
from __future__ import annotations

import faulthandler
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import IO

from models.station_paths import log_dir, private_dir, private_file

CRASH_LOG = "crash.log"


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
        stream.write(f"--- {name} pid {os.getpid()} started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC\n")
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
