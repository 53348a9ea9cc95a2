"""The alarms page (placeholder until its work lands)."""
from __future__ import annotations

from resources.i18n import N_, _
from ui.pages.upcoming import UpcomingPage


class AlarmsPage(UpcomingPage):
    key = "alarms"
    purpose = N_("Low-balance and arrears alarms by area; acknowledge and history.")

    @property
    def title(self) -> str:
        return _("Alarms")
