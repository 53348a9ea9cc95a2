"""The outbox contract: every meter command kind, its typed payload and the capability it needs.

Whoever queues (billing/: sales, refunds, control, the periodic jobs) builds a payload
dataclass and calls `to_json`; whoever delivers (comms/polling/outbox_source.py, comms/polling/command_delivery.py)
parses it back with `parse`. A kind not in KINDS cannot be queued (billing.outbox.enqueue
refuses it) and tests/comms/test_outbox_contract.py fails when a kind has no handler in comms.

Why here: models/ is the one package both billing and comms already import, and this module
imports nothing but the standard library and the translation helper - it carries vocabulary,
never machinery (no driver, no session). The capabilities a meter declares are data in
resources/ (see models/capabilities.py).
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from models.errors import InvalidInput
from resources.i18n import N_, _

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


@dataclass(frozen=True)
class NoPayload:
    reason: str = ""                 # why it was queued (for the log), e.g. "arrears"
    balance_fen: int | None = None   # the account's balance when it was queued
    schedule: str = ""               # timed control (billing/timed/run.py): the schedule's name
    occurrence: str = ""             # and the occurrence ("YYYY-MM-DDTHH:MM off|on") it switches


@dataclass(frozen=True)
class RechargePayload:
    amount: str                      # yuan, 2 decimals
    purchase_count: int              # the meter's purchase number (count + 1 rule)
    receipt: str = ""
    carried: bool = False            # the balance carried to a replacement meter


@dataclass(frozen=True)
class RefundPayload:
    amount: str                      # yuan taken off the meter's balance
    purchase_count: int = 0          # the meter's purchase number (a refund uses one, too)
    receipt: str = ""


@dataclass(frozen=True)
class PricePayload:
    prices: tuple[str, ...]          # rate 1..4 unit prices, yuan/kWh, 4 decimals


@dataclass(frozen=True)
class SettingsPayload:
    alarm1: str | None = None        # yuan
    alarm2: str | None = None
    overdraft: str | None = None
    power_limit: str | None = None   # kW


@dataclass(frozen=True)
class ControlPayload:
    action: str
    reason: str = ""


@dataclass(frozen=True)
class ReadPayload:
    quantities: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class FrozenPayload:
    kind: str = "daily"
    n: int = 1
    period: str = ""


@dataclass(frozen=True)
class CommandKind:
    name: str                        # outbox kind, "meter.<sub>"
    payload: type[DataclassInstance]
    capability: str                  # what the meter must declare (models/capabilities.py)
    title: str                       # N_() text
    waits_for: tuple[str, ...] = ()  # earlier kinds of the same meter that must be done first

    @property
    def sub(self) -> str:
        return self.name.removeprefix("meter.")


RELAY_ACTIONS = ("trip", "close", "keep-power", "keep-power-off")
VALVE_ACTIONS = ("valve-open", "valve-close")
_KINDS = [
    CommandKind("meter.recharge", RechargePayload, "purchase", N_("Recharge the meter")),
    CommandKind("meter.refund", RefundPayload, "refund", N_("Take the refund off the meter"),
                waits_for=("meter.recharge",)),
    CommandKind("meter.price", PricePayload, "price", N_("Price download")),
    CommandKind("meter.settings", SettingsPayload, "settings", N_("Settings download")),
    CommandKind("meter.sync_clock", NoPayload, "clock", N_("Sync clock")),
    CommandKind("meter.read", ReadPayload, "read", N_("Read now")),
    CommandKind("meter.read_frozen", FrozenPayload, "frozen", N_("Read frozen data")),
    CommandKind("meter.control", ControlPayload, "relay", N_("Control")),
    # the relay is closed only after the purchases queued before it are confirmed in the meter
    CommandKind("meter.close", NoPayload, "relay", N_("Close the relay"), waits_for=("meter.recharge",)),
    CommandKind("meter.trip", NoPayload, "relay", N_("Trip the relay")),
    CommandKind("meter.keep-power", NoPayload, "relay", N_("Keep power")),
    CommandKind("meter.keep-power-off", NoPayload, "relay", N_("Keep power off")),
    CommandKind("meter.valve-open", NoPayload, "valve", N_("Open valve")),
    CommandKind("meter.valve-close", NoPayload, "valve", N_("Close valve")),
]
KINDS: dict[str, CommandKind] = {k.name: k for k in _KINDS}
RECHARGE, REFUND, CLOSE, TRIP = "meter.recharge", "meter.refund", "meter.close", "meter.trip"
PRICE, SETTINGS, SYNC_CLOCK, READ_FROZEN = "meter.price", "meter.settings", "meter.sync_clock", "meter.read_frozen"


def kind(name: str) -> CommandKind:
    try:
        return KINDS[name]
    except KeyError:
        raise InvalidInput(_("Unknown meter command {kind}").format(kind=name)) from None


def _money(value: Any, what: str, places: int = 2) -> str:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        d = Decimal(-1)
    if not d.is_finite() or d < 0 or d != d.quantize(Decimal(1).scaleb(-places)):
        raise InvalidInput(_("{what} {value} is not an amount with at most {places} decimals")
                           .format(what=_(what), value=value, places=places))
    return str(d)


def check(payload: Any) -> Any:
    """Validate a payload's values (InvalidInput names the first bad one); returns it."""
    if isinstance(payload, (RechargePayload, RefundPayload)):
        _money(payload.amount, N_("Amount"))
    if isinstance(payload, PricePayload):
        if not 1 <= len(payload.prices) <= 4:
            raise InvalidInput(_("A price download has 1 to 4 rate prices"))
        for p in payload.prices:
            _money(p, N_("Price"), 4)
    if isinstance(payload, SettingsPayload):
        values = dataclasses.asdict(payload)
        if all(v is None for v in values.values()):
            raise InvalidInput(_("A settings download needs at least one value"))
        for v in values.values():
            if v is not None:
                _money(v, N_("Setting"), 2)
    return payload


