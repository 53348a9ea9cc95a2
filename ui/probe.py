"""What a test driving the real window from outside (Xvfb + xdotool) needs to see: a JSON file,
rewritten every 300 ms, with the screen, the visible top-level windows and every visible control
of the counter in screen coordinates, the account on the card and the last receipt written.

Read-only: it observes, it never clicks or types (the test sends real X input events). Honoured
only with METERSTATION_PROBE=<file> and a demo or test station (METERSTATION_DEMO or
METERSTATION_TEST_MODE), so a cashier's station never writes it.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QPoint, QTimer
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QStatusBar,
    QWidget,
)

CONTROLS = (QAbstractButton, QLineEdit, QComboBox, QAbstractItemView, QAbstractSpinBox, QStatusBar, QLabel)


def enabled() -> str | None:
    target = os.environ.get("METERSTATION_PROBE")
    if target and (os.environ.get("METERSTATION_DEMO") == "1" or os.environ.get("METERSTATION_TEST_MODE") == "1"):
        return target
    return None


def _rect(w: QWidget) -> list[int]:
    top_left = w.mapToGlobal(QPoint(0, 0))
    return [top_left.x(), top_left.y(), w.width(), w.height()]


def _name(w: QWidget) -> str:
    text = w.text() if hasattr(w, "text") and callable(w.text) else ""
    return f"{type(w).__name__}:{w.objectName()}:{str(text)[:30]}"


def snapshot(window) -> dict:
    screen = window.screen()
    top = []
    for w in QApplication.topLevelWidgets():
        if w.isVisible():
            g = w.frameGeometry()
            top.append({"class": type(w).__name__, "bases": [c.__name__ for c in type(w).__mro__[:6]],
                        "title": w.windowTitle(), "rect": [g.x(), g.y(), g.width(), g.height()]})
    counter = window.page("counter")
    controls = [{"name": _name(w), "rect": _rect(w)}
                for w in counter.findChildren(QWidget)
                if isinstance(w, CONTROLS) and w.isVisible() and w.width() > 0]
    controls.append({"name": "QStatusBar:main", "rect": _rect(window.statusBar())})
    g = screen.geometry()
    card = getattr(counter, "card", None)
    return {"time": time.time(), "pid": os.getpid(), "screen": [g.x(), g.y(), g.width(), g.height()],
            "window": [window.frameGeometry().x(), window.frameGeometry().y(), window.frameGeometry().width(),
                       window.frameGeometry().height()],
            "page": window.current_page().key, "windows": top, "controls": controls,
            "card": None if card is None else card.number, "receipt": counter.printer.last_path,
            "switch_interval": sys.getswitchinterval()}


def install(window) -> QTimer | None:
    target = enabled()
    if not target:
        return None
    path = Path(target)

    def write() -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(snapshot(window), ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)

    timer = QTimer(window, interval=300)
    timer.timeout.connect(write)
    timer.start()
    window.first_painted.connect(write)        # the first snapshot as soon as the window is on screen
    return timer
