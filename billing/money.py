"""Money and energy quantities for billing: exact numbers, one named rounding, no floats.

Amounts are Decimal yuan with 2 places inside billing/ and integer fen in the database
(to_fen/from_fen convert exactly). Intermediate results that are not decimal (an even spread of
energy over time divides by a duration) are kept as exact Fractions, and the one place where a
value is rounded is round_to/round_money with a named Rounding rule passed explicitly: the
Decimal context is never consulted. A float anywhere is a TypeError: it has already lost cents.

Typed text is parsed by parse_amount/parse_quantity (full-width digits, "¥", thousands
separators), each refusal carrying one translated InvalidInput message.
"""
from __future__ import annotations

import enum
import re
import unicodedata
from decimal import Decimal
from fractions import Fraction

from models.errors import InvalidInput
from resources.i18n import N_, _

MONEY_PLACES = 2
DEFAULT_MAX_AMOUNT = Decimal("100000.00")    # per operation; the setting money.max_amount
DEFAULT_ENERGY_PLACES = 2                    # kWh and m³ to 0.01
DEFAULT_MAX_QUANTITY = Decimal("1000000")

Exact = Decimal | int | Fraction


class Rounding(enum.Enum):
    """The rounding rule of money, a named setting (value is what a settings file stores)."""

    HALF_UP = "half_up"        # 四舍五入: a half fen goes away from zero (the default)
    HALF_EVEN = "half_even"    # banker's rounding: a half fen goes to the even fen
    DOWN = "down"              # truncate towards zero (去尾)


DEFAULT_ROUNDING = Rounding.HALF_UP
ROUNDING_LABELS = {
    Rounding.HALF_UP: N_("Round half up"),
    Rounding.HALF_EVEN: N_("Round half to even"),
    Rounding.DOWN: N_("Round down"),
}


