"""CJ/T 188-2004 link layer for water, gas and heat meters (pure functions, no I/O).

    [FE x n] 68 T A0..A6 C L DATA(L) CS 16      (no +0x33; CS = byte sum from 68 to DATA end)

T is the meter type, A0..A6 a 14-digit BCD address sent low pair first. DATA starts with a 2-byte
DI whose byte order differs between vendors (option di_order big|little for requests; replies are
accepted in either order) and a sequence byte SER. Reply payloads (901F) are decoded in
comms.protocols.cjt188_data. Every public function raises only ProtocolError / MeterRefused on bad bytes.
"""
from __future__ import annotations

from dataclasses import dataclass

from comms.errors import MeterRefused, ProtocolError
from comms.protocols.bcd import address_to_wire, wire_to_address
from comms.protocols.framing import scan
from resources.i18n import N_, _

START, END, PREAMBLE = 0x68, 0x16, 0xFE
ADDRESS_LEN = 7
MIN_FRAME = 13
WILDCARD = "AA" * ADDRESS_LEN
WILDCARD_TYPE = 0xAA

C_READ, C_READ_ADDRESS, C_WRITE, C_READ_KEY, C_WRITE_ADDRESS = 0x01, 0x03, 0x04, 0x09, 0x15
DI_READ, DI_VALVE, DI_ADDRESS = "901F", "A017", "810A"
KNOWN_DIS = {"901F", "A017", "810A", "8102", "8103", "8104", "8105", "8106", "A010", "A011",
             "A012", "A013", "A014", "A015", "A016", "A018", "A019",
             *(f"D12{i:X}" for i in range(12))}
VALVE_OPEN, VALVE_CLOSE = 0x55, 0x99

METER_TYPES = {0x10: N_("cold water meter"), 0x11: N_("domestic hot water meter"),
               0x12: N_("drinking water meter"), 0x13: N_("reclaimed water meter"),
               0x20: N_("heat meter (heat)"), 0x21: N_("heat meter (cooling)"),
               0x22: N_("heat meter (heat and cooling)"), 0x25: N_("heat meter"),
               0x30: N_("gas meter"), 0x40: N_("custom meter")}


def checksum(data: bytes) -> int:
    return sum(data) & 0xFF


@dataclass(frozen=True)
class Frame:
    meter_type: int
    address_wire: bytes
    control: int
    data: bytes
    preamble: int = 0

    @property
    def address(self) -> str:
        return wire_to_address(self.address_wire)

    @property
    def from_slave(self) -> bool:
        return bool(self.control & 0x80)

    @property
    def error(self) -> bool:
        return bool(self.control & 0x40)

    @property
    def function(self) -> int:
        return self.control & 0x3F

    def raw(self, preamble: int | None = None) -> bytes:
        body = bytes([START, self.meter_type]) + self.address_wire + \
            bytes([self.control, len(self.data)]) + self.data
        count = self.preamble if preamble is None else preamble
        return bytes([PREAMBLE]) * count + body + bytes([checksum(body), END])


def parse_type(meter_type: str | int) -> int:
    try:
        value = int(meter_type, 16) if isinstance(meter_type, str) else int(meter_type)
        if not 0 <= value <= 0xFF:
            raise ValueError
    except ValueError:
        raise ProtocolError(_("Meter type {t} is not valid").format(t=meter_type)) from None
    return value


def build_frame(meter_type: str | int, address: str, control: int, data: bytes = b"",
                preamble: int = 4) -> bytes:
    wire = address_to_wire(address, ADDRESS_LEN)
    if not 0 <= control <= 0xFF or len(data) > 255:
        raise ProtocolError(_("Cannot build a CJ/T 188 frame with these fields"))
    return Frame(parse_type(meter_type), wire, control, bytes(data), preamble).raw()


