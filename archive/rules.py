"""Pure checks of archive input: text in, clean values out, InvalidInput with a clear message.

The services (archive/service.py, archive/places.py) and the file import
(archive/importing.py) use the same functions, so a meter typed at the CLI and a meter in
row 37 of a spreadsheet are refused for the same reason with the same words.

Units: readings are stored in thousandths (`initial_milli` = kWh or m³ × 1000), floor areas in
hundredths of m² (`area_centi_m2`). Text becomes Decimal (never float), and a value with more
places than the unit holds is refused rather than rounded.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from models.archive import CUSTOMER_TYPES, METER_KINDS, METER_STATES, PROTOCOLS, TAG_KINDS
from models.errors import InvalidInput
from resources.i18n import _

DLT645_DIGITS = 12
CJT188_DIGITS = 14
MODBUS_UNITS = range(1, 248)
# Words people type in spreadsheets, mapped to codes (codes themselves are always accepted).
KIND_ALIASES = {"电": "electricity", "电表": "electricity", "水": "water", "水表": "water",
                "气": "gas", "燃气": "gas", "气表": "gas", "燃气表": "gas", "热": "heat", "热表": "heat",
                "热量表": "heat"}
PROTOCOL_ALIASES = {"dlt645": "dlt645-2007", "645": "dlt645-2007", "dlt645-07": "dlt645-2007",
                    "dlt645-97": "dlt645-1997", "cjt188-2004": "cjt188", "188": "cjt188",
                    "modbus-rtu": "modbus"}
CUSTOMER_TYPE_ALIASES = {"居民": "resident", "商户": "merchant", "办公": "office", "学校": "school",
                         "其他": "other"}
TAG_KIND_ALIASES = {"线路": "line", "部门": "department", "区域": "area", "其他": "other"}
STATE_ALIASES = {"库存": "stock", "在用": "installed", "已安装": "installed", "拆除": "removed",
                 "已拆除": "removed"}
_PHONE = re.compile(r"^[0-9+\-() ]{3,30}$")
_ID_NUMBER = re.compile(r"^[0-9A-Za-z\-]{1,30}$")


def text(value: object, what: str, *, max_len: int, required: bool = True) -> str:
    """Stripped text of at most max_len characters; InvalidInput when required and empty."""
    s = cell_text(value)
    if required and not s:
        raise InvalidInput(_("{what} is missing").format(what=what))
    if len(s) > max_len:
        raise InvalidInput(_("{what} is longer than {n} characters").format(what=what, n=max_len))
    if any(ord(c) < 32 or 127 <= ord(c) < 160 or c in "\u2028\u2029" for c in s):
        # a tab or line break in a name breaks receipts, exports and the log's one-line rows
        raise InvalidInput(_("{what} cannot hold tabs, line breaks or control characters").format(what=what))
    return s


def cell_text(value: object) -> str:
    """A spreadsheet cell as text: 12345.0 -> "12345", None -> ""."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _choice(value: object, what: str, codes: tuple[str, ...], aliases: dict[str, str]) -> str:
    s = cell_text(value)
    code = aliases.get(s, aliases.get(s.lower(), s.lower()))
    if code not in codes:
        raise InvalidInput(_("{what} {value} is not known; use one of: {choices}").format(
            what=what, value=s, choices=", ".join(codes)))
    return code


def kind(value: object) -> str:
    return _choice(value, _("Meter kind"), METER_KINDS, KIND_ALIASES)


def protocol(value: object) -> str:
    return _choice(value, _("Protocol"), PROTOCOLS, PROTOCOL_ALIASES)


def meter_state(value: object) -> str:
    return _choice(value, _("Meter state"), METER_STATES, STATE_ALIASES)


def customer_type(value: object) -> str:
    return _choice(value, _("Customer type"), CUSTOMER_TYPES, CUSTOMER_TYPE_ALIASES)


def tag_kind(value: object) -> str:
    return _choice(value, _("Tag kind"), TAG_KINDS, TAG_KIND_ALIASES)


def kind_fits_protocol(meter_kind: str, proto: str) -> None:
    """DL/T 645 meters measure electricity; CJ/T 188 meters water, gas or heat."""
    if proto.startswith("dlt645") and meter_kind != "electricity":
        raise InvalidInput(_("A {protocol} meter measures electricity, not {kind}").format(
            protocol=proto, kind=meter_kind))
    if proto == "cjt188" and meter_kind == "electricity":
        raise InvalidInput(_("A CJ/T 188 meter measures water, gas or heat, not electricity"))


