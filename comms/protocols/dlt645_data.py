"""DL/T 645 data identifiers as data: DI -> length, decimals, sign, unit, quantity, and decoding.

A DataItem describes one element; block DIs (..FF..) hold `count` elements (meters may send fewer).
`lookup(di)` also resolves families with a running index (daily freeze 050601nn, settlement
months 000100nn, freeze times 050600nn). Values decode to Decimal (numbers), int (counts),
'XXXX' hex strings (status words), nameplate strings (addresses) or date/time strings; an all-FF
element decodes to None (not applicable). Section numbers refer to ../shared/docs/protocols.md.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import TypedDict

from comms.errors import ProtocolError
from comms.protocols.bcd import (
    address_to_wire,
    bcd_to_int,
    byte_bcd,
    decode_bcd,
    encode_bcd,
    wire_to_address,
)
from resources.i18n import _


@dataclass(frozen=True)
class DataItem:
    di: str                      # "00010000" (2007) or "9010" (1997), as printed
    length: int                  # bytes per element
    decimals: int = 0
    signed: bool = False
    unit: str | None = None
    quantity: str = ""           # comms.interfaces.QUANTITIES name or a descriptive name
    kind: str = "bcd"            # bcd | count | word | address | date | time | stamp5
    count: int = 1               # elements in a block


def _items(*rows: DataItem) -> dict[str, DataItem]:
    return {r.di: r for r in rows}


class _Layout(TypedDict):
    length: int
    decimals: int
    unit: str


_E: _Layout = {"length": 4, "decimals": 2, "unit": "kWh"}     # an energy register: XXXXXX.XX kWh

# A decoded element: Decimal (numbers), int (counts), str (words, addresses, dates), None (all FF)
Element = Decimal | int | str | None
Decoded = Element | list[Element]         # a block DI: a list of elements
TABLE_2007: dict[str, DataItem] = _items(
    DataItem("00000000", signed=True, quantity="energy_combined", **_E),
    *[DataItem(f"00000{t}00", signed=True, quantity=f"energy_combined_t{t}", **_E)
      for t in range(1, 5)],
    DataItem("0000FF00", signed=True, quantity="energy_combined_block", count=5, **_E),
    DataItem("00010000", quantity="energy", **_E),
    *[DataItem(f"00010{t}00", quantity=f"energy_t{t}", **_E) for t in range(1, 5)],
    DataItem("0001FF00", quantity="energy_block", count=5, **_E),
    DataItem("00020000", quantity="energy_reverse", **_E),
    DataItem("00030000", 4, 2, True, "kvarh", "reactive_1"),
    DataItem("00040000", 4, 2, True, "kvarh", "reactive_2"),
    *[DataItem(f"0201{p}00", 2, 1, False, "V", "voltage" + s)
      for p, s in (("01", ""), ("02", "_b"), ("03", "_c"))],
    DataItem("0201FF00", 2, 1, False, "V", "voltage_block", count=3),
    *[DataItem(f"02020{p}00", 3, 3, True, "A", "current" + s)
      for p, s in (("1", ""), ("2", "_b"), ("3", "_c"))],
    DataItem("0202FF00", 3, 3, True, "A", "current_block", count=3),
    DataItem("02030000", 3, 4, True, "kW", "power"),
    DataItem("0203FF00", 3, 4, True, "kW", "power_block", count=4),
    DataItem("02040000", 3, 4, True, "kvar", "reactive_power"),
    DataItem("02050000", 3, 4, True, "kVA", "apparent_power"),
    DataItem("02060000", 2, 3, True, "", "pf"),
    DataItem("0206FF00", 2, 3, True, "", "pf_block", count=4),
    DataItem("02800001", 3, 3, True, "A", "neutral_current"),
    DataItem("02800002", 2, 2, False, "Hz", "frequency"),
    DataItem("02800007", 2, 1, True, "C", "temperature"),
    DataItem("00900100", 4, 2, False, "kWh", "remaining_energy"),
    DataItem("00900101", 4, 2, False, "kWh", "overdraft_energy"),
    DataItem("00900200", 4, 2, False, "CNY", "balance"),
    DataItem("00900201", 4, 2, False, "CNY", "overdraft"),
    DataItem("03330201", 2, quantity="purchase_count", kind="count"),
    DataItem("03320201", 2, quantity="purchase_count_energy", kind="count"),
    DataItem("03330601", 4, 2, False, "CNY", "purchased_total"),
    DataItem("03300D00", 3, quantity="cover_open_count", kind="count"),
    DataItem("03110000", 3, quantity="power_down_count", kind="count"),
    DataItem("03300000", 3, quantity="programming_count", kind="count"),
    DataItem("1D000001", 3, quantity="trip_count", kind="count"),
    *[DataItem(f"0400100{i}", 4, 2, False, "CNY", f"alarm_limit_{i}") for i in range(1, 6)],
    *[DataItem(f"0405010{i}", 4, 4, False, "CNY/kWh", f"price_t{i}") for i in range(1, 5)],
    DataItem("04000101", 4, quantity="date", kind="date"),
    DataItem("04000102", 3, quantity="time", kind="time"),
    DataItem("04000401", 6, quantity="address", kind="address"),
    DataItem("04000402", 6, quantity="meter_number", kind="address"),
    *[DataItem(f"0400050{i}", 2, quantity=f"status_word_{i}", kind="word") for i in range(1, 8)],
    DataItem("040005FF", 2, quantity="status_words", kind="word", count=7),
)

TABLE_1997: dict[str, DataItem] = _items(
    DataItem("9010", quantity="energy", **_E),
    *[DataItem(f"901{t}", quantity=f"energy_t{t}", **_E) for t in range(1, 5)],
    DataItem("901F", quantity="energy_block", count=5, **_E),
    DataItem("9020", quantity="energy_reverse", **_E),
    *[DataItem(f"B61{p}", 2, 0, False, "V", "voltage" + s)
      for p, s in (("1", ""), ("2", "_b"), ("3", "_c"))],
    DataItem("B61F", 2, 0, False, "V", "voltage_block", count=3),
    *[DataItem(f"B62{p}", 2, 2, False, "A", "current" + s)
      for p, s in (("1", ""), ("2", "_b"), ("3", "_c"))],
    DataItem("B62F", 2, 2, False, "A", "current_block", count=3),
    DataItem("B630", 3, 4, False, "kW", "power"),
    DataItem("B640", 2, 2, False, "kvar", "reactive_power"),
    DataItem("B650", 2, 3, False, "", "pf"),
    DataItem("C010", 4, quantity="date", kind="date"),
    DataItem("C011", 3, quantity="time", kind="time"),
    DataItem("C032", 6, quantity="meter_number", kind="address"),
    DataItem("C033", 6, quantity="user_number", kind="address"),
    DataItem("C034", 6, quantity="device_number", kind="address"),
)

# families whose last byte is an index: prefix -> (template, first, last)
FAMILIES_2007: dict[str, tuple[DataItem, int, int]] = {
    "050601": (DataItem("", quantity="daily_frozen_energy", count=5, **_E), 1, 0x3E),
    "050600": (DataItem("", 5, quantity="daily_freeze_time", kind="stamp5"), 1, 0x3E),
    "000100": (DataItem("", quantity="monthly_energy", **_E), 1, 12),
    "0001FF": (DataItem("", quantity="monthly_energy_block", count=5, **_E), 1, 12),
}


def normalise_di(di: str | int, version: str = "2007") -> str:
    """A DI as 8 (2007) or 4 (1997) upper-case hex digits."""
    width = 4 if version == "1997" else 8
    try:
        text = f"{di:0{width}X}" if isinstance(di, int) else str(di).strip().upper()
        if len(text) != width or not text.isascii() or int(text, 16) < 0:
            raise ValueError
    except ValueError:
        raise ProtocolError(_("Data identifier {di} is not valid").format(di=di)) from None
    return text


def di_bytes(di: str, version: str = "2007") -> bytes:
    """DI bytes as transmitted (DI0 first, before +0x33)."""
    return bytes(reversed(bytes.fromhex(normalise_di(di, version))))


def di_from_bytes(data: bytes) -> str:
    """Printed DI from transmitted bytes (DI0 first)."""
    return bytes(reversed(data)).hex().upper()


def lookup(di: str, version: str = "2007") -> DataItem | None:
    di = normalise_di(di, version)
    if version == "1997":
        return TABLE_1997.get(di)
    item = TABLE_2007.get(di)
    if item is None:
        family = FAMILIES_2007.get(di[:6])
        if family and family[1] <= int(di[6:], 16) <= family[2]:
            item = replace(family[0], di=di)
    return item


def _date_time(text: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0,
               second: int = 0) -> None:
    try:
        datetime(year, month, day, hour, minute, second)
    except (ValueError, OverflowError, TypeError):
        raise ProtocolError(_("Meter sent an invalid date/time {value}").format(value=text)) \
            from None


def decode_element(item: DataItem, data: bytes) -> Element:
    """One element's value (see module docstring for the types)."""
    if len(data) != item.length:
        raise ProtocolError(_("Data for {di} has {n} bytes, expected {m}")
                            .format(di=item.di, n=len(data), m=item.length))
    if item.kind != "word" and data and data.count(0xFF) == len(data):     # is_filler, without the call
        return None
    if item.kind == "bcd":
        return decode_bcd(data, item.decimals, item.signed)
    if item.kind == "count":
        return bcd_to_int(data)
    if item.kind == "word":
        return f"{int.from_bytes(data, 'little'):04X}"
    if item.kind == "address":
        return wire_to_address(data)
    if item.kind == "date":          # WW DD MM YY
        ww, dd, mm, yy = (byte_bcd(b) for b in data)
        text = f"20{yy:02d}-{mm:02d}-{dd:02d} W{ww:02d}"
        _date_time(text, 2000 + yy, mm, dd)
        return text
    if item.kind == "time":          # ss mm hh
        ss, mi, hh = (byte_bcd(b) for b in data)
        text = f"{hh:02d}:{mi:02d}:{ss:02d}"
        _date_time(text, 2000, 1, 1, hh, mi, ss)
        return text
    mi, hh, dd, mm, yy = (byte_bcd(b) for b in data)   # stamp5: mm hh DD MM YY
    text = f"20{yy:02d}-{mm:02d}-{dd:02d} {hh:02d}:{mi:02d}"
    _date_time(text, 2000 + yy, mm, dd, hh, mi)
    return text


