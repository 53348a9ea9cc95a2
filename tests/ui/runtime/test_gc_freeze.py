"""The program's collector (ui.gui_main.collect_garbage_on_gui_thread): on the GUI thread only,
and once the station is built its heap is frozen, so the once-a-minute full collection walks
only what was made since (a full walk of the 10,000-meter heap held the GIL, so the window,
for hundreds of milliseconds). Undo gives the heap back to the collector."""
from __future__ import annotations

import gc

from PySide6.QtWidgets import QApplication

from ui.gui_main import collect_garbage_on_gui_thread


def test_young_objects_collected_several_times_a_second(qtbot):
    """Short, frequent young collections: each walks only what was made since the last one."""
    seen = []
    callback = lambda phase, info: seen.append(info["generation"]) if phase == "start" else None  # noqa: E731
    undo = collect_garbage_on_gui_thread(QApplication.instance(), freeze_after_s=60)
    gc.callbacks.append(callback)
    try:
        qtbot.wait(1100)
    finally:
        gc.callbacks.remove(callback)
        undo()
    assert seen.count(1) >= 3


def test_startup_heap_frozen_then_given_back(qtbot):
    app = QApplication.instance()
    assert gc.get_freeze_count() == 0
    undo = collect_garbage_on_gui_thread(app, freeze_after_s=1)
    try:
        assert not gc.isenabled()
        qtbot.waitUntil(lambda: gc.get_freeze_count() > 0, timeout=5000)
        frozen = gc.get_freeze_count()
        assert frozen > 1000                                # the modules, Qt wrappers, the test's heap
        young = [object() for _ in range(10)]               # not frozen: made after
        assert gc.get_freeze_count() == frozen and young
    finally:
        undo()
    assert gc.isenabled() and gc.get_freeze_count() == 0
