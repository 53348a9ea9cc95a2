"""CJ/T 188 payloads: unit codes, status ST, and the 901F metering-data reply (pure functions).

Water/gas reply (22 bytes): DI SER | current flow 4+unit | settlement flow 4+unit | time 7 | ST 2.
Heat reply (46 bytes): DI SER | settlement heat | current heat | heat power | flow rate | volume
(each 4 BCD + unit, in either order: value-then-unit or unit-then-value, detected by where the
valid unit codes are) | supply temp 3 | return temp 3 | working hours 3 | time 7 | ST 2.
Values are XXXXXX.XX (4 bytes BCD, low byte first); temperatures XXXX.XX; time
ss mm hh DD MM YYlo YYhi.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from comms.errors import ProtocolError
from comms.protocols.bcd import bcd_to_int, decode_bcd, encode_bcd, int_to_bcd
from comms.protocols.cjt188 import di_from_bytes
from resources.i18n import _

# unit code -> (printed unit, factor to the base unit of its kind, kind)
UNITS = {
    0x02: ("Wh", Decimal("0.001"), "energy"), 0x05: ("kWh", Decimal(1), "energy"),
    0x08: ("MWh", Decimal(1000), "energy"), 0x0A: ("MWh*100", Decimal(100000), "energy"),
    # heat in joules, converted to kWh (1 kWh = 3.6 MJ)
    0x01: ("J", Decimal(1) / 3600000, "energy"), 0x0B: ("kJ", Decimal(1) / 3600, "energy"),
    0x0E: ("MJ", Decimal(1) / Decimal("3.6"), "energy"), 0x11: ("GJ", Decimal(1000) / Decimal("3.6"), "energy"),
    0x13: ("GJ*100", Decimal(100000) / Decimal("3.6"), "energy"),
    0x14: ("W", Decimal("0.001"), "power"), 0x17: ("kW", Decimal(1), "power"),
    0x1A: ("MW", Decimal(1000), "power"),
    0x29: ("L", Decimal("0.001"), "volume"), 0x2C: ("m3", Decimal(1), "volume"),
    0x32: ("L/h", Decimal("0.001"), "flow"), 0x35: ("m3/h", Decimal(1), "flow"),
}
UNIT_CODES = {name: code for code, (name, _f, _k) in UNITS.items()}
HEAT_FIELDS = (("settlement_heat", "energy"), ("current_heat", "energy"),
               ("heat_power", "power"), ("flow_rate", "flow"), ("volume", "volume"))
WATER_LEN, HEAT_LEN = 22, 46
VALVE_STATES = {0: "open", 1: "closed", 2: "abnormal", 3: "abnormal"}


@dataclass(frozen=True)
class Quantity:
    value: Decimal
    unit_code: int

    @property
    def unit(self) -> str:
        return UNITS[self.unit_code][0]

    def in_base(self) -> Decimal | None:
        """The value in kWh / kW / m3 / m3/h, None when the unit has no such conversion."""
        factor = UNITS[self.unit_code][1]
        if factor is None:
            return None
        value = self.value * factor
        if "J" in UNITS[self.unit_code][0]:       # J..GJ*100: kWh to the Wh (0.001)
            value = value.quantize(Decimal("0.001"))
        return value


@dataclass(frozen=True)
class MeterData:
    di: str
    ser: int
    fields: dict[str, Quantity]           # current, settlement (water) or HEAT_FIELDS names
    time: datetime | None
    status: bytes                         # ST0 ST1
    extra: dict[str, Decimal | int]       # supply_temp, return_temp, work_hours (heat)
    layout: str = "value-unit"            # or "unit-value"

    @property
    def volume(self) -> Quantity:
        return self.fields["volume" if "volume" in self.fields else "current"]


def valve_state(st: bytes) -> str:
    """open / closed / abnormal from ST0 bits 0-1."""
    if not st:
        raise ProtocolError(_("Reply has no status"))
    return VALVE_STATES[st[0] & 0x03]


def battery_low(st: bytes) -> bool:
    return bool(st and st[0] & 0x04)


def _quantity(chunk: bytes, unit_first: bool, kind: str | None) -> Quantity:
    code, value = (chunk[0], chunk[1:]) if unit_first else (chunk[4], chunk[:4])
    if code not in UNITS or (kind and UNITS[code][2] != kind):
        raise ProtocolError(_("Unknown unit code {code}").format(code=f"{code:02X}"))
    return Quantity(decode_bcd(value, 2), code)


def _time(data: bytes) -> datetime | None:
    if data == bytes(7):
        return None
    try:
        ss, mi, hh, dd, mm = (bcd_to_int(bytes([b])) for b in data[:5])
        return datetime(bcd_to_int(data[5:7]), mm, dd, hh, mi, ss)
    except ValueError:
        raise ProtocolError(_("Meter sent an invalid date/time {value}")
                            .format(value=data.hex(" ").upper())) from None


def _heat_layout(body: bytes) -> bool:
    """True for unit-then-value: count valid unit codes of the right kind at both positions."""
    def score(unit_first: bool) -> int:
        total = 0
        for k, (_name, kind) in enumerate(HEAT_FIELDS):
            code = body[5 * k] if unit_first else body[5 * k + 4]
            total += code in UNITS and UNITS[code][2] == kind
        return total
    return score(True) > score(False)


def parse_meter_data(data: bytes) -> MeterData:
    """Decode a 901F reply's DATA (DI SER ...): water/gas or heat layout by length."""
    data = bytes(data)
    if len(data) not in (WATER_LEN, HEAT_LEN):
        raise ProtocolError(_("Metering data has {n} bytes, expected 22 or 46").format(n=len(data)))
    di, ser, body = di_from_bytes(data[:2]), data[2], data[3:]
    if len(data) == WATER_LEN:
        fields = {"current": _quantity(body[0:5], False, None),
                  "settlement": _quantity(body[5:10], False, None)}
        return MeterData(di, ser, fields, _time(body[10:17]), body[17:19], {})
    unit_first = _heat_layout(body)
    fields = {name: _quantity(body[5 * k:5 * k + 5], unit_first, kind)
              for k, (name, kind) in enumerate(HEAT_FIELDS)}
    extra: dict[str, Decimal | int] = {"supply_temp": decode_bcd(body[25:28], 2),
                                       "return_temp": decode_bcd(body[28:31], 2),
                                       "work_hours": bcd_to_int(body[31:34])}
    return MeterData(di, ser, fields, _time(body[34:41]), body[41:43], extra,
                     "unit-value" if unit_first else "value-unit")


