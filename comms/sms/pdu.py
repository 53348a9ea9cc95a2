"""SMS-SUBMIT PDUs (3GPP TS 23.040) for a GSM modem in PDU mode (AT+CMGF=0), and a decoder.

    parts = encode_submit("+8613800138000", "您的电费余额不足")   # [(pdu_hex, tpdu_length), ...]
    for pdu_hex, length in parts:    # AT+CMGS=<length>, then pdu_hex + Ctrl-Z
        ...

- No SMSC address in the PDU ("00": the modem uses the one on its SIM).
- Destination: "+86..." is international (type 0x91); anything else is sent as dialled
  (type 0x81, unknown numbering, ISDN plan), which is what mainland modems expect for
  11-digit mobile numbers. Digits are packed as swapped semi-octets, padded with F.
- Text that is entirely in the GSM 7-bit default alphabet (with its extension table) is sent
  as 7-bit (DCS 0x00, up to 160 septets); anything else, e.g. Chinese, as UCS-2 (DCS 0x08, up
  to 70 UTF-16 units). Longer text is split into concatenated parts with a user data header
  (IEI 00, 8-bit reference): 153 septets or 67 UCS-2 units per part, never splitting a
  GSM escape pair or a UTF-16 surrogate pair.
- Validity period: relative, 24 hours (0xA7) unless told otherwise.

tpdu_length is the number of octets after the SMSC part — the number AT+CMGS wants.
"""
from __future__ import annotations

from dataclasses import dataclass

# GSM 03.38 default alphabet, index = septet value (0x1B is the escape to the extension table).
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXT = {"\f": 0x0A, "^": 0x14, "{": 0x28, "}": 0x29, "\\": 0x2F, "[": 0x3C, "~": 0x3D,
            "]": 0x3E, "|": 0x40, "€": 0x65}
_BASIC_INDEX = {ch: i for i, ch in enumerate(GSM7_BASIC) if ch != "\x1b"}
_EXT_REVERSE = {v: k for k, v in GSM7_EXT.items()}

DCS_GSM7 = 0x00
DCS_UCS2 = 0x08
VP_24_HOURS = 0xA7
SINGLE_GSM7, PART_GSM7 = 160, 153
SINGLE_UCS2, PART_UCS2 = 70, 67
MAX_PARTS = 255


class PduError(ValueError):
    """A number or text that cannot be put into an SMS, or bytes that are not a valid PDU."""


# --- text encodings ------------------------------------------------------------------------------
def is_gsm7(text: str) -> bool:
    return all(ch in _BASIC_INDEX or ch in GSM7_EXT for ch in text)


def gsm7_units(text: str) -> list[list[int]]:
    """The septets of each character (one, or two for extension characters)."""
    out = []
    for ch in text:
        if ch in _BASIC_INDEX:
            out.append([_BASIC_INDEX[ch]])
        elif ch in GSM7_EXT:
            out.append([0x1B, GSM7_EXT[ch]])
        else:
            raise PduError(f"{ch!r} is not in the GSM 7-bit alphabet")
    return out


def pack_septets(septets: list[int], fill_bits: int = 0) -> bytes:
    """Pack 7-bit values little-endian into octets, after `fill_bits` zero bits."""
    acc, nbits, out = 0, fill_bits, bytearray()
    for s in septets:
        acc |= (s & 0x7F) << nbits
        nbits += 7
        while nbits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            nbits -= 8
    if nbits > 0:
        out.append(acc & 0xFF)
    return bytes(out)


def unpack_septets(data: bytes, count: int, fill_bits: int = 0) -> list[int]:
    value = int.from_bytes(data, "little")
    return [(value >> (fill_bits + 7 * i)) & 0x7F for i in range(count)]


def gsm7_decode(septets: list[int]) -> str:
    out, escape = [], False
    for s in septets:
        if escape:
            out.append(_EXT_REVERSE.get(s, " "))
            escape = False
        elif s == 0x1B:
            escape = True
        else:
            out.append(GSM7_BASIC[s])
    return "".join(out)


def _ucs2_units(text: str) -> list[bytes]:
    """UTF-16BE code units grouped so a surrogate pair stays together."""
    out = []
    for ch in text:
        out.append(ch.encode("utf-16-be"))
    return out


# --- address -------------------------------------------------------------------------------------
def encode_number(number: str) -> bytes:
    """TP-DA: digit count, type of address, swapped semi-octets."""
    raw = "".join(number.split()).replace("-", "")
    international = raw.startswith("+")
    digits = raw[1:] if international else raw
    if international is False and digits.startswith("00"):
        international, digits = True, digits[2:]
    if not digits or len(digits) > 20 or not all(c in "0123456789*#" for c in digits):
        raise PduError(f"{number!r} is not a phone number")
    table = {"*": "A", "#": "B"}
    padded = "".join(table.get(c, c) for c in digits) + ("F" if len(digits) % 2 else "")
    swapped = "".join(padded[i + 1] + padded[i] for i in range(0, len(padded), 2))
    return bytes([len(digits), 0x91 if international else 0x81]) + bytes.fromhex(swapped)


