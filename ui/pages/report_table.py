"""The table of a report: rows as lists of cells, a bold totals row, numbers right-aligned.

Money and energy cells are Decimal and are shown with two decimals (energy with all its
digits up to three); datetimes in the PC's local time. Model/view, so a report of 100,000
rows scrolls without a widget per cell.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QFont

from models import station_time
from resources.i18n import _
from ui.qt_refcount import protect_singletons

protect_singletons()     # multiData's QModelRoleData.setData/clearData drop a reference to None per call

_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_ROOT = QModelIndex()     # the invisible root: a table model's rows hang from it


def cell_text(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "money":
        return f"{Decimal(value).quantize(Decimal('0.01')):,}"
    if kind == "energy":
        d = Decimal(value)
        return f"{d.quantize(Decimal('0.01')) if d == d.quantize(Decimal('0.01')) else d.normalize():,}"
    if kind == "int":
        return f"{value:,}"
    if isinstance(value, datetime):
        return station_time.text(value, seconds=False)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class ReportTableModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.headers: list[str] = []
        self.kinds: list[str] = []
        self.rows: list[list[Any]] = []
        self.totals: list[Any] | None = None
        self._bold = QFont()
        self._bold.setBold(True)

    def set_table(self, headers: list[str], kinds: list[str], rows: list[list[Any]],
                  total_cols: list[int]) -> None:
        self.beginResetModel()
        self.headers, self.kinds, self.rows = headers, kinds, rows
        self.totals = None
        if rows and total_cols:
            totals: list[Any] = [None] * len(headers)
            for i in total_cols:
                totals[i] = sum((r[i] for r in rows if r[i] is not None), Decimal(0) if kinds[i] != "int" else 0)
            label = next((i for i in range(len(headers)) if i not in total_cols), None)
            if label is not None:
                totals[label] = _("Total")
            self.totals = totals
        self.endResetModel()

    def rowCount(self, parent=_ROOT) -> int:  # noqa: N802 - Qt name
        return 0 if parent.isValid() else len(self.rows) + (1 if self.totals else 0)

    def columnCount(self, parent=_ROOT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.headers)

    def row_values(self, row: int) -> list[Any]:
        return self.rows[row] if row < len(self.rows) else (self.totals or [])

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            value = self.row_values(r)[c]
            return value if isinstance(value, str) else cell_text(value, self.kinds[c])
        if role == Qt.ItemDataRole.TextAlignmentRole and self.kinds[c] in ("money", "energy", "int"):
            return int(_RIGHT.value)
        if role == Qt.ItemDataRole.FontRole and r >= len(self.rows):
            return self._bold
        return None

    def multiData(self, index: QModelIndex, span) -> None:  # noqa: N802 - Qt name
        """A cell's roles in one call into Python (the view asks seven, one call each otherwise)."""
        for item in span:                       # every role: the delegate reuses the span
            value = self.data(index, item.role())
            if value is None:
                item.clearData()
            else:
                item.setData(value)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return None
