"""Simulator basics: the run guard, clocks, and the meter interface the Bus expects.

A simulated meter is any object with
    address: str                          nameplate address (or Modbus unit id as text)
    extract_frame(buf) -> (frame|None, consumed)   its protocol's stream framing
    handle(frame: bytes) -> bytes | None  the reply, or None (not addressed / broadcast)
Meters decide themselves whether a frame is addressed to them; the Bus adds line timing,
faults and collisions.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from models.errors import PermissionDenied
from resources.i18n import _

Clock = Callable[[], Decimal]          # seconds, monotonic; tests pass a ManualClock


def monotonic_clock() -> Decimal:
    return Decimal(time.monotonic_ns()) / 1_000_000_000


class ManualClock:
    """A clock tests move by hand: clock.advance(3600) is one simulated hour."""

    def __init__(self, start: Decimal | int = 0) -> None:
        self.now = Decimal(start)

    def __call__(self) -> Decimal:
        return self.now

    def advance(self, seconds: Decimal | int | str) -> None:
        self.now += Decimal(seconds)


class SimMeter(Protocol):
    address: str

    def extract_frame(self, buf: bytes) -> tuple[bytes | None, int]: ...

    def handle(self, frame: bytes) -> bytes | None: ...


def check_allowed(demo: bool = False, explicit_cli: bool = False) -> None:
    """Simulated meters run only in tests (METERSTATION_TEST_MODE=1), demo mode or when an
    administrator starts them explicitly from the command line. explicit_cli: the caller has
    checked the operator's right and logs the start (station/simulator.py, which `meterstation
    simulate` goes through outside test and demo mode); comms itself knows no operators."""
    if os.environ.get("METERSTATION_TEST_MODE") == "1" or demo or explicit_cli:
        return
    raise PermissionDenied(_("The meter simulator runs only in test or demo mode or when "
                             "started explicitly with the simulate command"))


class WallClock:
    """A meter's own date/time: the PC clock plus an offset set by broadcast time sync."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now() + self.offset

    def set(self, when: datetime) -> None:
        self.offset = when - datetime.now()
