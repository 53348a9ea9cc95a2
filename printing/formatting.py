"""Printed text for money, quantities, times and payment methods (receipts, bills, reports).

Money is Decimal (or int yuan) with at most two decimals; it is formatted from an int number of
fen so no float ever takes part. Labels are English msgids translated at call time, so the
language of a document is the language current when it is rendered.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from models import station_time
from printing.capitals import to_fen
from resources.i18n import N_, _

PAYMENT_METHODS = {
    "cash": N_("Cash"),
    "card": N_("Bank card"),
    "wechat": N_("WeChat Pay"),
    "alipay": N_("Alipay"),
    "transfer": N_("Bank transfer"),
}


def money(amount: Decimal | int, symbol: str = "¥") -> str:
    """Decimal("-1234.5") -> "-¥1,234.50"; refuses floats and sub-fen digits."""
    fen = to_fen(amount)
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{symbol}{yuan:,}.{cents:02d}"


def plain_money(amount: Decimal | int) -> str:
    """Like money() without the currency symbol (table cells under a ¥ header)."""
    return money(amount, symbol="")


def quantity(value: Decimal | int, unit: str = "") -> str:
    """A reading or consumption: thousands separators, at least two decimals, unit appended."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise TypeError(f"quantity must be Decimal or int, not {type(value).__name__}")
    d = Decimal(value)
    exp = d.as_tuple().exponent
    if isinstance(exp, int) and exp > -2:
        d = d.quantize(Decimal("0.01"))
    text = f"{d:,f}"
    return f"{text} {unit}".rstrip()


def when(moment: datetime | date | None, seconds: bool = True) -> str:
    """2024-05-01 10:20:30 (or a date alone); empty for None. An aware instant (a time from the
    database is aware UTC) is shown on the station's clock (models.station_time), a naive one as
    it is (already station wall-clock time)."""
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        return station_time.text(moment, seconds)
    return moment.strftime("%Y-%m-%d")


def payment_method(code: str) -> str:
    """The translated name of a payment method code; unknown codes are printed as they are."""
    msgid = PAYMENT_METHODS.get(code)
    return _(msgid) if msgid else code


def labelled(label: str, value: str) -> str:
    """"Label: value" with the colon of the language (全角 "：" in Chinese)."""
    return _("{label}: {value}").format(label=label, value=value)
