"""Reading and validating Modbus device profile JSON (the data classes: comms/protocols/modbus_profiles.py).

    load_profile("sdm120") / profile_names() / parse_profile(name, data)

Files are loaded through importlib.resources (resources.path) so a frozen build finds them too;
every problem is reported as one translated InvalidInput naming the profile and the field.

Every field is checked strictly (unknown keys are refused, so a typo cannot silently drop a
register); scales are decimal strings, never JSON floats; addresses are integers or "0x.."
strings. Each problem raises ProfileProblem with one translated sentence naming the field.
"""
from __future__ import annotations

import functools
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from comms.interfaces import ACTIONS, QUANTITIES, STATE_VALUES
from comms.protocols.modbus_profiles import (
    CONFIDENCE,
    NAME_PATTERN,
    PARITIES,
    TYPE_WORDS,
    WORD_ORDERS,
    ActionSpec,
    ClockSpec,
    Profile,
    PurchaseSpec,
    RegisterSpec,
)
from models.errors import InvalidInput
from resources import path, profile_names  # noqa: F401 - profile_names is part of this API
from resources.i18n import _

TOP_KEYS = {"format", "model", "title", "sources", "serial", "limits", "quantities", "absent",
            "actions", "purchase", "clock", "note"}
QUANTITY_KEYS = {"function", "address", "count", "type", "word_order", "scale", "decimals",
                 "unit", "states", "confidence", "note"}
ACTION_KEYS = {"function", "address", "values", "state", "confidence", "note"}
PURCHASE_KEYS = {"address", "amount_type", "amount_scale", "count_type", "word_order",
                 "count_quantity", "balance_quantity", "note"}


