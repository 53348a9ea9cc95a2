"""Modbus device profiles: one JSON file per meter model under resources/profiles/.

A profile says where each quantity lives (function code 3/4, address, count, data type, word
order, scale, decimals, unit), which register writes trip or close the relay, and, for a meter
that keeps money, how a purchase and the clock are written. Quantities a model's documentation
does not give are listed under "absent" with the reason, never guessed.

This module holds what a profile is (the data classes); reading and checking the files is
comms/protocols/modbus_profile_schema.py (load_profile, profile_names, parse_profile).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

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



__all__ = ["ActionSpec", "ClockSpec", "Profile", "PurchaseSpec", "RegisterSpec", "TYPE_WORDS"]