def _check_at(buf: bytes, i: int) -> int:
    """Size of a valid frame at buf[i], 0 when incomplete, -1 when invalid."""
    if len(buf) - i < 11:
        return 0
    total = MIN_FRAME + buf[i + 10]
    if len(buf) - i < total:
        return 0
    if checksum(buf[i:i + total - 2]) != buf[i + total - 2] or buf[i + total - 1] != END:
        return -1
    return total


def extract_frame(buf: bytes) -> tuple[bytes | None, int]:
    """Find the first complete frame in a receive buffer.

    Returns (frame, consumed): frame is the frame bytes without preamble (None while incomplete);
    consumed is how many leading bytes the caller drops (preamble, garbage, and the frame).
    A bad checksum drops one byte so the search resynchronises on the next 68.
    """
    return scan(buf, _check_at)


def parse_frame(raw: bytes) -> Frame:
    raw = bytes(raw)
    pre = len(raw) - len(raw.lstrip(bytes([PREAMBLE])))
    body = raw[pre:]
    if len(body) < MIN_FRAME or body[0] != START or len(body) != MIN_FRAME + body[10]:
        raise ProtocolError(_("Not a CJ/T 188 frame: {hex}").format(hex=raw.hex(" ").upper()))
    if checksum(body[:-2]) != body[-2] or body[-1] != END:
        raise ProtocolError(_("CJ/T 188 frame checksum is wrong: {hex}")
                            .format(hex=raw.hex(" ").upper()))
    return Frame(body[1], body[2:9], body[9], body[11:-2], pre)


def di_bytes(di: str, order: str = "big") -> bytes:
    try:
        data = bytes.fromhex(di)
        if len(data) != 2 or order not in ("big", "little"):
            raise ValueError
    except ValueError:
        raise ProtocolError(_("Data identifier {di} is not valid").format(di=di)) from None
    return data if order == "big" else data[::-1]


def di_from_bytes(data: bytes) -> str:
    """The DI of a reply in either byte order (a known DI wins; big-endian otherwise)."""
    if len(data) < 2:
        raise ProtocolError(_("Reply is too short"))
    big, little = data[:2].hex().upper(), data[1::-1].hex().upper()
    return little if big not in KNOWN_DIS and little in KNOWN_DIS else big


def read_request(meter_type: str | int, address: str, di: str = DI_READ, ser: int = 0,
                 di_order: str = "big", preamble: int = 4) -> bytes:
    return build_frame(meter_type, address, C_READ, di_bytes(di, di_order) + bytes([ser & 0xFF]),
                       preamble)


def read_address_request(di_order: str = "big", preamble: int = 4) -> bytes:
    """C=03 to the wildcard type/address: only with one meter on the line."""
    return build_frame(WILDCARD_TYPE, WILDCARD, C_READ_ADDRESS,
                       di_bytes(DI_ADDRESS, di_order) + b"\x00", preamble)


def valve_request(meter_type: str | int, address: str, open_valve: bool, ser: int = 0,
                  di_order: str = "big", preamble: int = 4) -> bytes:
    """A017 valve control: 55 open, 99 close."""
    op = VALVE_OPEN if open_valve else VALVE_CLOSE
    return build_frame(meter_type, address, C_WRITE,
                       di_bytes(DI_VALVE, di_order) + bytes([ser & 0xFF, op]), preamble)


def raise_if_error(frame: Frame) -> Frame:
    if frame.error:
        st = frame.data[-2:].hex().upper() if len(frame.data) >= 2 else frame.data.hex().upper()
        raise MeterRefused(_("Meter {address} refused the command (status {st})")
                           .format(address=frame.address_wire[::-1].hex().upper(), st=st))
    return frame


def is_reply_to(frame: Frame, function: int, address: str | None) -> bool:
    """A slave reply (normal or error) to function from address; the type byte is not compared
    because heat meters answer with another T (section 3.2)."""
    if not frame.from_slave or frame.function != function:
        return False
    if address is None or "A" in address.upper():
        return True
    try:
        return frame.address_wire == address_to_wire(address, ADDRESS_LEN)
    except ProtocolError:
        return False