class ProfileProblem(Exception):
    """One validation problem, already translated."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def _obj(value: Any, field: str, allowed: set[str],
         required: tuple[str, ...] = ()) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProfileProblem(_("{field} must be an object").format(field=field))
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ProfileProblem(_("{field} has unknown keys: {keys}").format(
            field=field, keys=", ".join(unknown)))
    for key in required:
        if key not in value:
            raise ProfileProblem(_("{field} is missing").format(field=f"{field}.{key}"))
    return value


def _int(value: Any, field: str, low: int, high: int) -> int:
    number = value
    if isinstance(value, str) and value.lower().startswith("0x"):
        try:
            number = int(value, 16)
        except ValueError:
            number = None
    if isinstance(number, bool) or not isinstance(number, int) or not low <= number <= high:
        raise ProfileProblem(_("{field} must be a whole number from {low} to {high}").format(
            field=field, low=low, high=high))
    return number


def _choice(value: Any, field: str, choices: tuple[Any, ...]) -> Any:
    if value not in choices:
        raise ProfileProblem(_("{field} must be one of {choices}").format(
            field=field, choices=", ".join(str(c) for c in choices)))
    return value


def _decimal(value: Any, field: str) -> Decimal:
    """A non-zero finite Decimal from text such as "0.01" (never from a JSON float)."""
    number = None
    if isinstance(value, str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = None
    if number is None or not number.is_finite() or number == 0:
        raise ProfileProblem(_("{field} must be a decimal number written as text, like "
                               "\"0.01\"").format(field=field))
    return number


def _quantity(name: str, raw: Any) -> RegisterSpec:
    field = f"quantities.{name}"
    if not NAME_PATTERN.match(name):
        raise ProfileProblem(_("{field} is not a valid quantity name").format(field=field))
    q = _obj(raw, field, QUANTITY_KEYS, ("function", "address", "count", "type", "unit"))
    kind = _choice(q["type"], field + ".type", tuple(TYPE_WORDS))
    count = _int(q["count"], field + ".count", 1, 2)
    if count != TYPE_WORDS[kind]:
        raise ProfileProblem(_("{field} must be {words} for type {type}").format(
            field=field + ".count", words=TYPE_WORDS[kind], type=kind))
    scale = _decimal(q.get("scale", "1"), field + ".scale")
    if kind == "float32" and "decimals" not in q:
        raise ProfileProblem(_("{field} is missing").format(field=field + ".decimals"))
    exponent = scale.as_tuple().exponent
    default_places = max(0, -exponent) if isinstance(exponent, int) else 0
    decimals = _int(q.get("decimals", default_places),
                    field + ".decimals", 0, 9)
    states = None
    if q.get("states") is not None:
        if kind not in ("uint16", "int16") or not isinstance(q["states"], dict) or not q["states"]:
            raise ProfileProblem(_("{field} must map register values to states").format(
                field=field + ".states"))
        allowed = STATE_VALUES.get(name, STATE_VALUES["relay"])
        states = {_int(int(k) if k.lstrip("-").isdigit() else k, f"{field}.states.{k}",
                       -32768, 65535): _choice(v, f"{field}.states.{k}", allowed)
                  for k, v in q["states"].items()}
    unit = q["unit"]
    expected = QUANTITIES.get(name, unit)
    if name in QUANTITIES and unit != expected or (unit is None) != (states is not None) \
            or not (unit is None or isinstance(unit, str)):
        raise ProfileProblem(_("{field} must be {unit}").format(
            field=field + ".unit", unit=expected if expected is not None else "null"))
    return RegisterSpec(
        name=name, function=_choice(q["function"], field + ".function", (3, 4)),
        address=_int(q["address"], field + ".address", 0, 0xFFFF - count + 1), count=count,
        type=kind, word_order=_choice(q.get("word_order", "big"), field + ".word_order",
                                      WORD_ORDERS),
        scale=scale, decimals=decimals, unit=unit, states=states,
        confidence=_choice(q.get("confidence", "S"), field + ".confidence", CONFIDENCE))


def _action(name: str, raw: Any) -> ActionSpec:
    field = f"actions.{name}"
    _choice(name, field, ACTIONS)
    a = _obj(raw, field, ACTION_KEYS, ("function", "address", "values"))
    function = _choice(a["function"], field + ".function", (6, 16))
    values = a["values"]
    if not isinstance(values, list) or not 1 <= len(values) <= (1 if function == 6 else 123):
        raise ProfileProblem(_("{field} must list 1 register value for function 6, up to 123 "
                               "for function 16").format(field=field + ".values"))
    return ActionSpec(
        name=name, function=function,
        address=_int(a["address"], field + ".address", 0, 0x10000 - len(values)),
        values=tuple(_int(v, f"{field}.values", 0, 0xFFFF) for v in values),
        state=None if a.get("state") is None else _choice(
            a["state"], field + ".state", STATE_VALUES["relay"]),
        confidence=_choice(a.get("confidence", "S"), field + ".confidence", CONFIDENCE))


def _purchase(raw: Any, quantities: dict[str, RegisterSpec]) -> PurchaseSpec:
    field = "purchase"
    p = _obj(raw, field, PURCHASE_KEYS, ("address", "amount_type", "amount_scale",
                                         "count_type"))
    ints = tuple(t for t in TYPE_WORDS if t != "float32")
    spec = PurchaseSpec(
        address=_int(p["address"], field + ".address", 0, 0xFFFF - 3),
        amount_type=_choice(p["amount_type"], field + ".amount_type", ints),
        amount_scale=_decimal(p["amount_scale"], field + ".amount_scale"),
        count_type=_choice(p["count_type"], field + ".count_type", ints),
        word_order=_choice(p.get("word_order", "big"), field + ".word_order", WORD_ORDERS),
        count_quantity=p.get("count_quantity", "purchase_count"),
        balance_quantity=p.get("balance_quantity", "balance"))
    for key in (spec.count_quantity, spec.balance_quantity):
        if key not in quantities:
            raise ProfileProblem(_("{field} needs the quantity {name}").format(
                field=field, name=key))
    return spec


def _check_overlaps(quantities: dict[str, RegisterSpec]) -> None:
    ordered = sorted(quantities.values(), key=lambda s: (s.function, s.address))
    for one, two in zip(ordered, ordered[1:], strict=False):
        if one.function == two.function and two.address < one.end:
            raise ProfileProblem(_("quantities {one} and {two} overlap").format(
                one=one.name, two=two.name))


def build_profile(name: str, data: Any) -> Profile:
    """The Profile described by `data` (the parsed JSON of file `name`.json)."""
    top = _obj(data, "profile", TOP_KEYS, ("format", "model", "title", "serial", "quantities"))
    _choice(top["format"], "format", (1,))
    _choice(top["model"], "model", (name,))
    serial = _obj(top["serial"], "serial", {"baud", "parity", "unit_id", "note"},
                  ("baud", "parity", "unit_id"))
    limits = _obj(top.get("limits", {}), "limits", {"max_registers", "max_gap"})
    raw_q = _obj(top["quantities"], "quantities", set(top["quantities"]) if isinstance(
        top["quantities"], dict) else set())
    quantities = {n: _quantity(n, q) for n, q in raw_q.items()}
    _check_overlaps(quantities)
    absent = _obj(top.get("absent", {}), "absent", set(top.get("absent") or {}))
    for key, reason in absent.items():
        if key in quantities or not isinstance(reason, str) or not reason:
            raise ProfileProblem(_("absent.{name} must be a reason, for a quantity the profile "
                                   "does not map").format(name=key))
    raw_a = _obj(top.get("actions", {}), "actions", set(ACTIONS))
    clock = None
    if top.get("clock") is not None:
        c = _obj(top["clock"], "clock", {"address", "note"}, ("address",))
        clock = ClockSpec(address=_int(c["address"], "clock.address", 0, 0xFFFF - 5))
    return Profile(
        name=name, title=str(top["title"]),
        baud=None if serial["baud"] is None else _int(serial["baud"], "serial.baud", 300,
                                                      115200),
        parity=None if serial["parity"] is None else _choice(serial["parity"], "serial.parity",
                                                             PARITIES),
        unit_id=None if serial["unit_id"] is None else _int(serial["unit_id"],
                                                            "serial.unit_id", 1, 247),
        quantities=quantities, absent=dict(absent),
        actions={n: _action(n, a) for n, a in raw_a.items()},
        purchase=None if top.get("purchase") is None else _purchase(top["purchase"],
                                                                    quantities),
        clock=clock,
        max_registers=_int(limits.get("max_registers", 120), "limits.max_registers", 2, 125),
        max_gap=_int(limits.get("max_gap", 0), "limits.max_gap", 0, 32))


# --- the shipped profiles (resources/profiles/*.json) ------------------------------------------
@functools.cache
def load_profile(name: str) -> Profile:
    """The shipped profile `name`; InvalidInput when it is unknown or not valid."""
    if not NAME_PATTERN.match(name.replace("-", "_")):
        raise InvalidInput(_("Unknown device profile {name}").format(name=name))
    node = path("profiles", name + ".json")
    if not node.is_file():
        raise InvalidInput(_("Unknown device profile {name}").format(name=name))
    try:
        data = json.loads(node.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(_("Device profile {name} is not valid JSON: {error}").format(
            name=name, error=exc)) from None
    return parse_profile(name, data)


def parse_profile(name: str, data: Any) -> Profile:
    """Validate a profile's JSON data; raise InvalidInput naming the first bad field."""
    try:
        return build_profile(name, data)
    except ProfileProblem as bad:
        raise InvalidInput(_("Device profile {name} is not valid: {problem}").format(
            name=name, problem=bad.problem)) from None
