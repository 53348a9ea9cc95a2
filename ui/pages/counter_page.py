"""The counter page (placeholder until its work lands)."""
from __future__ import annotations

from resources.i18n import N_, _
from ui.pages.upcoming import UpcomingPage


class CounterPage(UpcomingPage):
    key = "counter"
    purpose = N_("Find an account by name, room, meter number or phone; sell, refund and reverse; print the three-part receipt.")

    @property
    def title(self) -> str:
        return _("Counter")
