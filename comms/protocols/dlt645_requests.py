"""DL/T 645 request builders and reply decoders (pure functions over bytes).

Builders return complete frames (4 x FE preamble unless preamble= says otherwise). Decoders take a
Frame from comms.protocols.dlt645.parse_frame and raise MeterRefused for abnormal replies, ProtocolError for
anything malformed. The simulator uses the request decoders (parse_control, parse_write) too.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from comms.errors import ProtocolError
from comms.protocols.bcd import bcd_byte, byte_bcd, wire_to_address
from comms.protocols.dlt645 import (
    BROADCAST,
    F1997,
    F2007,
    WILDCARD,
    Frame,
    build_frame,
    raise_if_error,
)
from comms.protocols.dlt645_data import DataItem, decode_value, di_bytes, di_from_bytes, lookup
from resources.i18n import N_, _

# N1 codes of the 1C remote-control command (section 1.11)
CONTROL_CODES = {"trip": 0x1A, "close-allowed": 0x1B, "close": 0x1C, "alarm": 0x2A,
                 "alarm-off": 0x2B, "keep-power": 0x3A, "keep-power-off": 0x3B}


def _functions(version: str) -> dict[str, int]:
    return F1997 if version == "1997" else F2007


def _digits(text: str, n: int, what: str) -> bytes:
    """Printed BCD digits (password, operator code) as bytes, low pair first."""
    text = str(text).strip()
    if len(text) != 2 * n or not text.isascii() or not text.isdigit():
        raise ProtocolError(_("{what} must be {n} digits").format(what=_(what), n=2 * n))
    return bytes(reversed(bytes.fromhex(text)))


def credentials(level: str = "02", password: str = "000000", operator: str = "00000000") -> bytes:
    """PA P0 P1 P2 C0 C1 C2 C3: privilege level, password and operator code, low byte first."""
    return _digits(level, 1, N_("Password level")) + _digits(password, 3, N_("Password")) + \
        _digits(operator, 4, N_("Operator code"))


def time_bytes(when: datetime | None) -> bytes:
    """ss mm hh DD MM YY (all zero for None)."""
    if when is None:
        return bytes(6)
    return bytes(bcd_byte(v) for v in (when.second, when.minute, when.hour, when.day,
                                       when.month, when.year % 100))


def time_from_bytes(data: bytes) -> datetime | None:
    """Inverse of time_bytes; None for all zero."""
    if len(data) != 6:
        raise ProtocolError(_("A date/time needs 6 bytes"))
    if data == bytes(6):
        return None
    ss, mi, hh, dd, mm, yy = (byte_bcd(b) for b in data)
    try:
        return datetime(2000 + yy, mm, dd, hh, mi, ss)
    except ValueError:
        raise ProtocolError(_("Meter sent an invalid date/time {value}")
                            .format(value=data.hex(" ").upper())) from None


def read_request(address: str | bytes, di: str, version: str = "2007", preamble: int = 4) -> bytes:
    return build_frame(address, _functions(version)["read"], di_bytes(di, version), preamble)


def read_more_request(address: str, di: str, seq: int, version: str = "2007",
                      preamble: int = 4) -> bytes:
    """Follow-up read (2007: C=12 with DI + SEQ; 1997: C=02 with DI)."""
    data = di_bytes(di, version) + (b"" if version == "1997" else bytes([seq & 0xFF]))
    return build_frame(address, _functions(version)["read_more"], data, preamble)


def read_address_request(preamble: int = 4) -> bytes:
    """C=13 to AA..AA: valid only with one meter on the line."""
    return build_frame(WILDCARD, F2007["read_address"], b"", preamble)


def broadcast_time_request(when: datetime, preamble: int = 4) -> bytes:
    return build_frame(BROADCAST, F2007["broadcast_time"], time_bytes(when), preamble)


def control_request(address: str, command: str | int, *, level: str = "02",
                    password: str = "000000", operator: str = "00000000",
                    valid_until: datetime | None = None, preamble: int = 4) -> bytes:
    """1C plain-text remote control: credentials + N1 + N2(00) + valid-until ssmmhhDDMMYY."""
    code = CONTROL_CODES.get(command) if isinstance(command, str) else command
    if code is None or not 0 <= code <= 0xFF:
        raise ProtocolError(_("Unknown control command {command}").format(command=command))
    data = credentials(level, password, operator) + bytes([code, 0]) + time_bytes(valid_until)
    return build_frame(address, F2007["control"], data, preamble)


def write_request(address: str, di: str, payload: bytes, *, level: str = "02",
                  password: str = "000000", operator: str = "00000000",
                  preamble: int = 4) -> bytes:
    """C=14 write: DI + credentials + data."""
    data = di_bytes(di) + credentials(level, password, operator) + bytes(payload)
    if len(data) > 50:
        raise ProtocolError(_("Write data is too long"))
    return build_frame(address, F2007["write"], data, preamble)


@dataclass(frozen=True)
class ReadReply:
    di: str
    data: bytes            # value bytes after the DI (SEQ removed)
    more: bool             # follow-up frames exist
    seq: int | None = None


def parse_read_reply(frame: Frame, version: str = "2007") -> ReadReply:
    """DI and data of a 91/B1/92/B2 (2007) or 81/A1/82/A2 (1997) reply."""
    return ReadReply(*read_reply_parts(frame, version))


def read_reply_parts(frame: Frame, version: str = "2007") -> tuple[str, bytes, bool, int | None]:
    """parse_read_reply's fields as a tuple (di, data, more, seq): what a poll reads, without an
    object per reply."""
    control = frame.control
    if control & 0x40:                      # D6: an error reply
        raise_if_error(frame)
    fn = F1997 if version == "1997" else F2007
    function = control & 0x1F
    if function not in (fn["read"], fn["read_more"]) or not control & 0x80:      # D7: from the meter
        raise ProtocolError(_("Reply is not a read reply (C={c})").format(c=f"{control:02X}"))
    width = 2 if version == "1997" else 4
    raw = frame.data
    if len(raw) < width:
        raise ProtocolError(_("Read reply is too short"))
    data, seq = raw[width:], None
    if function == fn["read_more"] and version != "1997":
        if not data:
            raise ProtocolError(_("Read reply is too short"))
        data, seq = data[:-1], data[-1]
    return di_from_bytes(raw[:width]), data, bool(control & 0x20), seq     # D5: more follows


def decode_reading(frame: Frame, version: str = "2007") -> tuple[str, DataItem, object]:
    """(DI, item, value) of a read reply whose DI is in the table."""
    reply = parse_read_reply(frame, version)
    item = lookup(reply.di, version)
    if item is None:
        raise ProtocolError(_("Unknown data identifier {di}").format(di=reply.di))
    return reply.di, item, decode_value(item, reply.data)


def parse_address_reply(frame: Frame) -> str:
    """The nameplate address from a 93 reply."""
    raise_if_error(frame)
    if frame.control != 0x93 or len(frame.data) != 6:
        raise ProtocolError(_("Reply is not a read-address reply"))
    return wire_to_address(frame.data)


@dataclass(frozen=True)
class Credentials:
    level: str
    password: str
    operator: str


def parse_credentials(data: bytes) -> Credentials:
    if len(data) < 8:
        raise ProtocolError(_("Command data is too short"))
    return Credentials(f"{data[0]:02X}", bytes(reversed(data[1:4])).hex().upper(),
                       bytes(reversed(data[4:8])).hex().upper())


def parse_control(frame: Frame) -> tuple[Credentials, int, datetime | None]:
    """(credentials, N1 code, valid-until) of a 1C request."""
    if frame.function != F2007["control"] or len(frame.data) != 16:
        raise ProtocolError(_("Not a remote-control command"))
    return parse_credentials(frame.data), frame.data[8], time_from_bytes(frame.data[10:16])


def parse_write(frame: Frame) -> tuple[str, Credentials, bytes]:
    """(DI, credentials, payload) of a 14 write request."""
    if frame.function != F2007["write"] or len(frame.data) < 12:
        raise ProtocolError(_("Not a write command"))
    return di_from_bytes(frame.data[:4]), parse_credentials(frame.data[4:12]), frame.data[12:]
