"""Common parts of the main window's pages."""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtWidgets import QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from ui.qt_refcount import protect_singletons
from ui.session import StationSession

protect_singletons()     # multiData's QModelRoleData.setData/clearData drop a reference to None per call

_ROOT = QModelIndex()     # the invisible root: a table model's rows hang from it


class Page(QWidget):
    """A page of the main window: a title, a body; refresh() reloads its data off-thread."""

    key = "page"
    title = ""

    def __init__(self, session: StationSession, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(16, 12, 16, 12)
        heading = QLabel(self.title)
        heading.setObjectName("pageTitle")
        self.layout_.addWidget(heading)

    def hint(self, text: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName("hint")
        label.setWordWrap(True)
        self.layout_.addWidget(label)
        return label

    def refresh(self) -> None:
        """Reload data (visited() calls it when the page is shown)."""

    def visited(self) -> None:
        """The page was switched to (MainWindow.show_page): by default it reloads. A page whose
        load is big may reload only when its rows may be stale (AccountsPage)."""
        self.refresh()


_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole.value)


class _Cell:
    """What QStandardItemModel.item() gave callers: the cell's text."""

    __slots__ = ("_text",)

    def __init__(self, text: str) -> None:
        self._text = text

    def text(self) -> str:
        return self._text


class RowsModel(QAbstractTableModel):
    """A read-only table of rows for pages' result lists.

    Replacing the rows is one model reset and the cells are plain strings handed to the view on
    demand, so refreshing a page with thousands of rows costs no per-cell Qt objects (a
    QStandardItem per cell made refreshes stall the event loop for 100-250 ms)."""

    _RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def __init__(self, headers: Sequence[str], parent=None) -> None:
        super().__init__(parent)
        self._headers = list(headers)
        self._rows: list[tuple[str, ...]] = []
        self._right: list[tuple[bool, ...]] = []

    def set_rows(self, rows: Sequence[Sequence[object]]) -> bool:
        """Show these rows; returns whether anything changed.

        A page reloads its list each time it is shown, mostly to the same rows: then nothing is
        signalled (no reset, no relayout, no repaint). The same rows in the same order (the first
        column, the row's key, unchanged) with some cells changed: dataChanged over the changed
        span, so the selection stays on the same records. Anything else: one model reset."""
        new = [tuple("" if v is None else str(v) for v in row) for row in rows]
        right = [tuple(isinstance(v, (int, float)) and not isinstance(v, bool) for v in row) for row in rows]
        if new == self._rows and right == self._right:
            return False
        old = self._rows
        if old and len(new) == len(old) and all(a[:1] == b[:1] and len(a) == len(b)
                                                for a, b in zip(old, new, strict=True)):
            changed = [i for i, (a, b, ra, rb) in enumerate(zip(old, new, self._right, right, strict=True))
                       if a != b or ra != rb]
            self._rows, self._right = new, right
            last = max(0, len(self._headers) - 1)
            self.dataChanged.emit(self.index(changed[0], 0), self.index(changed[-1], last))
            return True
        self.beginResetModel()
        self._rows, self._right = new, right
        self.endResetModel()
        return True

    def item(self, row: int, column: int) -> _Cell:
        return _Cell(self._rows[row][column])

    def rowCount(self, parent=_ROOT) -> int:  # noqa: N802 - Qt name
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=_ROOT) -> int:  # noqa: N802 - Qt name
        return 0 if parent.isValid() else len(self._headers)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        if c >= len(self._rows[r]):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._rows[r][c]
        if role == Qt.ItemDataRole.TextAlignmentRole and self._right[r][c]:
            return self._RIGHT
        return None

    def multiData(self, index, span) -> None:  # noqa: N802 - Qt name
        """All the roles a view asks of a cell in one call (Qt 6's delegate asks seven; each call
        from C++ into Python takes the GIL, which the poller's threads hold in turn)."""
        r, c = index.row(), index.column()
        known = 0 <= r < len(self._rows) and c < len(self._rows[r])
        for item in span:                       # every role: the delegate reuses the span
            role = item.role()
            if known and role == _DISPLAY:
                item.setData(self._rows[r][c])
            elif known and role == _ALIGNMENT and self._right[r][c]:
                item.setData(self._RIGHT)
            else:
                item.clearData()

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802 - Qt name
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and section < len(self._headers):
            return self._headers[section]
        return None


class RowsView(QTableView):
    """A table view that sizes its columns to the contents once, on the first rows it shows.

    Measuring every refresh made each page switch stall for 10-100 ms (Qt asks the model for
    every cell); after the first fit the operator's own column widths are kept."""

    _fitted = False

    def resizeColumnsToContents(self) -> None:  # noqa: N802 - Qt name
        if self._fitted or self.model() is None or self.model().rowCount() == 0:
            return
        self._fitted = True
        super().resizeColumnsToContents()


def make_table(headers: Sequence[str]) -> tuple[QTableView, RowsModel]:
    model = RowsModel(headers)
    view = RowsView()
    view.setModel(model)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setResizeContentsPrecision(50)   # size columns from the first rows only
    return view, model


def fill(model: RowsModel, rows: Sequence[Sequence[object]]) -> bool:
    return model.set_rows(rows)
