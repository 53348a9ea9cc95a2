"""Keep True, False and None alive however many signals are emitted (the bool_dealloc abort).

The cause, measured (tests/ui/runtime/test_qt_refcount.py): in the PySide6 this station ships
(6.12.0), SignalInstance.emit() returns True without taking a reference to it; every emit()
called from Python, whatever its arguments, leaves True with one reference less. True starts
with a few thousand; a station polling 10,000 meters emits that many in a minute or two (the
event bridge every 200 ms, two per background task, the pages' own signals), then Python frees
True and aborts: "Fatal Python error: bool_dealloc" (SIGABRT). None leaks the same way more
slowly (the none_dealloc seen at exit of a 10,000-meter run).

PySide's emit cannot be patched from Python and emits are everywhere, so at start the three
singletons get a head start of 2**40 references, which is what Python 3.12 does for them
anyway (immortal objects): an extra reference to them costs nothing, one too few kills the
process. Idempotent; CPython only (the reference count is the object's first field).
"""
from __future__ import annotations

import ctypes
import sys

HEAD_START = 1 << 40
_done = False


def protect_singletons() -> None:
    global _done
    if _done or sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        _done = True                    # 3.12+: already immortal
        return
    for obj in (True, False, None):
        ctypes.c_ssize_t.from_address(id(obj)).value += HEAD_START
    _done = True
