"""What the Settings editors share: a button row that is enabled only with a right, and a
status line that says what was saved or why not.

Disabling a button is a convenience; the services check the right again (and log a refusal).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from models.errors import StationError
from resources.i18n import _
from ui import tasks


class EditorTab(QWidget):
    """Base of a settings editor tab: `session`, `status`, buttons gated by `right`."""

    right = "settings_edit"

    def __init__(self, session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.status = QLabel("")
        self.status.setObjectName("hint")
        self.status.setWordWrap(True)
        self.actions: list[QPushButton] = []

    def allowed(self, right: str | None = None) -> bool:
        return self.session.can(right or self.right)

    def button_row(self, *items: tuple[str, Callable[[], None]], right: str | None = None) -> QHBoxLayout:
        row = QHBoxLayout()
        for text, slot in items:
            b = QPushButton(text)
            b.clicked.connect(lambda _checked=False, slot=slot: slot())
            b.setEnabled(self.allowed(right))
            row.addWidget(b)
            self.actions.append(b)
        row.addStretch(1)
        return row

    def save(self, fn: Callable[[], Any], message: str, then: Callable[[], None] | None = None) -> None:
        """Run a service call on the writer thread; say `message` when done, the error when not."""
        def done(_result) -> None:
            self.status.setText(message)
            if then is not None:
                then()

        def failed(error: BaseException) -> None:
            self.status.setText(str(error) if isinstance(error, StationError) else _("Not saved"))
            tasks.show_error(self, error)
        tasks.write(self, fn, on_done=done, on_error=failed)

    def refresh(self) -> None:
        """Reload from the database (off the GUI thread)."""
