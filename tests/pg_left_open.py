"""Where a PostgreSQL connection left open was made: its test, its thread and its frames.

psycopg warns when a connection is garbage-collected still open ("… was deleted while still
open"), and the suite's warnings are errors — but the collection happens in whatever test runs
then (at the end of stop 21 it was tests/ui/bills, on SQLite), so the warning alone names the
wrong test. Every psycopg connection made under the suite gets its making test, thread and the
project's frames recorded (a dict by id, dropped at its finalizer: psycopg's connections have
__slots__); psycopg's own warning is then given with that added. Cheap: one short stack per
connection (a few thousand in a whole run).
"""
from __future__ import annotations

import os
import threading
import traceback
from typing import Any

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_current = ["(outside any test)"]
_made: dict[int, str] = {}


def where_made() -> str:
    frames = [f for f in traceback.extract_stack(limit=40)[:-2]
              if f.filename.startswith(_ROOT) and "/.venv/" not in f.filename]
    lines = "; ".join(f"{os.path.relpath(f.filename, _ROOT)}:{f.lineno} {f.name}" for f in frames[-8:])
    return f"made in {_current[0]} (thread {threading.current_thread().name}) at {lines or '?'}"


def install() -> None:
    """Wrap psycopg's connection __init__/__del__ (once per process; no-op without psycopg)."""
    try:
        from psycopg._connection_base import BaseConnection
    except ImportError:          # pragma: no cover - psycopg is a test dependency
        return
    if getattr(BaseConnection, "_meterstation_recorded", False):
        return
    init, final = BaseConnection.__init__, BaseConnection.__del__

    def recorded_init(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        _made[id(self)] = where_made()

    def recorded_del(self: Any) -> None:
        made = _made.pop(id(self), "made where not recorded")
        from warnings import warn

        final(self, lambda message, category: warn(f"{message} [{made}]", category, stacklevel=2))

    BaseConnection.__init__ = recorded_init
    BaseConnection.__del__ = recorded_del
    BaseConnection._meterstation_recorded = True


def entered(nodeid: str) -> None:
    _current[0] = nodeid
