"""DL/T 645-2007 and -1997 link layer: frames, scrambling, control byte, error replies (no I/O).

    [FE x 0..4] 68 A0..A5 68 C L DATA(L, each byte +0x33) CS 16

CS is the byte sum from the first 68 to the last DATA byte. Addresses are printed nameplate-first
and sent low pair first (comms.protocols.bcd.address_to_wire). A frame is complete when L says so - a 0x16
inside DATA or CS never ends it. Request builders live in comms.protocols.dlt645_requests, the data
identifier table in comms.protocols.dlt645_data.

Every public function raises only ProtocolError / MeterRefused on bad bytes.
"""
from __future__ import annotations

from dataclasses import dataclass

from comms.errors import MeterRefused, ProtocolError
from comms.protocols.bcd import address_to_wire, wire_to_address
from comms.protocols.framing import scan
from resources.i18n import N_, _

START, END, PREAMBLE = 0x68, 0x16, 0xFE
ADDRESS_LEN = 6
MIN_FRAME = 12
MAX_DATA = 255
BROADCAST = "999999999999"
WILDCARD = "AAAAAAAAAAAA"

# function codes (D4..D0 of C)
F2007 = {"broadcast_time": 0x08, "read": 0x11, "read_more": 0x12, "read_address": 0x13,
         "write": 0x14, "write_address": 0x15, "freeze": 0x16, "baud": 0x17, "password": 0x18,
         "clear_demand": 0x19, "clear_meter": 0x1A, "clear_events": 0x1B, "control": 0x1C}
F1997 = {"broadcast_time": 0x08, "read": 0x01, "read_more": 0x02, "reread": 0x03, "write": 0x04,
         "write_address": 0x0A, "baud": 0x0C, "password": 0x0F, "clear_demand": 0x10}

# ERR word bits (section 1.7)
ERR_BITS = (
    (0x01, N_("other error")),
    (0x02, N_("no such data")),
    (0x04, N_("password wrong or not authorised")),
    (0x08, N_("baud rate cannot be changed")),
    (0x10, N_("too many year time zones")),
    (0x20, N_("too many day time segments")),
    (0x40, N_("too many tariffs")),
)
ERR_NO_DATA = 0x02
ERR_PASSWORD = 0x04


# the 0x33 offset as translation tables: one C call per frame, not a Python loop over its bytes
_SCRAMBLE = bytes((b + 0x33) & 0xFF for b in range(256))
_UNSCRAMBLE = bytes((b - 0x33) & 0xFF for b in range(256))
UNSCRAMBLE = _UNSCRAMBLE          # DATA as meant from DATA as sent: data.translate(UNSCRAMBLE)
_FE = bytes([PREAMBLE])
_START = bytes([START])


def scramble(data: bytes) -> bytes:
    """DATA as sent: every byte + 0x33."""
    return bytes(data).translate(_SCRAMBLE)


def unscramble(data: bytes) -> bytes:
    """DATA as meant: every byte - 0x33."""
    return bytes(data).translate(_UNSCRAMBLE)


def checksum(data: bytes) -> int:
    return sum(data) & 0xFF


@dataclass(frozen=True)
class Control:
    """The bits of the control byte C."""
    from_slave: bool
    error: bool
    more: bool
    function: int


def decode_control(c: int) -> Control:
    return _CONTROLS[c] if 0 <= c <= 0xFF else \
        Control(bool(c & 0x80), bool(c & 0x40), bool(c & 0x20), c & 0x1F)


# every control byte decoded once (Control is frozen): a frame's ctrl is asked several times
_CONTROLS = [Control(bool(c & 0x80), bool(c & 0x40), bool(c & 0x20), c & 0x1F) for c in range(256)]


def err_code(exc: MeterRefused) -> int:
    """The ERR byte of a refusal (0 when the refusal carried none)."""
    err = exc.details.get("err", 0)
    return err if isinstance(err, int) else 0


def err_text(err: int) -> str:
    """The translated meaning of an ERR word (several bits joined by '; ')."""
    words = [_(text) for bit, text in ERR_BITS if err & bit]
    return "; ".join(words) if words else _("unknown error {code}").format(code=f"{err:02X}")


@dataclass(frozen=True)
class Frame:
    """One DL/T 645 frame; data is already unscrambled (-0x33)."""
    address_wire: bytes
    control: int
    data: bytes
    preamble: int = 0

    @property
    def address(self) -> str:
        return wire_to_address(self.address_wire)

    @property
    def ctrl(self) -> Control:
        return decode_control(self.control)

    @property
    def function(self) -> int:
        return self.control & 0x1F

    def raw(self, preamble: int | None = None) -> bytes:
        return _frame_bytes(self.address_wire, self.control, self.data,
                            self.preamble if preamble is None else preamble)


def _frame_bytes(wire: bytes, control: int, data: bytes, preamble: int) -> bytes:
    body = b"".join((_START, wire, bytes((START, control, len(data))), data.translate(_SCRAMBLE)))
    return b"".join((_FE * preamble, body, bytes((sum(body) & 0xFF, END))))