def _encode_quantity(q: Quantity, unit_first: bool) -> bytes:
    value = encode_bcd(q.value, 4, 2)
    return bytes([q.unit_code]) + value if unit_first else value + bytes([q.unit_code])


def _encode_time(when: datetime | None) -> bytes:
    if when is None:
        return bytes(7)
    return b"".join(int_to_bcd(v, 1) for v in (when.second, when.minute, when.hour, when.day,
                                                when.month)) + int_to_bcd(when.year, 2)


def encode_meter_data(di_wire: bytes, ser: int, fields: dict[str, Quantity],
                      time: datetime | None, status: bytes,
                      extra: dict[str, Decimal | int] | None = None,
                      layout: str = "value-unit") -> bytes:
    """The inverse of parse_meter_data (simulator, round-trip tests)."""
    unit_first = layout == "unit-value"
    head = bytes(di_wire[:2]) + bytes([ser & 0xFF])
    if extra is None:
        body = _encode_quantity(fields["current"], False) + \
            _encode_quantity(fields["settlement"], False)
    else:
        body = b"".join(_encode_quantity(fields[name], unit_first) for name, _k in HEAT_FIELDS)
        body += encode_bcd(extra["supply_temp"], 3, 2) + encode_bcd(extra["return_temp"], 3, 2) \
            + int_to_bcd(int(extra["work_hours"]), 3)
    return head + body + _encode_time(time) + bytes(status[:2]).ljust(2, b"\x00")
