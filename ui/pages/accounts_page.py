"""The accounts page (placeholder until its work lands)."""
from __future__ import annotations

from resources.i18n import N_, _
from ui.pages.upcoming import UpcomingPage


class AccountsPage(UpcomingPage):
    key = "accounts"
    purpose = N_("Open and close accounts, move tenants, replace and bind meters, and see every ledger entry.")

    @property
    def title(self) -> str:
        return _("Accounts")