def address(value: object, proto: str) -> str:
    """The canonical stored address: 12 digits (DL/T 645, left-padded), 14 digits (CJ/T 188;
    padded only when the spreadsheet gave a number, which loses leading zeros), or the Modbus
    unit id 1..247 without leading zeros."""
    s = cell_text(value)
    numeric_cell = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not s:
        raise InvalidInput(_("The meter address is missing"))
    if proto == "modbus":
        if not s.isdigit() or not s.isascii() or int(s) not in MODBUS_UNITS:
            raise InvalidInput(_("Modbus address {address} is not valid: use a unit id from 1 to 247")
                               .format(address=s))
        return str(int(s))
    if proto.startswith("dlt645"):
        digits = DLT645_DIGITS
        if not (s.isdigit() and s.isascii()) or len(s) > digits:
            raise InvalidInput(_("Address {address} is not valid for {protocol}: use up to {n} digits")
                               .format(address=s, protocol=proto, n=digits))
    else:
        digits = CJT188_DIGITS
        if not (s.isdigit() and s.isascii()) or len(s) > digits or (len(s) < digits and not numeric_cell):
            raise InvalidInput(_("Address {address} is not valid for {protocol}: use {n} digits")
                               .format(address=s, protocol=proto, n=digits))
    s = s.rjust(digits, "0")
    if s == "9" * digits:
        raise InvalidInput(_("Address {address} is the broadcast address, not a meter's")
                           .format(address=s))
    return s


def profile(value: object, proto: str) -> str:
    """A Modbus meter needs one of the shipped register profiles; others may name one freely."""
    s = text(value, _("Profile"), max_len=60, required=False)
    if proto == "modbus":
        from resources import profile_names

        names = profile_names()
        if not s:
            raise InvalidInput(_("A Modbus meter needs a profile; profiles: {names}").format(
                names=", ".join(names)))
        if s not in names:
            raise InvalidInput(_("Unknown device profile {name}").format(name=s))
    return s


def _decimal(value: object, what: str) -> Decimal:
    s = cell_text(value).replace(",", "")
    try:
        d = Decimal(s)
    except InvalidOperation:
        raise InvalidInput(_("{what} {value} is not a number").format(what=what, value=s)) from None
    if not d.is_finite():
        raise InvalidInput(_("{what} {value} is not a number").format(what=what, value=s))
    return d


def scaled(value: object, what: str, places: int, *, default: int = 0) -> int:
    """Decimal text >= 0 with at most `places` decimals, as an integer × 10**places."""
    if cell_text(value) == "":
        return default
    d = _decimal(value, what)
    if d < 0:
        raise InvalidInput(_("{what} cannot be negative").format(what=what))
    q = d.scaleb(places)
    if q != q.to_integral_value():
        raise InvalidInput(_("{what} {value} has more than {n} decimals").format(
            what=what, value=cell_text(value), n=places))
    return int(q)


def initial_milli(value: object) -> int:
    return scaled(value, _("Initial reading"), 3)


def area_centi(value: object) -> int:
    return scaled(value, _("Area"), 2)


def whole(value: object, what: str, *, minimum: int, default: int) -> int:
    """A whole number >= minimum ("" gives default)."""
    if cell_text(value) == "":
        return default
    d = _decimal(value, what)
    if d != d.to_integral_value() or d < minimum:
        raise InvalidInput(_("{what} must be a whole number of at least {n}").format(what=what, n=minimum))
    return int(d)


def ct_ratio(value: object) -> int:
    return whole(value, _("CT ratio"), minimum=1, default=1)


def install_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    s = cell_text(value)
    if not s:
        return None
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d"):
        try:
            return datetime.strptime(s, fmt).date()
        except ValueError:
            continue
    raise InvalidInput(_("{text} is not a date (YYYY-MM-DD)").format(text=s))


def phone(value: object) -> str:
    s = cell_text(value)
    if s and not _PHONE.match(s):
        raise InvalidInput(_("Phone number {phone} is not valid").format(phone=s))
    return s


def id_number(value: object) -> str:
    s = cell_text(value).upper()
    if s and not _ID_NUMBER.match(s):
        raise InvalidInput(_("ID number {number} is not valid").format(number=s))
    return s


def floor_level(name: str) -> int:
    """A floor's sort level guessed from its name: "3", "3F", "3层" -> 3; "B1", "-1" -> -1."""
    m = re.match(r"^\s*(-|B|b|负)?(\d+)", name)
    if not m:
        return 0
    n = int(m.group(2))
    return -n if m.group(1) else n


def parse_tags(value: object) -> list[tuple[str, str]]:
    """"line:A线; 部门:后勤" -> [("line", "A线"), ("department", "后勤")]; a bare name is kind other."""
    out: list[tuple[str, str]] = []
    for part in re.split(r"[;；,，]", cell_text(value)):
        part = part.strip()
        if not part:
            continue
        k, sep, name = part.replace("：", ":").partition(":")
        kind_code, tag_name = (tag_kind(k), name.strip()) if sep else ("other", k.strip())
        out.append((kind_code, text(tag_name, _("Tag name"), max_len=60)))
    return out


def format_milli(milli: int) -> str:
    """12345 -> "12.345"; 12000 -> "12" (the shortest exact text)."""
    d = Decimal(milli).scaleb(-3).normalize()
    return f"{d:f}"


def plain(d: Decimal) -> Decimal:
    """12.300 -> 12.3 and 1E+2 -> 100: the shortest exact value, never in exponent form."""
    return Decimal(f"{d.normalize():f}")


def format_centi(centi: int) -> str:
    d = Decimal(centi).scaleb(-2).normalize()
    return f"{d:f}"
