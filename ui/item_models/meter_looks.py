"""What the board's table shows of one row, worked out once when the row changes.

Qt asks a model for seven roles of every visible cell at every paint (text, alignment, colours,
font, check state, marker, background): about 1,800 calls into Python a repaint of the board at
1100×620, and every call from C++ into Python takes the GIL, which the poller's threads hold in
turn, so under polling each call could wait for a thread switch (bench_gui: 25 ms of the GUI
thread's CPU stretched into stalls of 150-450 ms). RowLooks computes a row's texts, brushes,
alarm marker and tooltip when the row is loaded or changed; painting is a lookup, and
MeterTableModel.multiData/MeterFilter.multiData hand a cell's roles over in one call.

PySide6 6.12's QModelRoleData.setData() and clearData() each leave None with one reference
less (measured: tests/ui/runtime/test_qt_refcount.py), seven a cell: this module makes sure
ui.qt_refcount's head start is in place before any of them runs.

The age column is the exception: its text moves with the model's clock (tick()); it is computed
when painted, once per distinct reading time until the clock moves.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPixmap

from billing.monitor_query import MonitorRow
from resources.i18n import _
from ui.qt_refcount import protect_singletons
from ui.theme import ALARM_MARK, NEGATIVE, STATE_COLOURS

protect_singletons()     # QModelRoleData.setData/clearData drop a reference to None per call

DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
DECORATION = int(Qt.ItemDataRole.DecorationRole.value)
TOOLTIP = int(Qt.ItemDataRole.ToolTipRole.value)
ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole.value)
BACKGROUND = int(Qt.ItemDataRole.BackgroundRole.value)
FOREGROUND = int(Qt.ItemDataRole.ForegroundRole.value)
# a look is one flat tuple: (background, foreground, marker, tooltip, reading time, text of column 0,
# text of column 1, ...). For the four roles, the number of a tuple with one value per column in
# RowLooks.cells, shared by the rows that look alike. Numbers and strs only, not the shared tuples
# themselves nor a nested tuple of texts: the shared tuples hold Qt brushes and icons, which
# Python's cyclic collector tracks, and a tuple holding a tracked object (or a tuple the collector
# has not untracked yet - it untracks in no particular order) stays tracked; a flat look of strs,
# ints and a datetime is untracked the first time the collector sees it, so 10,000 board rows are
# not 10,000 more objects for every full collection to walk (ui.gui_main
# collect_garbage_on_gui_thread; tests/ui/meters/test_board_gc.py).
SLOTS = {BACKGROUND: 0, FOREGROUND: 1, DECORATION: 2, TOOLTIP: 3}
AT = 4
TEXT0 = 5               # look[TEXT0 + column]: the cell's text
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
NUMERIC = {"balance", "reading", "age", "voltage", "current", "power"}

Look = tuple


def alarm_icon(size: int = 12) -> QIcon:
    """The open-alarm marker: a red dot (the tile view paints the same colour)."""
    pm = QPixmap(size, size)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setBrush(QColor(ALARM_MARK))
    p.setPen(Qt.PenStyle.NoPen)
    p.drawEllipse(1, 1, size - 2, size - 2)
    p.end()
    return QIcon(pm)


class RowLooks:
    """Makes the looks of rows for a model with these columns; display(row, column) -> str."""

    def __init__(self, columns: Sequence[str], display: Callable[[MonitorRow, str], str]) -> None:
        self.columns = tuple(columns)
        self._display = display
        n = len(self.columns)
        self.none: tuple = (None,) * n
        self.cells: list[tuple] = [self.none]       # look[slot] is an index into this

        def col(name: str) -> int:
            return self.columns.index(name) if name in self.columns else -1

        self.age_col, self._state_col, self._balance_col, self._number_col = (
            col("age"), col("state"), col("balance"), col("number"))
        self.align = tuple(RIGHT if c in NUMERIC else None for c in self.columns)
        self._brushes = {s: (QBrush(QColor(bg)), QBrush(QColor(fg))) for s, (bg, fg) in STATE_COLOURS.items()}
        self._negative = QBrush(QColor(NEGATIVE))
        self._backgrounds: dict[str, int] = {}
        self._foregrounds: dict[tuple[str, bool], int] = {}
        self._markers: int | None = None
        self._tips: dict[int, int] = {}

    def _cells(self, cells: tuple) -> int:
        self.cells.append(cells)
        return len(self.cells) - 1

    def _with(self, col: int, value: Any) -> tuple:
        if col < 0 or value is None:
            return self.none
        cells = list(self.none)
        cells[col] = value
        return tuple(cells)

    def look(self, row: MonitorRow) -> Look:
        pair = self._brushes.get(row.state)
        bg = self._backgrounds.get(row.state)
        if bg is None:
            bg = self._backgrounds[row.state] = self._cells(
                self._with(self._state_col, pair[0] if pair else None))
        negative = row.balance_fen is not None and row.balance_fen < 0
        fg = self._foregrounds.get((row.state, negative))
        if fg is None:
            cells = list(self._with(self._state_col, pair[1] if pair else None))
            if negative and self._balance_col >= 0:
                cells[self._balance_col] = self._negative
            fg = self._foregrounds[(row.state, negative)] = self._cells(tuple(cells))
        marker = tip = 0
        if row.open_alarms:
            if self._markers is None:
                self._markers = self._cells(self._with(self._number_col, alarm_icon()))
            marker = self._markers
            tip = self._tips.get(row.open_alarms)
            if tip is None:
                tip = self._tips[row.open_alarms] = self._cells(self._with(
                    self._number_col, _("{n} open alarm(s)").format(n=row.open_alarms)))
        return (bg, fg, marker, tip, row.last_read_at or row.read_at,
                *["" if c == "age" else self._display(row, c) for c in self.columns])


class AgeTexts:
    """The age column's text per reading time, for one position of the clock."""

    def __init__(self, text: Callable[[datetime | None, datetime], str]) -> None:
        self._text = text
        self._now: datetime | None = None
        self._cache: dict[datetime | None, str] = {}

    def get(self, at: datetime | None, now: datetime) -> str:
        if now is not self._now:
            self._now, self._cache = now, {}
        text = self._cache.get(at)
        if text is None:
            text = self._cache[at] = self._text(at, now)
        return text
