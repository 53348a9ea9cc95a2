"""Pages whose services arrive with later work. They say so plainly instead of showing fake
data: counter (billing), accounts (billing), meters and control (comms), reports, alarms."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel

from resources.i18n import N_, _
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


def _page(key: str, title: str, purpose: str) -> type[UpcomingPage]:
    return type(f"{key.title()}Page", (UpcomingPage,), {"key": key, "title": property(lambda self: _(title)),
                                                         "purpose": purpose})


PAGES = [
    _page("counter", N_("Counter"), N_("Find an account by name, room, meter number or phone; sell, "
                                        "refund and reverse; print the three-part receipt.")),
    _page("accounts", N_("Accounts"), N_("Open and close accounts, move tenants, replace and bind "
                                          "meters, and see every ledger entry.")),
    _page("meters", N_("Meters"), N_("Every meter with its state colour, balance, last reading and "
                                      "live values.")),
    _page("control", N_("Control"), N_("Trip, close, keep power, download prices and settings, read "
                                        "now and sync clocks, for one meter or many.")),
    _page("reports", N_("Reports"), N_("Sales, receivable and received, consumption, line loss, "
                                        "alarms and shifts, as tables, charts and Excel.")),
    _page("alarms", N_("Alarms"), N_("Low-balance and arrears alarms by area; acknowledge and "
                                      "history.")),
]
