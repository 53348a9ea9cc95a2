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


def test_full_collection_only_when_the_old_generation_grew(qtbot):
    """The full collection (the longest pause the program's collector makes) runs when what
    outlived the young collections grew by more than a quarter since the last one, not on the
    clock: a board whose rows are replaced by readings (freed by reference counting) does not grow."""
    fulls: list[int] = []
    callback = lambda phase, info: fulls.append(1) if phase == "start" and info["generation"] == 2 else None  # noqa: E731
    undo = collect_garbage_on_gui_thread(QApplication.instance(), freeze_after_s=0.2, full_every_s=0.5)
    gc.callbacks.append(callback)
    try:
        qtbot.waitUntil(lambda: gc.get_freeze_count() > 0, timeout=5000)
        base = [[i] for i in range(20_000)]                 # long-lived, made after the freeze
        qtbot.waitUntil(lambda: bool(fulls), timeout=5000)  # grown from nothing: one full collection
        fulls.clear()
        for _ in range(6):                                  # rows replaced, the old ones freed
            base = [[i] for i in range(20_000)]
            qtbot.wait(250)
        assert fulls == []
        more = [[i] for i in range(20_000)]                 # grown by 100%
        qtbot.waitUntil(lambda: bool(fulls), timeout=5000)
    finally:
        gc.callbacks.remove(callback)
        undo()
    assert len(base) == len(more) == 20_000