def one(value: Decoded) -> Element:
    """The value of a single-element data identifier."""
    assert not isinstance(value, list), "a block data identifier where one element was expected"
    return value


def many(value: Decoded) -> list[Element]:
    """The elements of a block data identifier (none when the meter has no such data)."""
    if value is None:
        return []
    assert isinstance(value, list), "a single-element data identifier where a block was expected"
    return value


def decode_value(item: DataItem, data: bytes) -> Decoded:
    """The value of a reply's data (after the DI): one element, or a list for a block."""
    if item.count == 1:
        if item.kind == "bcd" and len(data) == item.length and not (item.signed and data[-1] & 0x80):
            # a poll's usual reply (an unsigned or positive BCD register) without decode_element,
            # decode_bcd and bcd_to_int: their result when every nibble is 0-9 (all FF is not)
            text = data[::-1].hex()
            if text.isdigit():
                return Decimal(int(text)).scaleb(-item.decimals)
        return decode_element(item, data)
    if not data or len(data) % item.length or len(data) // item.length > item.count:
        raise ProtocolError(_("Data for {di} has {n} bytes, expected {m}")
                            .format(di=item.di, n=len(data), m=item.length * item.count))
    return [decode_element(item, data[i:i + item.length])
            for i in range(0, len(data), item.length)]


