"""The meters page (placeholder until its work lands)."""
from __future__ import annotations

from resources.i18n import N_, _
from ui.pages.upcoming import UpcomingPage


class MetersPage(UpcomingPage):
    key = "meters"
    purpose = N_("Every meter with its state colour, balance, last reading and live values.")

    @property
    def title(self) -> str:
        return _("Meters")
