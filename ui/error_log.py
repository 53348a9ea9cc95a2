"""The windows' errors.log: what "the details are in the log file" points at.

The command line writes the traceback of an unexpected error to errors.log in the station's log
folder (ui/cli/__init__.py); the windows said so too (ui/tasks.error_text) but configured no log
file, so a worker's traceback (ui/tasks: log.exception) and an exception in a slot on the GUI
thread went to stderr only - nowhere at a site, where the program has no console. install()
adds, for the windows' process:

* a handler on the root logger: every WARNING and ERROR (with its traceback) appended to
  errors.log, created 0600 (a traceback may hold a customer's data), opened when the first one
  comes: the status bar's background failures ("database is busy", a runtime child that died)
  and the runtime child's own warnings (its stderr lines, ui/runtime_process.py) are there too;
* sys.excepthook: an exception nobody caught (PySide6 hands a slot's to it) is logged there
  as well, then given to the previous hook (stderr, as before).

    undo = error_log.install()      # ui/gui_main.run_gui; undo() removes both (tests)
"""
from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable

log = logging.getLogger("meterstation.gui")


class _PrivateFileHandler(logging.FileHandler):
    """A FileHandler whose file is created 0600 in a 0700 folder, when it is first written."""

    def _open(self):
        from models.station_paths import private_dir, private_file

        folder = os.path.dirname(self.baseFilename)
        private_dir(folder)
        fd = os.open(self.baseFilename, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600)
        private_file(self.baseFilename)
        return os.fdopen(fd, "a", encoding="utf-8")


def install() -> Callable[[], None]:
    """Log errors and uncaught exceptions to <log folder>/errors.log; returns the undo."""
    from models.station_paths import log_dir

    handler = _PrivateFileHandler(str(log_dir() / "errors.log"), delay=True)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    previous = sys.excepthook

    def hook(kind, value, tb) -> None:
        if not issubclass(kind, KeyboardInterrupt):
            log.error("uncaught exception", exc_info=(kind, value, tb))
        previous(kind, value, tb)

    sys.excepthook = hook

    def undo() -> None:
        root.removeHandler(handler)
        handler.close()
        if sys.excepthook is hook:
            sys.excepthook = previous

    return undo
