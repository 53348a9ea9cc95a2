"""The alarm history as a windowed table: the view is told how many rows there are (the
database's count) and asks for the rows it paints; a row not read yet shows "…" and its page
(billing/alarm_pages.PAGE rows) is read on a worker, then painted. The GUI thread never waits
on the database: a search and every page are tasks.read calls; their results are plain
strings made on the worker. At most KEEP pages are held (the least recently painted go first),
so scrolling through 150,000 alarms keeps memory flat.

    model.search(lambda: open_window(...), lambda window, offset: rendered_rows(...))
    model.opened.connect(show_count)         # the count, when the search's first page is in
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import QWidget

from billing.alarm_pages import PAGE
from ui import tasks

_ROOT = QModelIndex()
_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
KEEP = 25               # pages held (5,000 rows)
LOADING = "…"

Rows = list[tuple[str, ...]]


class AlarmHistoryModel(QAbstractTableModel):
    opened = Signal(int)            # a search's count, once its first page is shown
    failed = Signal(str)            # a search or page read failed (the error's text)

    def __init__(self, headers: Sequence[str], owner: QWidget) -> None:
        super().__init__(owner)
        self._headers = list(headers)
        self._owner = owner
        self._search = 0            # the current search's number: older results are dropped
        self._count = 0
        self._window: Any = None
        self._read: Callable[[Any, int], Rows] | None = None
        self._pages: OrderedDict[int, Rows] = OrderedDict()
        self._pending: set[int] = set()
        self.page_reads = 0         # pages asked of the database (tests count them)

    # --- searching
    def search(self, open_window: Callable[[], Any], read: Callable[[Any, int], Rows]) -> None:
        """Count and read the first page on a worker; the rows shown stay until the answer comes."""
        self._search += 1
        number = self._search

        def run() -> tuple[Any, Rows]:
            window = open_window()
            return window, (read(window, 0) if window.count else [])

        tasks.read(self._owner, run, on_done=lambda result: self._opened(number, read, result),
                   on_error=lambda e: self._failed(number, None, e))

    def _opened(self, number: int, read: Callable[[Any, int], Rows], result: tuple[Any, Rows]) -> None:
        if number != self._search:
            return
        window, first = result
        self.beginResetModel()
        self._window, self._read, self._count = window, read, window.count
        self._pages = OrderedDict({0: first})
        self._pending = set()
        self.endResetModel()
        self.opened.emit(self._count)

    def count(self) -> int:
        return self._count

    # --- pages
    def _want(self, page: int) -> None:
        if page in self._pending or self._read is None:
            return
        self._pending.add(page)
        self.page_reads += 1
        number, window, read = self._search, self._window, self._read
        tasks.read(self._owner, lambda: read(window, page * PAGE),
                   on_done=lambda rows: self._arrived(number, page, rows),
                   on_error=lambda e: self._failed(number, page, e))

    def _arrived(self, number: int, page: int, rows: Rows) -> None:
        if number != self._search:
            return
        self._pending.discard(page)
        self._pages[page] = rows
        while len(self._pages) > KEEP:
            self._pages.popitem(last=False)
        first = page * PAGE
        last = min(self._count, first + PAGE) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(self._headers) - 1))

    def _failed(self, number: int, page: int | None, error: BaseException) -> None:
        if page is not None:
            self._pending.discard(page)
        if number == self._search:
            self.failed.emit(tasks.error_text(error))

    def row_text(self, row: int) -> tuple[str, ...] | None:
        """The row's cells if its page is held, else None (and its page is asked for)."""
        page, at = divmod(row, PAGE)
        rows = self._pages.get(page)
        if rows is None:
            self._want(page)
            return None
        self._pages.move_to_end(page)
        return rows[at] if at < len(rows) else None

    # --- the Qt model
    def rowCount(self, parent=_ROOT) -> int:  # noqa: N802 - Qt name
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent=_ROOT) -> int:  # noqa: N802 - Qt name
        return 0 if parent.isValid() else len(self._headers)

    def _cell(self, row: int, column: int) -> str | None:
        if not 0 <= row < self._count:
            return None
        cells = self.row_text(row)
        if cells is None:
            return LOADING if column == 0 else ""
        return cells[column] if column < len(cells) else ""

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        return self._cell(index.row(), index.column())

    def multiData(self, index, span) -> None:  # noqa: N802 - Qt name
        """Every role a view asks of a cell in one call (as ui/pages/base.RowsModel)."""
        text = self._cell(index.row(), index.column()) if index.isValid() else None
        for item in span:
            if text is not None and item.role() == _DISPLAY:
                item.setData(text)
            else:
                item.clearData()

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802 - Qt name
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and section < len(self._headers):
            return self._headers[section]
        return None
