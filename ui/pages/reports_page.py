"""The reports page (placeholder until its work lands)."""
from __future__ import annotations

from resources.i18n import N_, _
from ui.pages.upcoming import UpcomingPage


class ReportsPage(UpcomingPage):
    key = "reports"
    purpose = N_("Sales, receivable and received, consumption, line loss, alarms and shifts, as tables, charts and Excel.")

    @property
    def title(self) -> str:
        return _("Reports")
