"""Common parts of the main window's pages."""
from __future__ import annotations

from typing import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from ui.session import StationSession


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
        """Reload data (called when the page is shown)."""


def make_table(headers: Sequence[str]) -> tuple[QTableView, QStandardItemModel]:
    model = QStandardItemModel(0, len(headers))
    model.setHorizontalHeaderLabels(list(headers))
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setVisible(False)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.horizontalHeader().setStretchLastSection(True)
    return view, model


def fill(model: QStandardItemModel, rows: Sequence[Sequence[object]]) -> None:
    model.removeRows(0, model.rowCount())
    for row in rows:
        items = []
        for value in row:
            item = QStandardItem("" if value is None else str(value))
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            items.append(item)
        model.appendRow(items)
