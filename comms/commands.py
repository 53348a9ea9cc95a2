"""Executing one command from the outbox on its meter, confirmed by reading the meter back.

Kinds: "control" (payload action: trip | close | keep-power | keep-power-off | valve-open |
valve-close), "recharge" (payload amount as a decimal string and purchase_count: applied
exactly once, the meter compares counts), "sync_clock". A command whose meter acknowledged but
did not confirm raises NotConfirmed, so the outbox retries it.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from comms.driver import ACTIONS, MeterDriver
from comms.errors import CommsError, ProtocolError
from resources.i18n import _


class NotConfirmed(CommsError):
    """The meter accepted the command but reading it back does not show the new state."""


def execute(driver: MeterDriver, command: Any) -> dict[str, Any]:
    kind, payload = command.kind, command.payload
    if kind == "control":
        action = payload.get("action", "")
        if action not in ACTIONS:
            raise ProtocolError(_("Unknown control action {action}").format(action=action))
        result = driver.control(action)
        if not result.confirmed:
            raise NotConfirmed(result.detail or _("The meter did not confirm {action}").format(action=action))
        return {"action": action, "confirmed": True}
    if kind == "recharge":
        result = driver.recharge(Decimal(str(payload["amount"])), int(payload["purchase_count"]))
        return {"purchase_count": result.purchase_count, "balance": str(result.balance),
                "applied": result.applied}
    if kind == "sync_clock":
        driver.sync_clock(datetime.now().astimezone())
        return {"synced": True}
    raise ProtocolError(_("Unknown command {kind}").format(kind=kind))
