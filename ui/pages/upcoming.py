"""The base of a page whose service is not connected yet: it says so plainly instead of
showing fake data."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel

from resources.i18n import _
from ui.pages.base import Page


class UpcomingPage(Page):
    """A sparse page: what it will do, and that the service behind it is not installed yet."""

    purpose = ""

    def __init__(self, session, parent=None) -> None:
        super().__init__(session, parent)
        self.hint(_(self.purpose))
        note = QLabel(_("This page is not yet connected to its service in this version."))
        note.setObjectName("hint")
        self.layout_.addWidget(note)
        self.layout_.addStretch(1)
