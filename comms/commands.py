"""Executing one command from the outbox on its meter, confirmed by reading the meter back.

Kinds: "control" (payload action: trip | close | keep-power | keep-power-off | valve-open |
valve-close), "recharge" (payload amount as a decimal string and purchase_count: applied
exactly once, the meter compares counts), "sync_clock", "read_frozen" (payload kind daily |
monthly and n, 1 = the last freeze). ("read" is run by the poller itself, because its values go
through the poll sink like a routine read.) A command whose meter acknowledged but did not
confirm raises NotConfirmed, so the outbox retries it; a command that can never succeed raises
Unsupported or BadCommand, so the outbox fails it at once instead of retrying for a day.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from comms.driver import ACTIONS, MeterDriver
from comms.dlt645 import ERR_NO_DATA
from comms.errors import CommsError, MeterRefused, Unsupported
from resources.i18n import _

FROZEN_KINDS = {"daily": 62, "monthly": 12}       # kind -> how far back a meter keeps it


class NotConfirmed(CommsError):
    """The meter accepted the command but reading it back does not show the new state."""


class BadCommand(CommsError):
    """The command itself is wrong (unknown action, bad payload): retrying cannot help."""


PERMANENT = (Unsupported, BadCommand)


def frozen_period(kind: str, n: int, frozen_at: str | None, today: date) -> date:
    """The day (daily) or first day of the month (monthly) a frozen value belongs to: the
    meter's own freeze time when it sends one, else counted back from today (freeze at 00:00
    each day; settlement on the 1st of each month)."""
    if frozen_at:
        try:
            return date.fromisoformat(frozen_at[:10])
        except ValueError:
            pass
    if kind == "daily":
        return today - timedelta(days=n - 1)
    months = today.year * 12 + today.month - 1 - (n - 1)
    return date(months // 12, months % 12 + 1, 1)


def read_frozen(driver: MeterDriver, payload: dict[str, Any], today: date | None = None) -> dict[str, Any]:
    kind = str(payload.get("kind", "daily"))
    try:
        n = int(payload.get("n", 1))
    except (TypeError, ValueError):
        n = 0
    if kind not in FROZEN_KINDS or not 1 <= n <= FROZEN_KINDS[kind]:
        raise BadCommand(_("Frozen data {kind} {index} does not exist").format(kind=kind, index=n))
    try:
        values = driver.read_frozen(kind, n)
    except MeterRefused as exc:
        if not exc.details.get("err", 0) & ERR_NO_DATA:
            raise
        raise BadCommand(_("The meter keeps no frozen data {kind} {index}").format(kind=kind, index=n)) from None
    frozen_at = values.pop("frozen_at", None)
    if "energy" not in values:
        raise Unsupported(_("The meter sent no frozen energy for {kind} {index}").format(kind=kind, index=n))
    period = frozen_period(kind, n, str(frozen_at.value) if frozen_at else None, today or date.today())
    return {"kind": kind, "n": n, "period": period.isoformat(),
            "values": {q: str(v.value) for q, v in values.items()}}


def execute(driver: MeterDriver, command: Any) -> dict[str, Any]:
    kind, payload = command.kind, command.payload
    if kind == "control":
        action = payload.get("action", "")
        if action not in ACTIONS:
            raise BadCommand(_("Unknown control action {action}").format(action=action))
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
    if kind == "read_frozen":
        return read_frozen(driver, payload)
    raise BadCommand(_("Unknown command {kind}").format(kind=kind))
