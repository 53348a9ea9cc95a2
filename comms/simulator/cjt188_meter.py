"""A simulated CJ/T 188 water/gas meter or heat meter with a valve.

The cumulative volume grows at `flow` m3/h while the valve is open (a heat meter also books heat
at `heat_kw`). Requests are accepted with the DI in either byte order; replies use the meter's own
di_order. 901F answers with the water layout (22 bytes) or, for heat=True, the 46-byte heat
layout in the chosen `layout` (value-unit | unit-value). A017 55/99 opens/closes the valve and
answers 84 with the new ST. Frames for other addresses get no reply; T=AA / address AA..AA is a
wildcard.
"""
from __future__ import annotations

import threading
from decimal import ROUND_DOWN, Decimal

from comms.errors import ProtocolError
from comms.protocols import cjt188
from comms.protocols.bcd import address_to_wire, wire_to_address
from comms.protocols.cjt188_data import Quantity, encode_meter_data
from comms.simulator.base import Clock, WallClock, monotonic_clock

CENT = Decimal("0.01")


class Cjt188Meter:
    def __init__(self, address: str, *, meter_type: int = 0x10, flow: Decimal | str = "0.5",
                 volume: Decimal | str = "0", valve_open: bool = True, di_order: str = "big",
                 heat: bool = False, layout: str = "value-unit", heat_kw: Decimal | str = "5",
                 clock: Clock | None = None, preamble: int = 2, heat_unit: str = "kWh",
                 strict_type: bool = False) -> None:
        self.heat_unit = heat_unit          # kWh, MJ or GJ: the unit its heat is sent in
        # strict_type: answer only frames whose meter type T is its own or AAH (CJ/T 188-2004: T
        # names the meter type addressed, AAH is the wildcard) - a gas meter ignores a water request
        self.strict_type = strict_type
        self.wire = address_to_wire(address, cjt188.ADDRESS_LEN)
        self.address = wire_to_address(self.wire)
        self.protocol = "cjt188"
        self.meter_type = meter_type
        self.flow, self.volume = Decimal(flow), Decimal(volume)
        self.heat, self.layout, self.heat_kw = heat, layout, Decimal(heat_kw)
        self.heat_kwh = Decimal(0)
        self.settlement_volume = self.volume
        self.valve_open, self.battery_low = valve_open, False
        self.journal: list[tuple[str, ...]] = []      # what it applied, in order: ("valve-open",) / ("valve-close",)
        self.di_order, self.preamble = di_order, preamble
        self.clock = clock or monotonic_clock
        self.wall = WallClock()
        self._last = self.clock()
        self.lock = threading.RLock()

    def advance(self) -> None:
        with self.lock:
            now = self.clock()
            hours = max(Decimal(0), now - self._last) / 3600
            self._last = now
            if self.valve_open:
                self.volume += self.flow * hours
                self.heat_kwh += self.heat_kw * hours

    def status(self) -> bytes:
        return bytes([(0 if self.valve_open else 1) | (0x04 if self.battery_low else 0), 0])

    def extract_frame(self, buf: bytes) -> tuple[bytes | None, int]:
        return cjt188.extract_frame(buf)

    @staticmethod
    def route(frame: bytes) -> bytes | None:
        """The wire address a frame (68 T A0..A6 ...) is for; None for AA wildcards."""
        wire = bytes(frame[2:9])
        return None if len(wire) < 7 or 0xAA in wire else wire

    @staticmethod
    def is_command(frame: bytes) -> bool:
        """A write (04, e.g. the valve): what the bus's "garbled-ack" fault garbles the reply of."""
        return len(frame) > 9 and frame[9] == cjt188.C_WRITE

    def _addressed(self, frame: cjt188.Frame) -> bool:
        if self.strict_type and frame.meter_type not in (0xAA, self.meter_type):
            return False
        return all(w in (0xAA, o) for w, o in zip(frame.address_wire, self.wire, strict=True))

    def _reply(self, control: int, data: bytes) -> bytes:
        return cjt188.Frame(self.meter_type, self.wire, control, data, self.preamble).raw()

    def _di(self, di: str) -> bytes:
        return cjt188.di_bytes(di, self.di_order)

    def handle(self, raw: bytes) -> bytes | None:
        try:
            frame = cjt188.parse_frame(raw)
        except ProtocolError:
            return None
        if frame.from_slave or not self._addressed(frame) or len(frame.data) < 3:
            return None
        with self.lock:
            self.advance()
            di, ser = cjt188.di_from_bytes(frame.data), frame.data[2]
            if frame.control == cjt188.C_READ and di == cjt188.DI_READ:
                return self._reply(0x81, self._meter_data(ser))
            if frame.control == cjt188.C_READ_ADDRESS and di == cjt188.DI_ADDRESS:
                return self._reply(0x83, self._di(di) + bytes([ser]))
            if frame.control == cjt188.C_WRITE and di == cjt188.DI_VALVE and len(frame.data) == 4:
                op = frame.data[3]
                if op not in (cjt188.VALVE_OPEN, cjt188.VALVE_CLOSE):
                    return self._reply(0xC4, bytes([ser]) + self.status())
                self.valve_open = op == cjt188.VALVE_OPEN
                self.journal.append(("valve-open",) if self.valve_open else ("valve-close",))
                return self._reply(0x84, self._di(di) + bytes([ser]) + self.status())
            return self._reply(0xC0 | frame.control, bytes([ser]) + self.status())

    def _meter_data(self, ser: int) -> bytes:
        volume = self.volume.quantize(CENT, rounding=ROUND_DOWN)
        if not self.heat:
            fields = {"current": Quantity(volume, 0x2C),
                      "settlement": Quantity(self.settlement_volume.quantize(CENT), 0x2C)}
            return encode_meter_data(self._di(cjt188.DI_READ), ser, fields, self.wall.now(),
                                     self.status())
        factor, code = {"kWh": (Decimal(1), 0x05), "MJ": (Decimal("3.6"), 0x0E),
                        "GJ": (Decimal("0.0036"), 0x11)}[self.heat_unit]
        heat = (self.heat_kwh * factor).quantize(CENT, rounding=ROUND_DOWN)
        fields = {"settlement_heat": Quantity(Decimal(0), code),
                  "current_heat": Quantity(heat, code),
                  "heat_power": Quantity(self.heat_kw if self.valve_open else Decimal(0), 0x17),
                  "flow_rate": Quantity(self.flow if self.valve_open else Decimal(0), 0x35),
                  "volume": Quantity(volume, 0x2C)}
        extra: dict[str, Decimal | int] = {"supply_temp": Decimal("45.00"), "return_temp": Decimal("35.00"),
                 "work_hours": 100}
        return encode_meter_data(self._di(cjt188.DI_READ), ser, fields, self.wall.now(),
                                 self.status(), extra, self.layout)
