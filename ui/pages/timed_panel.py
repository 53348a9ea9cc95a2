"""The control page's "next scheduled" panel: the next switchings of the timed-control schedules
(billing.timed.service.next_occurrences), read off the GUI thread."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from billing.automation.calendar import to_local, utcnow
from billing.timed import service as timed
from resources.i18n import _
from ui import tasks
from ui.pages.base import fill, make_table

COUNT = 8


class NextScheduledPanel(QWidget):
    def __init__(self, session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.view, self.model = make_table([_("When"), _("Schedule"), _("Meter group"), _("Command")])
        self.empty = QLabel(_("No timed schedule is due"))
        self.empty.setObjectName("hint")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel(_("Next scheduled switchings")))
        layout.addWidget(self.view, 1)
        layout.addWidget(self.empty)
        self.upcoming: list[timed.Upcoming] = []

    def refresh(self) -> None:
        db = self.session.db
        tasks.read(self, lambda: timed.next_occurrences(db, utcnow(), COUNT), on_done=self.show_upcoming)

    def show_upcoming(self, upcoming: list[timed.Upcoming]) -> None:
        self.upcoming = upcoming
        fill(self.model, [[f"{to_local(u.at):%m-%d %H:%M}", u.schedule, u.tag, _(timed.ACTION_TITLES[u.action])]
                          for u in upcoming])
        self.empty.setVisible(not upcoming)