def as_fraction(value: object, what: str = "value") -> Fraction:
    """value (Decimal, int or Fraction) as an exact Fraction; a float or anything else is a TypeError."""
    if isinstance(value, float):
        raise TypeError(f"{what} is a float ({value!r}); billing takes Decimal (from text) or int, "
                        "never float")
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, Fraction)):
        raise TypeError(f"{what} must be Decimal, int or Fraction, not {type(value).__name__}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise InvalidInput(_("{value} is not a finite number").format(value=value))
    return Fraction(value)


def round_to(value: Exact, places: int, rule: Rounding | str = DEFAULT_ROUNDING) -> Decimal:
    """value rounded to `places` decimals by `rule`, in exact integer arithmetic."""
    rule = Rounding(rule)
    scaled = as_fraction(value) * 10 ** places
    n, d = scaled.numerator, scaled.denominator
    q, r = divmod(n, d)                        # floor division: 0 <= r < d
    if r:
        if rule is Rounding.DOWN:
            q += 1 if n < 0 else 0
        elif 2 * r > d:
            q += 1
        elif 2 * r == d:
            if rule is Rounding.HALF_UP:
                q += 0 if n < 0 else 1
            else:                              # HALF_EVEN
                q += q % 2
    return Decimal(f"{q}E-{places}")


def round_money(value: Exact, rule: Rounding | str = DEFAULT_ROUNDING) -> Decimal:
    """value rounded to the fen (0.01 yuan) by `rule` — the one rounding of money."""
    return round_to(value, MONEY_PLACES, rule)


def round_energy(value: Exact, places: int = DEFAULT_ENERGY_PLACES) -> Decimal:
    """An energy or volume rounded down to `places`: a customer is never promised more."""
    return round_to(value, places, Rounding.DOWN)


def to_fen(amount: Decimal) -> int:
    """Decimal yuan to integer fen, exactly; an amount finer than a fen is a ValueError."""
    if not isinstance(amount, Decimal):
        as_fraction(amount, "amount")          # the float message, if that is what it is
        raise TypeError(f"amount must be Decimal, not {type(amount).__name__}")
    fen = as_fraction(amount, "amount") * 100
    if fen.denominator != 1:
        raise ValueError(f"{amount} is finer than a fen; round it with round_money first")
    return fen.numerator


def from_fen_or_none(fen: int | None) -> Decimal | None:
    """from_fen, with None (an amount not known yet) kept."""
    return None if fen is None else from_fen(fen)


def from_fen(fen: int) -> Decimal:
    """Integer fen to Decimal yuan with 2 places, exactly."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        as_fraction(fen, "fen")
        raise TypeError(f"fen must be int, not {type(fen).__name__}")
    return Decimal(f"{fen}E-2")


def fraction_text(value: Fraction) -> str:
    """An exact text form: decimal when it terminates ("0.125"), else "n/d"; Fraction() reads both."""
    d, places = value.denominator, 0
    while d % 10 == 0 or d % 2 == 0 or d % 5 == 0:
        if d % 10 == 0:
            d //= 10
        elif d % 2 == 0:
            d //= 2
        else:
            d //= 5
        places += 1
    if d != 1:
        return f"{value.numerator}/{value.denominator}"
    text = str(round_to(value, places, Rounding.DOWN))
    return text.rstrip("0").rstrip(".") if "." in text else text


_NONFINITE = re.compile(r"^[-+]?(s?nan|inf(inity)?|∞)$", re.IGNORECASE)
_NUMBER = re.compile(
    r"^(?P<s1>[-+])?\s*(?:¥|cny|rmb)?\s*(?P<s2>[-+])?\s*"
    r"(?P<num>[0-9][0-9,]*(?:\.[0-9]*)?|\.[0-9]+)\s*(?P<unit>[^\s0-9.,]\S*)?$", re.IGNORECASE)
_GROUPED = re.compile(r"^[0-9]{1,3}(,[0-9]{3})+$")


def _number(text: object, units: tuple[str, ...]) -> Decimal | None:
    """The Decimal written in text (signed), or None if it is not a number at all."""
    if isinstance(text, float):
        raise TypeError(f"expected text, got the float {text!r}; floats never reach billing")
    if not isinstance(text, str):
        raise TypeError(f"expected text, not {type(text).__name__}")
    s = unicodedata.normalize("NFKC", text).replace("−", "-").replace("。", ".").strip()
    m = _NUMBER.match(s) if len(s) <= 40 else None
    if m is None or (m["s1"] and m["s2"]) or (m["unit"] or "").lower() not in units:
        return None
    integer = m["num"].split(".")[0]
    if "," in integer and not _GROUPED.match(integer):
        return None
    value = Decimal(m["num"].replace(",", ""))
    return -value if "-" in ((m["s1"] or "") + (m["s2"] or "")) else value


def _check_text(text: object) -> str:
    if isinstance(text, str):
        bare = unicodedata.normalize("NFKC", text).strip()
        if not bare:
            raise InvalidInput(_("Enter an amount"))
        if _NONFINITE.match(bare.replace("¥", "")):
            raise InvalidInput(_("{value} is not a finite number").format(value=text.strip()))
        return bare
    return ""


def parse_amount(text: str, *, allow_negative: bool = False,
                 maximum: Decimal = DEFAULT_MAX_AMOUNT) -> Decimal:
    """Typed money ("12", "12.5", "¥1,234.50", "１２.５０") as Decimal yuan with 2 places.

    Trailing zeros beyond the fen are accepted ("12.500"); a non-zero digit beyond it is not.
    """
    _check_text(text)
    value = _number(text, ("", "元", "yuan"))
    if value is None:
        raise InvalidInput(_("\"{text}\" is not an amount; write it like 12.50").format(text=text.strip()))
    if (as_fraction(value) * 100).denominator != 1:
        raise InvalidInput(_("{text} has more than 2 decimal places; the smallest unit is 0.01 yuan")
                           .format(text=text.strip()))
    return check_amount(round_money(value), allow_negative=allow_negative, maximum=maximum)


def check_amount(amount: Decimal, *, allow_negative: bool = False,
                 maximum: Decimal = DEFAULT_MAX_AMOUNT) -> Decimal:
    """Refuse a negative amount (unless allowed) or one above `maximum` yuan; amount unchanged."""
    as_fraction(amount, "amount")
    if amount < 0 and not allow_negative:
        raise InvalidInput(_("The amount must not be negative ({amount})").format(amount=amount))
    if abs(amount) > maximum:
        raise InvalidInput(_("{amount} yuan is above the limit of {maximum} yuan per operation")
                           .format(amount=amount, maximum=maximum))
    return abs(amount) if amount == 0 else amount     # -0.00 becomes 0.00


def parse_quantity(text: str, *, places: int = DEFAULT_ENERGY_PLACES,
                   maximum: Decimal = DEFAULT_MAX_QUANTITY) -> Decimal:
    """Typed energy or volume ("120.5", "120.5 kWh", "30度", "12 m³"), non-negative, `places` decimals."""
    if isinstance(text, str) and not text.strip():
        raise InvalidInput(_("Enter a quantity"))
    _check_text(text)
    value = _number(text, ("", "kwh", "度", "m³", "m3", "方", "gj"))
    if value is None:
        raise InvalidInput(_("\"{text}\" is not a quantity; write it like 120.50").format(text=text.strip()))
    if (as_fraction(value) * 10 ** places).denominator != 1:
        raise InvalidInput(_("{text} has more than {places} decimal places")
                           .format(text=text.strip(), places=places))
    if value < 0:
        raise InvalidInput(_("The quantity must not be negative ({text})").format(text=text.strip()))
    if value > maximum:
        raise InvalidInput(_("{text} is above the limit of {maximum}")
                           .format(text=text.strip(), maximum=maximum))
    return round_to(value, places, Rounding.DOWN)
