"""Readings and energies: Decimal kWh (m³) in billing/, integer thousandths in the database."""
from __future__ import annotations

from decimal import Decimal

from billing.money import as_fraction, parse_quantity
from models.errors import InvalidInput
from resources.i18n import _


def to_milli(value: Decimal | str) -> int:
    """A reading or energy (Decimal, or typed text) as thousandths, exactly."""
    if isinstance(value, str):
        value = parse_quantity(value, places=3)
    exact = as_fraction(value, "reading") * 1000
    if exact.denominator != 1:
        raise InvalidInput(_("{text} has more than {places} decimal places").format(text=value, places=3))
    if exact < 0:
        raise InvalidInput(_("The quantity must not be negative ({text})").format(text=value))
    return exact.numerator


def from_milli(milli: int) -> Decimal:
    """Thousandths as Decimal, with 2 places when the third is zero ("200.00", "12.345")."""
    value = Decimal(milli).scaleb(-3)
    return value.quantize(Decimal("0.01")) if milli % 10 == 0 else value
