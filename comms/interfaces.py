"""The one interface every meter protocol offers to the poller, the CLI and the UI.

Layers (see ../shared/docs/style.md): codecs are pure functions over bytes (comms/protocols/dlt645.py,
comms/protocols/cjt188.py, pymodbus for Modbus); a Transport moves bytes on one link; the transaction
layer (comms/links/transaction.py) does one exchange at a time with timeouts, retries and reply
checks; a MeterDriver speaks one meter's protocol through its link's Transport; the poller
only schedules.

Values are Decimal (never float); relay and valve states are the strings in STATE_VALUES.
"""
from __future__ import annotations

import abc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from comms.errors import Unsupported
from models.archive import PROTOCOLS  # noqa: F401 - the Meter.protocol values, declared with the table
from resources.i18n import N_, _

# quantity -> unit ("" for dimensionless, None for a state string)
QUANTITIES: Mapping[str, str | None] = {
    "energy": "kWh", "energy_t1": "kWh", "energy_t2": "kWh", "energy_t3": "kWh", "energy_t4": "kWh",
    "voltage": "V", "current": "A", "power": "kW", "pf": "", "frequency": "Hz",
    "balance": "CNY", "relay": None, "volume": "m3", "valve": None, "status": None,
    "purchase_count": "",
}
STATE_VALUES = {"relay": ("closed", "open"), "valve": ("open", "closed", "abnormal")}
ACTIONS = ("trip", "close", "keep-power", "keep-power-off", "valve-open", "valve-close")


@dataclass(frozen=True)
class Reading:
    quantity: str
    value: Decimal | str | int
    unit: str | None


# Outcomes of a command (issue 15.5). A ControlResult carries the first three; "no-reply" and
# "garbled" are raised as NoReply / ProtocolError when the meter did not act as far as reading
# it back can tell.
CONTROL_STATUSES = ("confirmed", "unconfirmed", "refused", "no-reply", "garbled")


@dataclass(frozen=True)
class ControlResult:
    action: str
    accepted: bool          # the meter acknowledged the command (or reading back shows it acted)
    confirmed: bool         # reading back shows the new state
    detail: str = ""        # translated explanation when not confirmed

    @property
    def status(self) -> str:
        """confirmed | unconfirmed (accepted, state unchanged or not readable) | refused."""
        return "confirmed" if self.confirmed else "unconfirmed" if self.accepted else "refused"


@dataclass(frozen=True)
class RechargeResult:
    purchase_count: int     # the meter's purchase count after the operation
    balance: Decimal        # the meter's remaining money read back
    applied: bool           # False when the meter already had this purchase (count matched)


@dataclass(frozen=True)
class MeterConfig:
    """What a driver needs to know about one meter (from the archive or the CLI)."""
    protocol: str                       # one of PROTOCOLS
    address: str                        # nameplate address (12/14 digits) or Modbus unit id
    profile: str | None = None          # Modbus register profile name; 645/188 options profile
    options: Mapping[str, str] = field(default_factory=dict)
    # options used by the codecs: password_level ("02"), password ("000000"),
    # operator ("00000000"), di_order ("big"|"little", CJ/T 188), meter_type ("10" water ...)


class Transport(abc.ABC):
    """Bytes to and from one link (serial port, transparent TCP converter). Not thread-safe:
    exactly one worker uses a Transport at a time."""

    url: str

    @abc.abstractmethod
    def open(self) -> None: ...

    @abc.abstractmethod
    def close(self) -> None: ...

    @abc.abstractmethod
    def write(self, data: bytes) -> None: ...

    @abc.abstractmethod
    def read_some(self, timeout: float) -> bytes:
        """Whatever bytes arrive within timeout seconds (b"" if none). Raises LinkError when the
        link is down; bytes already received are never lost inside the transport."""

    @abc.abstractmethod
    def discard_input(self) -> None:
        """Drop stale bytes before a new request."""

    def byte_time(self) -> float:
        """Seconds one byte takes on the line (11 bits / baud); 0 when unknown."""
        return 0.0


# A frame extractor looks at the bytes received so far and returns (frame, consumed):
# frame is None while incomplete; consumed counts the bytes to drop (garbage or the frame).
FrameExtractor = Callable[[bytes], tuple[bytes | None, int]]


class MeterDriver(abc.ABC):
    """One meter, spoken to through its link. Errors are comms.errors.CommsError subclasses."""

    def __init__(self, config: MeterConfig) -> None:
        self.config = config

    @abc.abstractmethod
    def read(self, quantities: Sequence[str]) -> dict[str, Reading]: ...

    @abc.abstractmethod
    def control(self, action: str) -> ControlResult: ...

    def recharge(self, amount: Decimal, purchase_count: int) -> RechargeResult:
        """Write a purchase into a meter that keeps the money; applied exactly once by count."""
        raise self._unsupported(N_("recharge"))

    def refund(self, amount: Decimal, purchase_count: int) -> RechargeResult:
        """Take `amount` off a meter that keeps the money; applied once by purchase count."""
        raise self._unsupported(N_("refunds"))

    def write_prices(self, prices: Sequence[Decimal]) -> list[Decimal]:
        """Write rate prices 1..n and return them as read back from the meter."""
        raise self._unsupported(N_("price download"))

    def write_price(self, index: int, price: Decimal) -> Decimal:
        """Write rate price `index` (1..4); returns it as read back from the meter."""
        raise self._unsupported(N_("price download"))

    def read_prices(self, n: int) -> dict[str, Decimal]:
        """Rate prices 1..n as the meter holds them ({"1": price, ...}): the read-back of a
        price download in doubt (comms/polling/command_delivery.py)."""
        raise self._unsupported(N_("price read-back"))

    def write_settings(self, values: Mapping[str, Decimal]) -> dict[str, Decimal]:
        """Write alarm amounts / overdraft / power limit; returns the values read back."""
        raise self._unsupported(N_("settings download"))

    def read_settings(self, keys: Sequence[str]) -> dict[str, Decimal]:
        """The meter's values of these settings: the read-back of a download in doubt."""
        raise self._unsupported(N_("settings read-back"))

    def sync_clock(self, when: datetime) -> None:
        raise self._unsupported(N_("clock synchronisation"))

    def set_clock(self, when: datetime) -> dict[str, object]:
        """Set the meter's clock; {"method": ..., "confirmed": bool}. The default syncs and
        cannot read back."""
        self.sync_clock(when)
        return {"method": "sync", "confirmed": False}

    def read_frozen(self, kind: str, index: int) -> dict[str, Reading]:
        """kind 'daily' (index 1..62) or 'monthly' (1..12): frozen energy of that day/month;
        daily data may add a "frozen_at" Reading ("YYYY-MM-DD hh:mm", the meter's freeze time)."""
        raise self._unsupported(N_("frozen data"))

    def _unsupported(self, what: str) -> Exception:
        return Unsupported(_("{protocol} meters do not offer {what}")
                           .format(protocol=self.config.protocol, what=_(what)))
