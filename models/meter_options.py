"""The options a meter may carry (archive Meter.options, CLI --option, the import column 表计参数,
the meter dialog): each key, the protocols it applies to, its check. The archive checks them
before storing; the drivers (comms/drivers/options.py opt_str/opt_int/opt_float) read them. Kept here,
below both, because both sides need the same vocabulary.
"""
from __future__ import annotations

from collections.abc import Callable

from models.errors import InvalidInput
from resources.i18n import N_, _

# Each key, what the drivers read it for and the values accepted. Sources: DL/T 645-2007 §7.2
# (password: level byte + 3 bytes, operator code 4 bytes, C=1C control codes 1A/1B/1C, 1B/1C
# close), CJ/T 188-2004 §5.2 (meter type T, 2 hex digits; see /work/shared/docs/protocols.md 3.2).
Check = Callable[[str], bool]


def _hex(width: int) -> Check:
    def check(v: str) -> bool:
        return len(v) == width and all(c in "0123456789abcdefABCDEF" for c in v)
    return check


def _number(lo: float, hi: float) -> Check:
    def check(v: str) -> bool:
        try:
            return lo <= float(v) <= hi
        except ValueError:
            return False
    return check


def _whole(lo: int, hi: int) -> Check:
    return lambda v: v.isdigit() and lo <= int(v) <= hi


def _one_of(*choices: str) -> Check:
    return lambda v: v.lower() in choices


# key -> (protocols it applies to ("" = every), check, the accepted values in words)
# CJ/T 188 meter type T by meter kind (CJ/T 188-2004 table of T, protocols.md §3.2): 10H cold
# water, 20H heat meter (heat), 30H gas; a meter_type option overrides it (e.g. 11 hot water).
CJT188_TYPE_BY_KIND = {"water": "10", "heat": "20", "gas": "30"}
OPTIONS: dict[str, tuple[tuple[str, ...], Check, str]] = {
    "password": (("dlt645",), _hex(6), N_("6 hex digits")),
    "password_level": (("dlt645",), _hex(2), N_("2 hex digits (02, 04)")),
    "operator": (("dlt645",), _hex(8), N_("8 hex digits")),
    "close_code": (("dlt645",), _one_of("1b", "1c"), "1B | 1C"),
    "control_valid_minutes": (("dlt645",), _whole(1, 525600), "1-525600"),
    "confirm_polls": (("dlt645",), _whole(1, 20), "1-20"),
    "confirm_interval": (("dlt645",), _number(0, 30), "0-30"),
    "meter_type": (("cjt188",), _hex(2), N_("2 hex digits (10 water, 20 heat, 30 gas)")),
    "di_order": (("cjt188",), _one_of("big", "little"), "big | little"),
    "valve_polls": (("cjt188",), _whole(1, 20), "1-20"),
    "valve_interval": (("cjt188",), _number(0, 30), "0-30"),
    "unconfirmed_registers": (("modbus",), _one_of("allow"), "allow"),
    "timeout": (("",), _number(0.05, 30), N_("0.05-30 (seconds)")),
    "retries": (("",), _whole(0, 10), "0-10"),
    "preamble": (("dlt645", "cjt188"), _whole(0, 8), "0-8"),
    "max_kw": (("",), _number(0, 100000), N_("0-100000 (kW)")),
}
SECRET_OPTIONS = ("password",)


def option_keys(protocol: str = "") -> list[str]:
    """The keys a meter of this protocol may carry (all keys when protocol is "")."""
    return [k for k, (protos, _c, _w) in OPTIONS.items()
            if not protocol or protos == ("",) or any(protocol.startswith(p) for p in protos)]


def parse_items(items: list[str] | tuple[str, ...]) -> dict[str, str]:
    """KEY=VALUE texts (CLI --option, the import column split on ';') as a dict; an empty VALUE
    means "remove this option". InvalidInput for an item without '='."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = str(item).partition("=")
        if not sep or not key.strip():
            raise InvalidInput(_("Meter option {item} must be KEY=VALUE; valid keys: {keys}")
                               .format(item=item, keys=", ".join(option_keys())))
        out[key.strip()] = value.strip()
    return out


def check_options(protocol: str, options: dict[str, str]) -> dict[str, str]:
    """The options checked for a meter of `protocol` (values canonical: hex upper-case, words
    lower-case). One InvalidInput line for the first unknown key or bad value, naming the valid
    keys or values."""
    keys = option_keys(protocol)
    out: dict[str, str] = {}
    for key, value in options.items():
        if key not in keys:
            raise InvalidInput(_("Unknown meter option {key} for {protocol}; valid keys: {keys}")
                               .format(key=key, protocol=protocol, keys=", ".join(keys)))
        value = str(value).strip()
        if value == "":
            out[key] = ""
            continue
        _protos, check, words = OPTIONS[key]
        if not check(value):
            raise InvalidInput(_("Meter option {key}={value} is not valid; use {values}")
                               .format(key=key, value=value, values=_(words)))
        out[key] = value.upper() if words.startswith(("1B", "2 hex", "6 hex", "8 hex")) else (
            value.lower() if "|" in words or words == "allow" else value)
    return out


def merge_options(old: dict[str, str], changes: dict[str, str]) -> dict[str, str]:
    """old with changes applied (an empty value removes the key)."""
    out = dict(old)
    for key, value in changes.items():
        if value == "":
            out.pop(key, None)
        else:
            out[key] = value
    return out


def shown(options: dict[str, str]) -> dict[str, str]:
    """Options for the log and listings: secrets masked."""
    return {k: ("******" if k in SECRET_OPTIONS else v) for k, v in options.items()}
