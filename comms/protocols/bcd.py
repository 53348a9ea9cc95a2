"""BCD helpers shared by the DL/T 645 and CJ/T 188 codecs (pure functions, no I/O).

Multi-byte values travel least-significant byte first. Signed values keep their sign in the most
significant bit of the most significant byte (DL/T 645 section 1.10: -1.234 A -> 34 12 80).
Addresses are printed on the nameplate most-significant pair first and sent reversed.

Every function raises comms.errors.ProtocolError (never ValueError/IndexError) on bad input.
"""
from __future__ import annotations

from decimal import ROUND_DOWN, Decimal, InvalidOperation

from comms.errors import ProtocolError
from resources.i18n import _


def _bad(data: bytes) -> ProtocolError:
    return ProtocolError(_("Bytes {hex} are not valid BCD").format(hex=data.hex(" ").upper()))


def bcd_byte(value: int) -> int:
    """One byte holding two decimal digits (0..99)."""
    if not 0 <= value <= 99:
        raise ProtocolError(_("Value {value} does not fit in the field").format(value=value))
    return (value // 10) << 4 | value % 10


def byte_bcd(b: int) -> int:
    """The number 0..99 held by one BCD byte; ProtocolError for a nibble above 9."""
    hi, lo = b >> 4, b & 0x0F
    if hi > 9 or lo > 9:
        raise _bad(bytes([b & 0xFF]))
    return hi * 10 + lo


def bcd_to_int(data: bytes) -> int:
    """Unsigned BCD, low byte first, to an int."""
    text = bytes(reversed(data)).hex()
    if text.isdigit():                          # every nibble 0-9: the digits as they stand
        return int(text)
    value = 0                                   # empty (0), or a nibble above 9 (raises below)
    for b in reversed(data):
        hi, lo = b >> 4, b & 0x0F
        if hi > 9 or lo > 9:
            raise _bad(bytes(data))
        value = value * 100 + hi * 10 + lo
    return value


def int_to_bcd(value: int, length: int) -> bytes:
    """An int as unsigned BCD of length bytes, low byte first."""
    if value < 0 or value >= 100 ** length:
        raise ProtocolError(_("Value {value} does not fit in the field").format(value=value))
    out = bytearray()
    for _i in range(length):
        out.append(bcd_byte(value % 100))
        value //= 100
    return bytes(out)


def decode_bcd(data: bytes, decimals: int = 0, signed: bool = False) -> Decimal:
    """BCD (low byte first) with a fixed decimal point; sign in the top bit when signed."""
    if not data:
        raise _bad(bytes(data))
    negative = signed and data[-1] & 0x80
    if negative:
        data = bytes(data[:-1]) + bytes((data[-1] & 0x7F,))
    value = Decimal(bcd_to_int(data)).scaleb(-decimals)
    return -value if negative else value


def encode_bcd(value: Decimal | int | str, length: int, decimals: int = 0,
               signed: bool = False) -> bytes:
    """A Decimal as BCD of length bytes (low byte first), truncated to decimals places."""
    try:
        number = Decimal(value)
        scaled = number.scaleb(decimals).to_integral_value(rounding=ROUND_DOWN)
        units = int(scaled)
    except (InvalidOperation, ValueError, TypeError, OverflowError):
        raise ProtocolError(_("Value {value} does not fit in the field").format(value=value)) \
            from None
    negative = units < 0
    if negative and not signed:
        raise ProtocolError(_("Value {value} does not fit in the field").format(value=value))
    units = abs(units)
    limit = 100 ** length
    if signed:
        limit = 8 * 10 ** (2 * length - 1)   # top digit at most 7 leaves the sign bit free
    if units >= limit:
        raise ProtocolError(_("Value {value} does not fit in the field").format(value=value))
    out = bytearray(int_to_bcd(units, length))
    if negative:
        out[-1] |= 0x80
    return bytes(out)


def is_filler(data: bytes) -> bool:
    """True for an all-FF item (not supported / not applicable)."""
    return bool(data) and not bytes(data).strip(b"\xff")


def address_to_wire(address: str, length: int) -> bytes:
    """Nameplate address (digits, AA wildcard pairs allowed) to wire bytes, low pair first.

    Shorter addresses are padded with leading zeros. '999999999999' and 'AAAAAAAAAAAA' pass
    through unchanged (broadcast and wildcard).
    """
    text = str(address).strip().upper()
    if len(text) % 2:
        text = "0" + text
    text = text.rjust(2 * length, "0")
    if len(text) != 2 * length:
        raise ProtocolError(_("Address {address} is too long").format(address=address))
    if text.isdigit() and text.isascii():       # plain digits: each pair is its BCD byte
        return bytes.fromhex(text)[::-1]
    out = bytearray()
    for i in range(0, len(text), 2):
        pair = text[i:i + 2]
        if pair == "AA":
            out.append(0xAA)
        elif pair.isdigit() and pair.isascii():
            out.append(int(pair, 16))
        else:
            raise ProtocolError(_("Address {address} is not valid").format(address=address))
    return bytes(reversed(out))


def wire_to_address(wire: bytes) -> str:
    """Wire address bytes (low pair first) to the nameplate string (AA pairs kept)."""
    text = bytes(reversed(wire)).hex()
    if text.isdigit():                          # every nibble 0-9: valid BCD as it stands
        return text
    pairs = []
    for b in reversed(wire):
        if b != 0xAA and (b >> 4 > 9 or b & 0x0F > 9):
            raise ProtocolError(_("Address bytes {hex} are not valid BCD")
                                .format(hex=bytes(wire).hex(" ").upper()))
        pairs.append(f"{b:02X}")
    return "".join(pairs)
