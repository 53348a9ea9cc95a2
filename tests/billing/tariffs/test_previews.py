"""Sale previews: how much energy an amount buys, and what an energy costs, up the tiers."""
from __future__ import annotations

from datetime import datetime as dt
from decimal import Decimal as D
from fractions import Fraction as F

import pytest

from billing.money import Rounding
from billing.tariffs.api import amount_for_energy, energy_for_amount, plan_from_dict, quote_energy
from models.errors import InvalidInput
from tests.billing.tariffs import plans as P

MON_1030 = dt(2024, 3, 4, 10, 30)          # a March workday, peak


@pytest.mark.parametrize("plan,amount,cum,rate,expected", [
    # flat: 100 / 0.5283 = 189.2863... -> 189.28 (down)
    (P.FLAT, "100", 0, None, "189.28"),
    # tiers from 100: tier 1 100 kWh x 0.5 = 50 (150 left); tier 2 200 x 0.55 = 110 (40 left);
    # tier 3 40 / 0.8 = 50 -> 350
    (P.TIERED, "200", 100, None, "350.00"),
    (P.TIERED_ABS, "200", 100, None, "350.00"),
    # exactly the end of tier 1: 100 x 0.5 = 50
    (P.TIERED, "50", 100, None, "100.00"),
    # already in tier 3: 80 / 0.8 = 100
    (P.TIERED, "80", 450, None, "100.00"),
    # TOU at 10:30 Monday is peak: 100 / 0.9 = 111.11...; the valley rate if asked: 333.33...
    (P.TOU_PLAN, "100", 0, None, "111.11"),
    (P.TOU_PLAN, "100", 0, "valley", "333.33"),
    # tiered TOU peak from 150: 50 x 0.9 = 45 (55 left); tier 2 at 0.95: 55 / 0.95 = 57.894... -> 107.89
    (P.TIERED_TOU, "100", 150, None, "107.89"),
    # yearly, from 2100: 60 x 0.5 = 30 (70 left); 70 / 0.55 = 127.27... -> 187.27
    (P.YEARLY, "100", 2100, None, "187.27"),
    (P.FLAT, "0", 0, None, "0.00"),
])
def test_energy_for_amount(plan, amount, cum, rate, expected):
    energy = energy_for_amount(plan, MON_1030, D(amount), D(cum), rate=rate)
    assert str(energy) == expected


@pytest.mark.parametrize("plan,energy,cum,rule,expected", [
    # 100 x 0.5 + 200 x 0.55 + 50 x 0.8 = 50 + 110 + 40
    (P.TIERED, "350", 100, Rounding.HALF_UP, "200.00"),
    # 50 x 0.9 + 57.89 x 0.95 = 45 + 54.9955 = 99.9955
    (P.TIERED_TOU, "107.89", 150, Rounding.HALF_UP, "100.00"),
    (P.TIERED_TOU, "107.89", 150, Rounding.DOWN, "99.99"),
    # 0.25 x 0.5 = 0.125: half a fen
    (P.TIERED, "0.25", 0, Rounding.HALF_UP, "0.13"),
    (P.TIERED, "0.25", 0, Rounding.HALF_EVEN, "0.12"),
])
def test_amount_for_energy(plan, energy, cum, rule, expected):
    assert str(amount_for_energy(plan, MON_1030, D(energy), D(cum), rule=rule)) == expected


def test_quote_energy_breakdown():
    quote = quote_energy(P.TIERED, MON_1030, D(350), D(100))
    assert [(ln.tier, ln.energy, ln.unit_price) for ln in quote.lines] == [
        (1, 100, D("0.5000")), (2, 200, D("0.5500")), (3, 50, D("0.8000"))]
    assert quote.cumulative_after == 450
    assert quote.to_dict()["lines"][2] == {"version": "2024-01-01T00:00", "rate": "flat", "tier": 3,
                                           "energy": "50", "unit_price": "0.8000", "amount": "40"}


def test_energy_places_follow_the_plan():
    plan = plan_from_dict(P.plan(P.FLAT_V) | {"energy_places": 3})
    assert str(energy_for_amount(plan, MON_1030, D("100"))) == "189.286"


def test_a_free_tier_is_given_then_priced_tiers():
    tiers = {"basis": "monthly", "steps": [{"upto": "10", "price": "0"}, {"price": "0.5"}]}
    plan = P.load({"effective": P.START, "kind": "tiered", "tiers": tiers})
    # 10 free kWh, then 5 / 0.5 = 10
    assert energy_for_amount(plan, MON_1030, D(5)) == D("20.00")
    assert energy_for_amount(plan, MON_1030, D(0)) == D("10.00")
    free = P.load({"effective": P.START, "kind": "flat", "price": "0"})
    with pytest.raises(InvalidInput, match="free"):
        energy_for_amount(free, MON_1030, D(5))


def test_preview_refusals():
    with pytest.raises(InvalidInput, match="must not be negative"):
        energy_for_amount(P.FLAT, MON_1030, D(-1))
    with pytest.raises(InvalidInput, match="must not be negative"):
        amount_for_energy(P.FLAT, MON_1030, D(-1))
    with pytest.raises(InvalidInput, match="Unknown rate"):
        energy_for_amount(P.TOU_PLAN, MON_1030, D(1), rate="t2")
    with pytest.raises(InvalidInput, match="not in force yet"):
        energy_for_amount(P.FLAT, dt(2020, 1, 1), D(1))
    for bad in (100.0, F(1, 3) * 1.0):
        with pytest.raises(TypeError, match="float"):
            energy_for_amount(P.FLAT, MON_1030, bad)
        with pytest.raises(TypeError, match="float"):
            amount_for_energy(P.FLAT, MON_1030, bad)
