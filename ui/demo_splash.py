"""The "preparing the demo" splash shown while ui/demo.py builds the demo database.

Qt 6's QSplashScreen waits, on its Show event, until its native window reports itself visible,
for up to one second (qsplashscreen.cpp: event() -> waitForWidgetMapped(this), timeout 1000 ms).
The Show event is sent before the native window is shown, and the wait pumps events without
ever getting there, so show() took a whole second on every platform tried here (offscreen and
Xvfb, PySide6 6.12): a second of every demo start spent asleep. FreeCAD found the same and
skips that wait (FreeCAD/FreeCAD pull request 29917); so does this splash: its Show event goes
straight to QWidget, its paint still to QSplashScreen.

Without a pixmap a QSplashScreen is 0x0 pixels, so the message was never seen: this one has a
plain pixmap in the window colour, wide enough for the message in the station's font.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QSplashScreen, QWidget

PADDING = 24


class DemoSplash(QSplashScreen):
    def __init__(self, message: str) -> None:
        super().__init__()
        size = self.fontMetrics().boundingRect(message).size()      # the font it paints with
        pixmap = QPixmap(size.width() + 2 * PADDING, size.height() + 2 * PADDING)
        pixmap.fill(self.palette().window().color())
        self.setPixmap(pixmap)
        self.showMessage(message, Qt.AlignmentFlag.AlignCenter, self.palette().windowText().color())

    def event(self, e: QEvent) -> bool:
        if e.type() == QEvent.Type.Show:        # not QSplashScreen's: see the module docstring
            return QWidget.event(self, e)
        return super().event(e)
