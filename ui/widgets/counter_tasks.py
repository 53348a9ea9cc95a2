"""ui.tasks for the counter and accounts widgets, with callbacks that die with their widget.

A result may come back after its widget was closed (a window closed while a search ran); its
callback is then dropped instead of touching a deleted widget. (ui.tasks itself could do this
for everyone; until then the counter's widgets go through here.)
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtWidgets import QWidget

from ui import tasks


def _alive(widget: QWidget, callback: Callable[[Any], None] | None, *, error: bool = False,
           user: bool = True):
    def call(value: Any) -> None:
        if not shiboken6.isValid(widget):
            return
        if callback is not None:
            callback(value)
        elif error and user:
            tasks.show_error(widget, value)
        elif error:                     # a read: a background failure, never a modal box
            tasks.report_background(value)
    return call


def read(widget: QWidget, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
         on_error: Callable[[BaseException], None] | None = None) -> None:
    tasks.read(widget, fn, on_done=_alive(widget, on_done),
               on_error=_alive(widget, on_error, error=True, user=False))


def write(widget: QWidget, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
          on_error: Callable[[BaseException], None] | None = None) -> None:
    tasks.write(widget, fn, on_done=_alive(widget, on_done), on_error=_alive(widget, on_error, error=True))
