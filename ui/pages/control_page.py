"""The control page (placeholder until its work lands)."""
from __future__ import annotations

from resources.i18n import N_, _
from ui.pages.upcoming import UpcomingPage


class ControlPage(UpcomingPage):
    key = "control"
    purpose = N_("Trip, close, keep power, download prices and settings, read now and sync clocks, for one meter or many.")

    @property
    def title(self) -> str:
        return _("Control")
