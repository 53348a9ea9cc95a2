"""The control page's progress view: one row per queued command (outbox item) with its meter,
action, state (pending → done / failed with its error) and attempts."""
from __future__ import annotations

from collections import Counter
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from billing.control import ACTION_TITLES, CommandStatus
from resources.i18n import N_, _

STATE_TITLES = {"pending": N_("Pending"), "sending": N_("Sending"), "done": N_("Done"), "failed": N_("Failed"),
                "expired": N_("Expired")}
_COLOURS = {"done": "#d4edda", "failed": "#f8d7da", "expired": "#f8d7da", "sending": "#fff3cd"}
HEADERS = (N_("Meter"), N_("Command"), N_("State"), N_("Attempts"), N_("Error"))


class CommandProgressModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.items: list[list[Any]] = []     # [item_id, meter number, kind, state, attempts, error]
        self._index: dict[int, int] = {}

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _(HEADERS[section])
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        _id, number, kind, state, attempts, error = self.items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            action = kind.removeprefix("meter.")
            return (number, _(ACTION_TITLES.get(action, action)), _(STATE_TITLES.get(state, state)),
                    str(attempts), error)[index.column()]
        if role == Qt.ItemDataRole.BackgroundRole and index.column() == 2 and state in _COLOURS:
            return QBrush(QColor(_COLOURS[state]))
        return None

    def start(self, rows: list[tuple[int, str, str]]) -> None:
        """New batch: (item_id, meter number, outbox kind) each, all pending."""
        self.beginResetModel()
        self.items = [[i, number, kind, "pending", 0, ""] for i, number, kind in rows]
        self._index = {row[0]: n for n, row in enumerate(self.items)}
        self.endResetModel()

    def update(self, statuses: dict[int, CommandStatus]) -> None:
        for item_id, st in statuses.items():
            n = self._index.get(item_id)
            if n is None:
                continue
            row = self.items[n]
            if (row[3], row[4], row[5]) != (st.state, st.attempts, st.error):
                row[3:6] = [st.state, st.attempts, st.error]
                self.dataChanged.emit(self.index(n, 0), self.index(n, len(HEADERS) - 1))

    def item_ids(self) -> list[int]:
        return [row[0] for row in self.items]

    def unfinished(self) -> list[int]:
        return [row[0] for row in self.items if row[3] in ("pending", "sending")]

    def counts(self) -> Counter[str]:
        return Counter(row[3] for row in self.items)
