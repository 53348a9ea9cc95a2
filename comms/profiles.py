"""Modbus device profiles: one JSON file per meter model under resources/profiles/.

A profile says where each quantity lives (function code 3/4, address, count, data type, word
order, scale, decimals, unit), which register writes trip or close the relay, and, for a meter
that keeps money, how a purchase and the clock are written. Quantities a model's documentation
does not give are listed under "absent" with the reason, never guessed. Files are loaded
through importlib.resources (resources.path) so a frozen build finds them too; every problem is
reported as one translated InvalidInput naming the profile and the field.
"""
from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from models.errors import InvalidInput
from resources import path
from resources.i18n import _

TYPE_WORDS = {"uint16": 1, "int16": 1, "uint32": 2, "int32": 2, "float32": 2}
WORD_ORDERS = ("big", "little")          # big = ABCD (high word first), little = CDAB
CONFIDENCE = ("S", "M", "U")             # stated / several sources agree / unconfirmed
PARITIES = ("N", "E", "O")
CLOCK_FIELDS = ("year", "month", "day", "hour", "minute", "second")
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class RegisterSpec:
    """Where one quantity lives and how its registers become a Decimal (or a state string)."""
    name: str
    function: int                 # 3 holding, 4 input
    address: int                  # 0-based, as on the wire
    count: int                    # registers
    type: str                     # one of TYPE_WORDS
    word_order: str = "big"
    scale: Decimal = Decimal(1)
    decimals: int = 0             # places in the returned Decimal
    unit: str | None = None
    states: Mapping[int, str] | None = None   # raw value -> state string (relay)
    confidence: str = "S"

    @property
    def end(self) -> int:
        return self.address + self.count


@dataclass(frozen=True)
class ActionSpec:
    """A control action: write `values` at `address` (FC 6 for one register, 16 for several)."""
    name: str
    function: int
    address: int
    values: tuple[int, ...]
    state: str | None             # relay state expected afterwards
    confidence: str = "S"


@dataclass(frozen=True)
class PurchaseSpec:
    """One FC 16 write of amount then purchase count; the meter applies it when count = its
    count + 1. Balance and count are read back through the quantities named here."""
    address: int
    amount_type: str
    amount_scale: Decimal
    count_type: str
    word_order: str = "big"
    count_quantity: str = "purchase_count"
    balance_quantity: str = "balance"

    @property
    def words(self) -> int:
        return TYPE_WORDS[self.amount_type] + TYPE_WORDS[self.count_type]


@dataclass(frozen=True)
class ClockSpec:
    """Six uint16 holding registers from `address`: year, month, day, hour, minute, second."""
    address: int
    function: int = 3


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    baud: int | None
    parity: str | None
    unit_id: int | None
    quantities: Mapping[str, RegisterSpec]
    absent: Mapping[str, str]
    actions: Mapping[str, ActionSpec]
    purchase: PurchaseSpec | None = None
    clock: ClockSpec | None = None
    max_registers: int = 120      # per read request (Modbus allows 125)
    max_gap: int = 0              # unread registers allowed between two grouped quantities


def profile_names() -> list[str]:
    """Names of the shipped profiles (file names without .json), sorted."""
    folder = path("profiles")
    return sorted(f.name[:-5] for f in folder.iterdir() if f.name.endswith(".json"))


@functools.cache
def load_profile(name: str) -> Profile:
    """The shipped profile `name`; InvalidInput when it is unknown or not valid."""
    if not NAME_PATTERN.match(name.replace("-", "_")):
        raise InvalidInput(_("Unknown device profile {name}").format(name=name))
    node = path("profiles", name + ".json")
    if not node.is_file():
        raise InvalidInput(_("Unknown device profile {name}").format(name=name))
    try:
        data = json.loads(node.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(_("Device profile {name} is not valid JSON: {error}").format(
            name=name, error=exc)) from None
    return parse_profile(name, data)


def parse_profile(name: str, data: Any) -> Profile:
    """Validate a profile's JSON data; raise InvalidInput naming the first bad field."""
    from comms.modbus_schema import ProfileProblem, build_profile  # noqa: PLC0415 (cycle)

    try:
        return build_profile(name, data)
    except ProfileProblem as bad:
        raise InvalidInput(_("Device profile {name} is not valid: {problem}").format(
            name=name, problem=bad.problem)) from None


__all__ = ["ActionSpec", "ClockSpec", "Profile",
           "PurchaseSpec", "RegisterSpec", "TYPE_WORDS", "load_profile", "parse_profile",
           "profile_names"]