def decode_number(data: bytes, offset: int) -> tuple[str, int]:
    """(number, offset after the address) from a TP-DA / TP-OA at offset."""
    ndigits, toa = data[offset], data[offset + 1]
    nbytes = (ndigits + 1) // 2
    semi = data[offset + 2:offset + 2 + nbytes].hex().upper()
    digits = "".join(semi[i + 1] + semi[i] for i in range(0, len(semi), 2))[:ndigits]
    digits = digits.replace("A", "*").replace("B", "#")
    if toa & 0x70 == 0x10:
        digits = "+" + digits
    return digits, offset + 2 + nbytes


# --- SMS-SUBMIT ----------------------------------------------------------------------------------
def _split_gsm7(text: str) -> list[list[int]]:
    units = gsm7_units(text)
    total = sum(len(u) for u in units)
    if total <= SINGLE_GSM7:
        return [[s for u in units for s in u]]
    parts: list[list[int]] = []
    cur: list[int] = []
    for u in units:
        if len(cur) + len(u) > PART_GSM7:
            parts.append(cur)
            cur = []
        cur.extend(u)
    if cur:
        parts.append(cur)
    return parts


def _split_ucs2(text: str) -> list[bytes]:
    units = _ucs2_units(text)
    total = sum(len(u) // 2 for u in units)
    if total <= SINGLE_UCS2:
        return [b"".join(units)]
    parts, cur = [], b""
    for u in units:
        if len(cur) // 2 + len(u) // 2 > PART_UCS2:
            parts.append(cur)
            cur = b""
        cur += u
    if cur:
        parts.append(cur)
    return parts


def encode_submit(number: str, text: str, *, reference: int = 0, validity: int = VP_24_HOURS,
                  force_ucs2: bool = False) -> list[tuple[str, int]]:
    """The PDUs of one message: [(pdu_hex, tpdu_length), ...], one per part.

    reference is the concatenation reference (0-255) used when the text needs several parts."""
    if not text:
        raise PduError("empty message")
    address = encode_number(number)
    gsm = is_gsm7(text) and not force_ucs2
    chunks: list[list[int] | bytes] = [*_split_gsm7(text)] if gsm else [*_split_ucs2(text)]
    if len(chunks) > MAX_PARTS:
        raise PduError("message too long")
    multi = len(chunks) > 1
    out = []
    for seq, chunk in enumerate(chunks, start=1):
        first = 0x01 | 0x10 | (0x40 if multi else 0)        # SUBMIT, relative VP, UDHI
        udh = bytes([0x05, 0x00, 0x03, reference & 0xFF, len(chunks), seq]) if multi else b""
        if isinstance(chunk, list):                          # GSM 7-bit: septets
            fill = (7 - (len(udh) * 8) % 7) % 7
            udh_septets = (len(udh) * 8 + fill) // 7
            ud = udh + pack_septets(chunk, fill)
            udl = udh_septets + len(chunk)
            dcs = DCS_GSM7
        else:
            ud = udh + chunk
            udl = len(ud)
            dcs = DCS_UCS2
        tpdu = bytes([first, 0x00]) + address + bytes([0x00, dcs, validity & 0xFF, udl]) + ud
        out.append(("00" + tpdu.hex().upper(), len(tpdu)))
    return out


@dataclass(frozen=True)
class Submit:
    number: str
    text: str
    dcs: int
    reference: int | None = None     # concatenation reference, when the message has parts
    parts: int = 1
    seq: int = 1


def decode_submit(pdu_hex: str) -> Submit:
    """Decode an SMS-SUBMIT PDU (with its SMSC part, as sent to AT+CMGS)."""
    try:
        data = bytes.fromhex(pdu_hex.strip())
        smsc_len = data[0]
        i = 1 + smsc_len
        first = data[i]
        if first & 0x03 != 0x01:
            raise PduError("not an SMS-SUBMIT")
        i += 2                                   # first octet, TP-MR
        number, i = decode_number(data, i)
        _pid, dcs = data[i], data[i + 1]
        i += 2
        vpf = (first >> 3) & 0x03
        i += {0: 0, 2: 1}.get(vpf, 7)
        udl = data[i]
        ud = data[i + 1:]
        udh_len = 0
        reference, parts, seq = None, 1, 1
        if first & 0x40:
            udh_len = ud[0] + 1
            j = 1
            while j < udh_len:
                iei, ln = ud[j], ud[j + 1]
                if iei == 0x00 and ln == 3:
                    reference, parts, seq = ud[j + 2], ud[j + 3], ud[j + 4]
                elif iei == 0x08 and ln == 4:
                    reference, parts, seq = int.from_bytes(ud[j + 2:j + 4], "big"), ud[j + 4], ud[j + 5]
                j += 2 + ln
        coding = dcs & 0x0C
        if coding == 0x00:
            fill = (7 - (udh_len * 8) % 7) % 7
            udh_septets = (udh_len * 8 + fill) // 7
            count = udl - udh_septets
            body = ud[udh_len:]
            if len(body) * 8 < fill + 7 * count:
                raise PduError("user data shorter than its length")
            text = gsm7_decode(unpack_septets(body, count, fill))
        elif coding == 0x08:
            body = ud[udh_len:udl]
            if len(ud) < udl or len(body) % 2:
                raise PduError("user data shorter than its length")
            text = body.decode("utf-16-be")
        else:
            text = ud[udh_len:udl].decode("latin-1")
        return Submit(number, text, dcs, reference, parts, seq)
    except (IndexError, ValueError) as exc:
        if isinstance(exc, PduError):
            raise
        raise PduError(f"not a valid PDU: {exc}") from None