def frame_parts(control: int, data: bytes, preamble: int) -> tuple[bytes, bytes, int]:
    """The bytes of a frame around its address, the same for every meter: (head, tail, total).
    For wire address bytes w the frame is head + w + tail + bytes(((total + sum(w)) & 0xFF, END))
    - build_frame(w, control, data, preamble) without building it anew for each meter."""
    if not 0 <= control <= 0xFF or len(data) > MAX_DATA:
        raise ProtocolError(_("Cannot build a DL/T 645 frame with these fields"))
    tail = b"".join((_START, bytes((control, len(data))), bytes(data).translate(_SCRAMBLE)))
    return _FE * preamble + _START, tail, (START + sum(tail)) & 0xFF


def build_frame(address: str | bytes, control: int, data: bytes = b"", preamble: int = 4) -> bytes:
    """Frame bytes for a nameplate address (or wire bytes), C and plain DATA."""
    wire = address if isinstance(address, (bytes, bytearray)) else \
        address_to_wire(address, ADDRESS_LEN)
    if len(wire) != ADDRESS_LEN or not 0 <= control <= 0xFF or len(data) > MAX_DATA:
        raise ProtocolError(_("Cannot build a DL/T 645 frame with these fields"))
    return _frame_bytes(bytes(wire), control, bytes(data), preamble)


def _check_at(buf: bytes, i: int) -> int:
    """Length of a valid frame starting at buf[i] (a 68), 0 if incomplete, -1 if invalid."""
    if len(buf) - i < 10:
        return 0 if buf[i + 7:i + 8] in (b"", bytes([START])) else -1
    if buf[i + 7] != START:
        return -1
    total = MIN_FRAME + buf[i + 9]
    if len(buf) - i < total:
        return 0
    if sum(buf[i:i + total - 2]) & 0xFF != buf[i + total - 2] or buf[i + total - 1] != END:
        return -1
    return total


def extract_frame(buf: bytes) -> tuple[bytes | None, int]:
    """Find the first complete frame in a receive buffer.

    Returns (frame, consumed): frame is the frame bytes without preamble (None while incomplete);
    consumed is how many leading bytes the caller drops (preamble, garbage, and the frame).
    A bad checksum drops one byte so the search resynchronises on the next 68.
    """
    if type(buf) is bytes:
        # the usual case - a complete valid frame at the first 68, what scan takes then - with
        # _check_at written out: two calls less a reply
        i = buf.find(START)
        if i >= 0 and len(buf) - i >= MIN_FRAME and buf[i + 7] == START:
            end = i + MIN_FRAME + buf[i + 9]
            if end <= len(buf) and buf[end - 1] == END and sum(buf[i:end - 2]) & 0xFF == buf[end - 2]:
                return buf[i:end], end
    return scan(buf, _check_at)


def parse_frame(raw: bytes) -> Frame:
    """Decode exactly one frame (leading FE allowed); ProtocolError for anything else."""
    if type(raw) is not bytes:
        raw = bytes(raw)
    if raw[:1] == _FE:
        pre = len(raw) - len(raw.lstrip(_FE))
        body = raw[pre:]
    else:                                   # what extract_frame returns: no preamble, no copy
        pre, body = 0, raw
    if len(body) < MIN_FRAME or body[0] != START or body[7] != START:
        raise ProtocolError(_("Not a DL/T 645 frame: {hex}").format(hex=raw.hex(" ").upper()))
    length = body[9]
    if len(body) != MIN_FRAME + length:
        raise ProtocolError(_("DL/T 645 frame length does not match L: {hex}")
                            .format(hex=raw.hex(" ").upper()))
    if sum(body[:-2]) & 0xFF != body[-2] or body[-1] != END:
        raise ProtocolError(_("DL/T 645 frame checksum is wrong: {hex}")
                            .format(hex=raw.hex(" ").upper()))
    return Frame(body[1:7], body[8], body[10:-2].translate(_UNSCRAMBLE), pre)


def raise_if_error(frame: Frame) -> Frame:
    """Turn an abnormal reply (D6 set) into MeterRefused carrying the ERR word."""
    if frame.control & 0x40:
        err = frame.data[0] if frame.data else 0
        raise MeterRefused(_("Meter {address} refused: {reason}").format(
            address=_safe_address(frame), reason=err_text(err)), err=err)
    return frame


def _safe_address(frame: Frame) -> str:
    try:
        return frame.address
    except ProtocolError:
        return frame.address_wire.hex().upper()


def is_reply_to(frame: Frame, function: int, address: str | None) -> bool:
    """True when frame is a slave reply to function (normal, follow-up or error) from address
    (None or a wildcard accepts any address)."""
    if frame.control & 0x9F != 0x80 | function:
        return False
    if address is None or "A" in address.upper() or address == BROADCAST:
        return True
    try:
        return frame.address == address_to_wire_text(address)
    except ProtocolError:
        return False


def address_to_wire_text(address: str) -> str:
    """The canonical 12-character nameplate text of an address (leading zeros added)."""
    return wire_to_address(address_to_wire(address, ADDRESS_LEN))