def to_json(name: str, payload: Any = None) -> str:
    """The stored payload of a `name` item; a payload of another type is refused."""
    spec = kind(name)
    if payload is None:
        payload = spec.payload()
    if isinstance(payload, dict):
        payload = parse(name, payload)
    if not isinstance(payload, spec.payload):
        raise InvalidInput(_("Meter command {kind} cannot carry {payload}")
                           .format(kind=name, payload=type(payload).__name__))
    check(payload)
    return json.dumps(dataclasses.asdict(payload), ensure_ascii=False)


def parse(name: str, data: str | dict[str, Any] | None) -> Any:
    """The typed payload of a stored item; InvalidInput when it does not fit its kind."""
    spec = kind(name)
    raw = json.loads(data or "{}") if isinstance(data, (str, type(None))) else dict(data)
    names = {f.name for f in dataclasses.fields(spec.payload)}
    extra = sorted(set(raw) - names)
    if extra:
        raise InvalidInput(_("Meter command {kind} has unknown fields: {fields}")
                           .format(kind=name, fields=", ".join(extra)))
    for f in dataclasses.fields(spec.payload):
        if f.name in raw and isinstance(raw[f.name], list):
            raw[f.name] = tuple(raw[f.name])
    try:
        return check(spec.payload(**raw))
    except TypeError:
        raise InvalidInput(_("Meter command {kind} lacks a required field").format(kind=name)) from None


# what a confirmed relay command leaves on the meter's row (Meter.relay_state / keep_power), the
# same whether the outbox delivered it (comms/polling/outbox_source.py) or `control` sent it directly
# (billing/control.py direct_command)
CONTROL_EFFECT: dict[str, dict[str, Any]] = {
    "trip": {"relay_state": "open"}, "close": {"relay_state": "closed"},
    "keep-power": {"keep_power": True}, "keep-power-off": {"keep_power": False},
}
# the alarms (models.automation.Alarm kinds) a confirmed relay command ends on its meter, cleared
# by the same two writers in the transaction that records the confirmation, at its time
# (models.automation.clear_meter_alarms): a close the meter confirmed means its power is back,
# so its "tripped" (for arrears) alarm is over - not when the sale that queued the close was
# made (the power is not back until the meter confirms), and not when the close failed
CONTROL_CLEARS: dict[str, tuple[str, ...]] = {"close": ("tripped",)}

