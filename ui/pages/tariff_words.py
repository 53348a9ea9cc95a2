"""A tariff version in words for the tariff list: 单一电价 / 分时电价 / 阶梯电价, rates by name
(尖/峰/平/谷) and tiers with their bounds, instead of "flat/tou/tiered" and "sharp=1.1500".

    kind_name("tou")      -> "分时电价"
    describe(version)     -> "尖 1.15 · 峰 0.90 · 谷 0.30 元；23:00–07:00 谷，07:00–23:00 峰"
"""
from __future__ import annotations

from typing import Any

from resources.i18n import N_, _

KIND_NAMES = {"flat": N_("Flat price"), "tou": N_("Time of use"), "tiered": N_("Tiered price")}
RATE_NAMES = {"sharp": N_("Sharp"), "peak": N_("Peak"), "flat": N_("Flat"), "valley": N_("Valley")}
BASIS_NAMES = {"monthly": N_("counted monthly"), "yearly": N_("counted yearly")}


def kind_name(kind: str) -> str:
    msgid = KIND_NAMES.get(kind)
    return _(msgid) if msgid else kind


def rate_name(rate: str) -> str:
    msgid = RATE_NAMES.get(rate)
    return _(msgid) if msgid else rate


def _price(value: Any) -> str:
    return _("{price} yuan").format(price=value)


def _tou(tou: dict[str, Any]) -> str:
    prices = " · ".join(f"{rate_name(r)} {p}" for r, p in tou.get("prices", {}).items())
    text = _("{prices} yuan").format(prices=prices) if prices else ""
    schedules = list(tou.get("schedules", {}).values())
    for n, periods in enumerate(schedules, 1):
        spans = _(", ").join(f"{p['start']}–{p['end']} {rate_name(p['rate'])}" for p in periods)
        if len(schedules) > 1:
            spans = _("day schedule {n}: {periods}").format(n=n, periods=spans)
        text = _("{prices}; {periods}").format(prices=text, periods=spans) if spans else text
    return text


def _tiers(tiers: dict[str, Any]) -> str:
    parts, low = [], "0"
    for step in tiers.get("steps", []):
        upto = step.get("upto")
        bound = (_("{low} to {high}").format(low=low, high=upto) if upto is not None
                 else _("above {low}").format(low=low))
        if step.get("price") is not None:
            parts.append(_("{bound}: {price}").format(bound=bound, price=_price(step["price"])))
        else:
            parts.append(_("{bound}: plus {add}").format(bound=bound, add=_price(step.get("add", "0"))))
        low = upto if upto is not None else low
    basis = BASIS_NAMES.get(tiers.get("basis", ""))
    text = _(", ").join(parts)
    return _("{tiers} ({basis})").format(tiers=text, basis=_(basis)) if basis else text


def describe(version: dict[str, Any]) -> str:
    """The prices of one version (a tariff_schema version dict) in words."""
    out = []
    if version.get("price") is not None:
        out.append(_("Base price {price}").format(price=_price(version["price"]))
                   if version.get("tiers") else _price(version["price"]))
    if version.get("tou"):
        out.append(_tou(version["tou"]))
    if version.get("tiers"):
        out.append(_tiers(version["tiers"]))
    return _("; ").join(t for t in out if t)