def encode_element(item: DataItem, value: object) -> bytes:
    """The inverse of decode_element (used by the simulator and the round-trip tests)."""
    if value is None:
        return b"\xff" * item.length
    if item.kind in ("bcd", "count"):
        if not isinstance(value, (Decimal, int, str)):
            raise ProtocolError(_("Value {value} does not fit in the field").format(value=value))
        if item.kind == "bcd":
            return encode_bcd(value, item.length, item.decimals, item.signed)
        return encode_bcd(int(value), item.length)
    if item.kind == "word":
        try:
            return int(str(value), 16).to_bytes(item.length, "little")
        except (ValueError, OverflowError):
            raise ProtocolError(_("Value {value} does not fit in the field")
                                .format(value=value)) from None
    if item.kind == "address":
        return address_to_wire(str(value), item.length)
    stamp = value if isinstance(value, (date, datetime)) else None
    if stamp is None:
        raise ProtocolError(_("Value {value} does not fit in the field").format(value=value))
    if item.kind == "date":
        fields = [(stamp.isoweekday() % 7), stamp.day, stamp.month, stamp.year % 100]
    elif not isinstance(stamp, datetime):          # a time of day needs one
        raise ProtocolError(_("Value {value} does not fit in the field").format(value=value))
    elif item.kind == "time":
        fields = [stamp.second, stamp.minute, stamp.hour]
    else:
        fields = [stamp.minute, stamp.hour, stamp.day, stamp.month, stamp.year % 100]
    return b"".join(encode_bcd(f, 1) for f in fields)


def encode_value(item: DataItem, value: object) -> bytes:
    if item.count == 1:
        return encode_element(item, value)
    assert isinstance(value, (list, tuple)), "a block is given as the list of its elements"
    return b"".join(encode_element(item, v) for v in value)


def status3_flags(word: str | int | Decimal) -> dict[str, bool]:
    """Status word 3 (04000503) bits the station uses (section 1.9)."""
    w = int(word, 16) if isinstance(word, str) else int(word)
    return {"relay_open": bool(w & 0x0010), "command_open": bool(w & 0x0040),
            "pre_trip": bool(w & 0x0080), "keep_power": bool(w & 0x1000)}


STATUS3_RELAY_OPEN, STATUS3_COMMAND_OPEN, STATUS3_PRE_TRIP, STATUS3_KEEP_POWER = \
    0x0010, 0x0040, 0x0080, 0x1000
