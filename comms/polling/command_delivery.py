"""Executing one command from the outbox on its meter, confirmed by reading the meter back.

The kinds and their payloads are the outbox contract of models/commands.py; HANDLERS maps each
one to its execution here ("read" is run by the poller itself, because its values go through
the poll sink like a routine read): control (trip | close | keep-power | keep-power-off |
valve-open | valve-close), recharge and refund (amount, purchase_count: applied exactly once,
the meter compares counts), price (rate prices) and settings (alarm amounts, overdraft),
each written and read back, sync_clock (set and read back, broadcast only as the fallback),
read_frozen (kind daily | monthly and n, 1 = the last freeze). A command whose meter acknowledged but did not
confirm raises NotConfirmed, so the outbox retries it; a command that can never succeed raises
Unsupported or BadCommand, so the outbox fails it at once instead of retrying for a day.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from comms.errors import CommsError, MeterRefused, Unsupported
from comms.interfaces import ACTIONS, MeterDriver
from comms.protocols.dlt645 import ERR_NO_DATA, err_code
from models import station_time
from resources.i18n import _

FROZEN_KINDS = {"daily": 62, "monthly": 12}       # kind -> how far back a meter keeps it


class NotConfirmed(CommsError):
    """The meter accepted the command but reading it back does not show the new state."""


class AcceptedUnconfirmed(NotConfirmed):
    """The meter accepted (acknowledged) the control command but its state could not be read
    back: the outbox marks it done (unconfirmed) and queues a read-back, never a blind re-send."""


class BadCommand(CommsError):
    """The command itself is wrong (unknown action, bad payload): retrying cannot help."""


PERMANENT = (Unsupported, BadCommand)


def frozen_period(kind: str, n: int, frozen_at: str | None, today: date) -> date:
    """The day (daily) or first day of the month (monthly) a frozen value belongs to.

    One convention, the job's and the reading's (billing/automation/jobs.py labels its
    occurrence the same way): a frozen value is dated by the period it CLOSES. DL/T 645-2007
    daily freezing (DI 050601nn, its freeze time 050600nn; protocols.md §2 data table) takes the
    meter's energy at the daily freeze time, 00:00 by default: the value frozen at 00:00 on D is
    the reading at the end of D-1, so it belongs to D-1. A freeze time in the morning (before
    12:00) closes the day before; a freeze in the afternoon or evening closes its own day.
    Without the meter's freeze time, last-n counts back from today: n=1 is yesterday. Monthly
    (settlement-day data 000100nn, settlement on the 1st at 00:00): n=1 is last month."""
    if frozen_at:
        try:
            when = datetime.fromisoformat(frozen_at.strip()[:16])
            return when.date() - timedelta(days=1) if when.hour < 12 else when.date()
        except ValueError:
            try:
                return date.fromisoformat(frozen_at[:10]) - timedelta(days=1)
            except ValueError:
                pass
    if kind == "daily":
        return today - timedelta(days=n)
    months = today.year * 12 + today.month - 1 - n
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
        if not err_code(exc) & ERR_NO_DATA:
            raise
        raise BadCommand(_("The meter keeps no frozen data {kind} {index}").format(kind=kind, index=n)) from None
    frozen_at = values.pop("frozen_at", None)
    if "energy" not in values:
        raise Unsupported(_("The meter sent no frozen energy for {kind} {index}").format(kind=kind, index=n))
    period = frozen_period(kind, n, str(frozen_at.value) if frozen_at else None, today or station_time.today())
    return {"kind": kind, "n": n, "period": period.isoformat(),
            "values": {q: str(v.value) for q, v in values.items()}}


# the relay state a confirmed action leaves (read back with the "relay" quantity)
# What a command in doubt (it may have reached the meter before its sender died or its answer was
# lost) does before it is sent again - protocols.md is the source of each row:
#   trip, close       read back: the relay state, status word 3 bit 4 (04000503; §1.9, §1.11 "a
#                     9C reply means accepted, not moved: confirm by polling 04000503")
#   valve-open/close  read back: the valve state, CJ/T 188 901F ST bits 0-1 (§3.5, §3.6)
#   recharge, refund  guarded: the meter's purchase count 03330201 (§1.9, §6 "the meter checks
#                     count = its count + 1") decides, read before writing; never a second purchase
#   price, settings   read back first: 040501xx prices, 04001001..3 amounts with C=11 (§6 "C=14
#                     write ... then read back with C=11"); values already there are not written
#                     again; the values a partly applied download did take are recorded before
#                     its retry (PartlyApplied)
#   sync_clock        set and read back (§6: a broadcast C=08 has no reply, read the clock back)
#   keep-power(-off)  sent again: it sets a state (3AH/3BH, §1.11), twice is once; the state
#                     (status word 3 bit 12) is [M] and not read here
#   read, read_frozen reads: nothing to apply
# Any other kind in doubt is refused (failed, never re-sent blind): IN_DOUBT below.
RELAY_AFTER = {"trip": "open", "close": "closed"}
VALVE_AFTER = {"valve-open": "open", "valve-close": "closed"}
IN_DOUBT = {"control": "read-back", "price": "read-back", "settings": "read-back",
            "recharge": "guarded", "refund": "guarded", "sync_clock": "read-back",
            "read": "read", "read_frozen": "read"}


class PartlyApplied(CommsError):
    """A price or settings download stopped half-way: `applied` holds what the meter took (read
    back) before `cause`; the outbox records it before the retry."""

    def __init__(self, cause: CommsError, applied: dict[str, str]) -> None:
        super().__init__(str(cause))
        self.cause, self.applied = cause, applied


def already_done(driver: MeterDriver, action: str) -> bool:
    """Read back whether the meter is already in the state `action` leaves (an outbox item in
    doubt: it may have reached the meter before its sender died). The relay's state (DL/T
    645-2007 status word 3, 04000503 bit 4 - protocols.md §1.11; Modbus: the profile's relay
    register) and the valve's (CJ/T 188 ST bits, §3.6); for keep-power False (sent again: it
    is a state the meter sets, twice is once). A failed read-back raises, so the item stays
    in doubt and is retried."""
    quantity, want = ("relay", RELAY_AFTER.get(action)) if action in RELAY_AFTER else \
        ("valve", VALVE_AFTER.get(action))
    if want is None:
        return False
    reading = driver.read([quantity]).get(quantity)
    if reading is None:
        raise NotConfirmed(_("The {quantity} state of the meter cannot be read back before {action} is "
                             "sent again").format(quantity=quantity, action=action))
    return str(reading.value) == want


def _control(driver: MeterDriver, payload: dict[str, Any]) -> dict[str, Any]:
    action = payload.get("action", "")
    if action not in ACTIONS:
        raise BadCommand(_("Unknown control action {action}").format(action=action))
    if payload.get("verify_first") and already_done(driver, action):
        return {"action": action, "confirmed": True, "read_back": True}
    result = driver.control(action)
    if not result.confirmed:
        error = AcceptedUnconfirmed if result.accepted else NotConfirmed
        raise error(result.detail or _("The meter did not confirm {action}").format(action=action))
    return {"action": action, "confirmed": True}


def _recharge(driver: MeterDriver, payload: dict[str, Any]) -> dict[str, Any]:
    result = driver.recharge(Decimal(str(payload["amount"])), int(payload["purchase_count"]))
    return {"purchase_count": result.purchase_count, "balance": str(result.balance),
            "applied": result.applied}


def _refund(driver: MeterDriver, payload: dict[str, Any]) -> dict[str, Any]:
    if "purchase_count" not in payload:
        raise BadCommand(_("A meter refund needs its purchase number"))
    result = driver.refund(Decimal(str(payload["amount"])), int(payload["purchase_count"]))
    return {"purchase_count": result.purchase_count, "balance": str(result.balance),
            "applied": result.applied}


def _still_to_write(read: Callable[[], dict[str, Decimal]], want: dict[str, Decimal]) -> dict[str, Decimal]:
    """In doubt: the wanted values the meter does not hold yet (read back first); all of them
    when it cannot say (then the absolute values are simply written again)."""
    try:
        back = read()
    except (Unsupported, MeterRefused):
        return dict(want)
    return {k: v for k, v in want.items() if k not in back or Decimal(str(back[k])) != v}


def _write_each(write: Callable[[dict[str, Decimal]], dict[str, Decimal]],
                want: dict[str, Decimal]) -> dict[str, Decimal]:
    """Write the values one by one (each read back by the driver); a failure after some were
    taken raises PartlyApplied naming them, so they are recorded before the retry."""
    done: dict[str, Decimal] = {}
    for key, value in want.items():
        try:
            done.update(write({key: value}))
        except CommsError as e:
            if done and not isinstance(e, PERMANENT):
                raise PartlyApplied(e, {k: str(v) for k, v in done.items()}) from e
            raise
    return done


def _price(driver: MeterDriver, payload: dict[str, Any]) -> dict[str, Any]:
    prices = [Decimal(str(p)) for p in payload.get("prices") or ()]
    if not 1 <= len(prices) <= 4:
        raise BadCommand(_("A price download has 1 to 4 rate prices"))
    want = {str(i): p for i, p in enumerate(prices, start=1)}
    todo = _still_to_write(lambda: driver.read_prices(len(prices)), want) if payload.get("verify_first") else want
    # rate by rate (each read back), so a download that stops half-way says what the meter took
    done = _write_each(lambda one: {k: driver.write_price(int(k), v) for k, v in one.items()}, todo)
    out = {"prices": [str(done.get(k, want[k])) for k in want], "confirmed": True}
    return {**out, "read_back": sorted(set(want) - set(todo))} if todo != want else out


def _settings(driver: MeterDriver, payload: dict[str, Any]) -> dict[str, Any]:
    values = {k: Decimal(str(v)) for k, v in payload.items() if v is not None and k != "verify_first"}
    if not values:
        raise BadCommand(_("A settings download needs at least one value"))
    todo = _still_to_write(lambda: driver.read_settings(list(values)), values) if payload.get("verify_first") \
        else values
    done = _write_each(driver.write_settings, todo)
    out = {"settings": {k: str(done.get(k, v)) for k, v in values.items()}, "confirmed": True}
    return {**out, "read_back": sorted(set(values) - set(todo))} if todo != values else out


def _sync_clock(driver: MeterDriver, payload: dict[str, Any]) -> dict[str, Any]:
    return driver.set_clock(station_time.now())


# command kind (comms.polling.poller.Command.kind) -> handler; "read" is run by the poller itself
HANDLERS: dict[str, Callable[[MeterDriver, dict[str, Any]], dict[str, Any]]] = {
    "control": _control, "recharge": _recharge, "refund": _refund, "price": _price,
    "settings": _settings, "sync_clock": _sync_clock,
    "read_frozen": lambda driver, payload: read_frozen(driver, payload),
}
POLLER_KINDS = ("read",)


def execute(driver: MeterDriver, command: Any) -> dict[str, Any]:
    handler = HANDLERS.get(command.kind)
    if handler is None:
        raise BadCommand(_("Unknown command {kind}").format(kind=command.kind))
    return handler(driver, command.payload)
