"""Hand-computed charges: the arithmetic is in the comments, the engine must agree to the fen.

Plans and the TOU day schedules are described in plans.py (sharp 1.2, peak 0.9, flat 0.6,
valley 0.3; tiers 0-200 / 200-400 / 400+ kWh a month at +0 / +0.05 / +0.30 on 0.5).
"""
from __future__ import annotations

from datetime import datetime as dt
from decimal import Decimal as D
from fractions import Fraction as F

import pytest

from billing.money import Rounding
from billing.tariffs.api import price_consumption
from models.errors import InvalidInput
from tests.billing.tariffs import plans as P


def by_rate(charge):
    """{(rate, tier): (energy, amount)} of the breakdown."""
    return {(ln.rate, ln.tier): (ln.energy, ln.amount) for ln in charge.lines}


CASES = [
    # id, plan, start, end, kWh, cumulative_before, expected amount
    # flat: 123.45 x 0.5283 = 61.725 + 3.493635 = 65.218635 -> 65.22
    ("flat", P.FLAT, dt(2024, 3, 4), dt(2024, 3, 5), "123.45", 0, "65.22"),
    # Monday 09-13, 2 kWh/h: 09-10 flat 2x0.6=1.2, 10-12 peak 4x0.9=3.6, 12-13 flat 2x0.6=1.2
    ("tou-in-day", P.TOU_PLAN, dt(2024, 3, 4, 9), dt(2024, 3, 4, 13), "8", 0, "6.00"),
    # 09:30-10:15, 3 kWh over 45 min: 2 kWh flat x0.6=1.2 + 1 kWh peak x0.9=0.9
    ("tou-quarter", P.TOU_PLAN, dt(2024, 3, 4, 9, 30), dt(2024, 3, 4, 10, 15), "3", 0, "2.10"),
    # Mon 22:00 - Tue 08:00, 2 kWh/h: 22-23 flat 1.2; 23-07 valley 16x0.3=4.8; 07-08 flat 1.2
    ("tou-midnight", P.TOU_PLAN, dt(2024, 3, 4, 22), dt(2024, 3, 5, 8), "20", 0, "7.20"),
    # Mon 2025-06-30 20:00 (season "other") - Tue 07-01 20:00 (summer), 2 kWh/h:
    #   06-30: 20-21 peak 2 -> 1.8; 21-23 flat 4 -> 2.4; 23-24 valley 2 -> 0.6           = 4.8
    #   07-01: 00-07 valley 14 -> 4.2; 07-10 flat 6 -> 3.6; 10-11 peak 2 -> 1.8;
    #          11-12 sharp 2 -> 2.4; 12-17 flat 10 -> 6.0; 17-19 peak 4 -> 3.6; 19-20 sharp 2 -> 2.4 = 24.0
    ("tou-season", P.TOU_PLAN, dt(2025, 6, 30, 20), dt(2025, 7, 1, 20), "48", 0, "28.80"),
    # holiday Tue 2024-10-01 uses "rest": 10-12 is flat, 4 x 0.6 = 2.4 (a workday would be peak)
    ("holiday", P.TOU_PLAN, dt(2024, 10, 1, 10), dt(2024, 10, 1, 12), "4", 0, "2.40"),
    # workday Tue 2024-10-08: 10-12 peak, 4 x 0.9 = 3.6
    ("workday", P.TOU_PLAN, dt(2024, 10, 8, 10), dt(2024, 10, 8, 12), "4", 0, "3.60"),
    # Saturday 2024-10-19 is a weekend: "rest", flat 4 x 0.6 = 2.4
    ("weekend", P.TOU_PLAN, dt(2024, 10, 19, 10), dt(2024, 10, 19, 12), "4", 0, "2.40"),
    # Saturday 2024-10-12 is a working day (调休): "normal", peak 4 x 0.9 = 3.6
    ("tiaoxiu", P.TOU_PLAN, dt(2024, 10, 12, 10), dt(2024, 10, 12, 12), "4", 0, "3.60"),
    # tiers, from 150: 50 x 0.5 = 25 + 50 x 0.55 = 27.5
    ("tier-cross", P.TIERED, dt(2024, 3, 10), dt(2024, 3, 11), "100", 150, "52.50"),
    ("tier-cross-abs", P.TIERED_ABS, dt(2024, 3, 10), dt(2024, 3, 11), "100", 150, "52.50"),
    # from 150 through both thresholds: 50 x 0.5 + 200 x 0.55 + 50 x 0.8 = 25 + 110 + 40
    ("tier-two", P.TIERED, dt(2024, 3, 10), dt(2024, 3, 11), "300", 150, "175.00"),
    # 03-31 12:00 - 04-01 12:00, 10 kWh/h, from 190: March 120 = 10 x 0.5 + 110 x 0.55 = 5 + 60.5;
    # April resets: 120 x 0.5 = 60
    ("tier-month", P.TIERED, dt(2024, 3, 31, 12), dt(2024, 4, 1, 12), "240", 190, "125.50"),
    # yearly tiers (2160 / 4200) across new year, from 2100: 2024: 60 x 0.5 + 60 x 0.55 = 30 + 33;
    # 2025 resets: 120 x 0.5 = 60
    ("yearly-newyear", P.YEARLY, dt(2024, 12, 31, 12), dt(2025, 1, 1, 12), "240", 2100, "123.00"),
    # yearly tiers do not reset at a month start: 60 x 0.5 + 180 x 0.55 = 30 + 99
    ("yearly-month", P.YEARLY, dt(2024, 3, 31, 12), dt(2024, 4, 1, 12), "240", 2100, "129.00"),
    # tiered TOU Monday 09-13, 20 kWh/h, from 180: 09-10 flat 20 in tier 1 x 0.6 = 12;
    # 10-12 peak 40 in tier 2 x (0.9 + 0.05) = 38; 12-13 flat 20 in tier 2 x (0.6 + 0.05) = 13
    ("tiered-tou", P.TIERED_TOU, dt(2024, 3, 4, 9), dt(2024, 3, 4, 13), "80", 180, "63.00"),
    # Sunday 03-31 22:00 - Monday 04-01 02:00, 10 kWh/h, from 190: 22-23 flat 10 x 0.6 = 6 (cum 200);
    # 23-24 valley 10 x (0.3 + 0.05) = 3.5; April resets: 00-02 valley 20 x 0.3 = 6
    ("tiered-tou-month", P.TIERED_TOU, dt(2024, 3, 31, 22), dt(2024, 4, 1, 2), "40", 190, "15.50"),
]


@pytest.mark.parametrize("plan,start,end,kwh,cum,expected",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_charge_table(plan, start, end, kwh, cum, expected):
    charge = price_consumption(plan, start, end, D(kwh), cumulative_before=D(cum))
    assert charge.amount == D(expected)
    assert str(charge.amount) == expected                      # 2 places, always
    assert sum(ln.energy for ln in charge.lines) == F(D(kwh))
    assert sum(ln.amount for ln in charge.lines) == charge.unrounded


def test_season_breakdown_by_rate():
    charge = price_consumption(P.TOU_PLAN, dt(2025, 6, 30, 20), dt(2025, 7, 1, 20), D(48))
    # peak 2 + 2 + 4 = 8 kWh x 0.9 = 7.2; flat 4 + 6 + 10 = 20 x 0.6 = 12;
    # valley 2 + 14 = 16 x 0.3 = 4.8; sharp 2 + 2 = 4 x 1.2 = 4.8
    assert by_rate(charge) == {("peak", 0): (8, F("7.2")), ("flat", 0): (20, 12),
                               ("valley", 0): (16, F("4.8")), ("sharp", 0): (4, F("4.8"))}


def test_tier_month_breakdown_and_cumulative_after():
    charge = price_consumption(P.TIERED, dt(2024, 3, 31, 12), dt(2024, 4, 1, 12), D(240),
                               cumulative_before=D(190))
    # tier 1: 10 (March) + 120 (April) = 130 kWh x 0.5 = 65; tier 2: 110 x 0.55 = 60.5
    assert by_rate(charge) == {("flat", 1): (130, 65), ("flat", 2): (110, F("60.5"))}
    assert charge.cumulative_after == 120                     # April so far
    assert charge.to_dict()["cumulative_after"] == "120"


def test_version_change_in_the_middle():
    plan = P.load(P.FLAT_V | {"price": "0.5000"},
                  {"effective": "2024-06-15T12:00", "kind": "flat", "price": "0.6000", "label": "v2"})
    charge = price_consumption(plan, dt(2024, 6, 15), dt(2024, 6, 16), D(48))
    # 00-12 at 0.5: 24 x 0.5 = 12; 12-24 at 0.6: 24 x 0.6 = 14.4
    assert charge.amount == D("26.40")
    assert [(ln.version, ln.energy, ln.unit_price) for ln in charge.lines] == [
        ("2024-01-01T00:00", 24, D("0.5000")), ("v2", 24, D("0.6000"))]


def test_a_new_version_does_not_change_the_past():
    old = P.load(P.TIERED_TOU_V)
    new = old.with_version(P.load(P.FLAT_V | {"effective": "2024-06-01T00:00"}).versions[0],
                           now=dt(2024, 5, 20))
    before = price_consumption(old, dt(2024, 5, 1), dt(2024, 6, 1), D("321.09"))
    assert price_consumption(new, dt(2024, 5, 1), dt(2024, 6, 1), D("321.09")) == before
    # after the change: flat 0.5283 x 100 = 52.83
    assert price_consumption(new, dt(2024, 6, 2), dt(2024, 6, 3), D(100)).amount == D("52.83")


@pytest.mark.parametrize("kwh,rule,expected", [
    ("0.25", Rounding.HALF_UP, "0.13"),     # 0.25 x 0.5 = 0.125: exactly half a fen, 四舍五入 up
    ("0.25", Rounding.HALF_EVEN, "0.12"),   # half to the even fen (12)
    ("0.25", Rounding.DOWN, "0.12"),
    ("0.35", Rounding.HALF_UP, "0.18"),     # 0.175
    ("0.35", Rounding.HALF_EVEN, "0.18"),   # half to the even fen (18)
    ("0.35", Rounding.DOWN, "0.17"),
    ("0.33", Rounding.HALF_UP, "0.17"),     # 0.165
    ("0.33", Rounding.HALF_EVEN, "0.16"),
    ("0.33", Rounding.DOWN, "0.16"),
    ("0.3", Rounding.DOWN, "0.15"),         # exact: no rule changes it
])
def test_rounding_rules_at_half_a_fen(kwh, rule, expected):
    plan = P.load(P.FLAT_V | {"price": "0.5000"})
    charge = price_consumption(plan, dt(2024, 3, 4), dt(2024, 3, 5), D(kwh), rule=rule)
    assert charge.amount == D(expected)
    assert charge.rule is rule


def test_rounded_once_at_the_end_not_per_line():
    # Monday 22-24 with meter registers: flat 0.025 x 0.6 = 0.015, valley 0.05 x 0.3 = 0.015;
    # 0.03 in total; rounding each line first would give 0.02 + 0.02 = 0.04
    charge = price_consumption(P.TOU_PLAN, dt(2024, 3, 4, 22), dt(2024, 3, 5), D("0.075"),
                               period_energy={"t3": D("0.025"), "t4": D("0.05")})
    assert charge.unrounded == F("0.03")
    assert charge.amount == D("0.03")


def test_meter_registers_priced_at_their_rates():
    # peak 10 x 0.9 + flat 20 x 0.6 + valley 8 x 0.3 = 9 + 12 + 2.4
    charge = price_consumption(P.TOU_PLAN, dt(2024, 3, 4), dt(2024, 3, 5), D(38),
                               period_energy={"t2": D(10), "t3": D(20), "t4": D(8)})
    assert charge.amount == D("23.40")
    # sharp never occurs on a March workday: still priced at the sharp rate, 1 x 1.2
    charge = price_consumption(P.TOU_PLAN, dt(2024, 3, 4), dt(2024, 3, 5), D(1),
                               period_energy={"t1": D(1)})
    assert by_rate(charge) == {("sharp", 0): (1, F("1.2"))}


def test_meter_registers_with_tiers_across_a_month():
    # Sunday 03-31 ("rest": valley 8 h, flat 16 h) and Monday 04-01 ("normal": valley 8 h, flat 10 h,
    # peak 6 h); flat register 26 kWh over 26 flat hours, valley 16 kWh over 16 valley hours.
    # March, from 190: 00-07 valley 7 x 0.3 = 2.1 (197); 07-23 flat 3 x 0.6 = 1.8 (200),
    #   13 x 0.65 = 8.45; 23-24 valley 1 x 0.35 = 0.35.
    # April resets: valley 8 x 0.3 = 2.4; flat 10 x 0.6 = 6.0.   Total 21.10
    charge = price_consumption(P.TIERED_TOU, dt(2024, 3, 31), dt(2024, 4, 2), D(42),
                               period_energy={"t3": D(26), "t4": D(16)}, cumulative_before=190)
    assert charge.amount == D("21.10")
    assert by_rate(charge) == {("valley", 1): (15, F("4.5")), ("flat", 1): (13, F("7.8")),
                               ("flat", 2): (13, F("8.45")), ("valley", 2): (1, F("0.35"))}
    assert charge.cumulative_after == 18


def test_fourteen_periods():
    # 10 one-hour periods (sharp, peak, flat, valley, sharp, ...) then four of 3.5 h (flat, valley,
    # sharp, peak); 1 kWh/h over the day: sharp 3 + 3.5 = 6.5 x 1.2 = 7.8; peak 6.5 x 0.9 = 5.85;
    # flat 2 + 3.5 = 5.5 x 0.6 = 3.3; valley 5.5 x 0.3 = 1.65.   Total 18.60
    rates = ["sharp", "peak", "flat", "valley"]
    rows = [(f"{h:02d}:00", f"{h + 1:02d}:00", rates[h % 4]) for h in range(10)]
    rows += [("10:00", "13:30", "flat"), ("13:30", "17:00", "valley"), ("17:00", "20:30", "sharp"),
             ("20:30", "24:00", "peak")]
    tou = P.TOU | {"schedules": {"x": P._periods(*rows)}, "weekend_schedule": None,
                   "holidays": [], "holiday_schedule": None, "workdays": [],
                   "seasons": [{"name": "all", "start": "01-01", "end": "12-31", "schedule": "x"}]}
    plan = P.load({"effective": P.START, "kind": "tou", "tou": tou})
    assert len(plan.versions[0].tou.schedules["x"].periods) == 14
    charge = price_consumption(plan, dt(2024, 3, 9), dt(2024, 3, 10), D(24))   # a Saturday
    assert charge.amount == D("18.60")


def test_zero_consumption_costs_nothing():
    charge = price_consumption(P.TIERED_TOU, dt(2024, 3, 4), dt(2024, 3, 5), D(0))
    assert charge.amount == D("0.00") and charge.lines == ()


@pytest.mark.parametrize("kwargs,message", [
    ({"kwh": D(-1)}, "Consumption must not be negative (-1)"),
    ({"cumulative_before": D(-5)}, "Consumption must not be negative (-5)"),
    ({"end": dt(2024, 3, 4, 9)}, "The end of the interval (2024-03-04 09:00:00) must be after its start "
                                 "(2024-03-04 09:00:00)"),
    ({"start": dt(2023, 12, 31)}, "Tariff test is not in force yet at 2023-12-31 00:00"),
    ({"period_energy": {"t5": D(8)}}, "Unknown energy register t5; use t1 to t4"),
    ({"period_energy": {"t1": D(4), "sharp": D(4)}}, "Energy register sharp is given twice"),
    ({"period_energy": {"t1": D(4), "t2": D(-4), "t3": D(8)}}, "Consumption must not be negative (-4)"),
    ({"period_energy": {"t1": D(4), "t2": D("3.99")}},
     "The per-rate energies add up to 7.99 but the total is 8"),
])
def test_refusals(kwargs, message):
    args = {"start": dt(2024, 3, 4, 9), "end": dt(2024, 3, 4, 13), "kwh": D(8)} | kwargs
    with pytest.raises(InvalidInput) as err:
        price_consumption(P.TIERED_TOU, args.pop("start"), args.pop("end"), args.pop("kwh"), **args)
    assert str(err.value) == message


def test_register_names_may_be_rates_too():
    a = price_consumption(P.TOU_PLAN, dt(2024, 3, 4), dt(2024, 3, 5), D(3),
                          period_energy={"t1": D(1), "t2": D(2)})
    b = price_consumption(P.TOU_PLAN, dt(2024, 3, 4), dt(2024, 3, 5), D(3),
                          period_energy={"sharp": D(1), "peak": D(2)})
    assert a == b and a.amount == D("3.00")           # 1 x 1.2 + 2 x 0.9


def test_cumulative_must_be_zero_when_a_cycle_starts_at_the_start():
    with pytest.raises(ValueError, match="cumulative_before must be 0"):
        price_consumption(P.TIERED, dt(2024, 4, 1), dt(2024, 4, 2), D(1), cumulative_before=D(190))
    # yearly tiers do not restart on 1 April; untiered plans do not care
    price_consumption(P.YEARLY, dt(2024, 4, 1), dt(2024, 4, 2), D(1), cumulative_before=D(190))
    price_consumption(P.FLAT, dt(2024, 4, 1), dt(2024, 4, 2), D(1), cumulative_before=D(190))


def test_cumulative_after_restarts_when_the_interval_ends_at_a_cycle_start():
    charge = price_consumption(P.TIERED, dt(2024, 3, 31), dt(2024, 4, 1), D(10), cumulative_before=190)
    assert charge.cumulative_after == 0                 # the next interval starts a new month
    assert charge.amount == D("5.00")                   # 10 x 0.5, all in tier 1 (190 -> 200)


def test_aware_datetimes_are_taken_in_local_time():
    start = dt(2024, 3, 4, 9)
    aware = price_consumption(P.TOU_PLAN, start.astimezone(), dt(2024, 3, 4, 13).astimezone(), D(8))
    assert aware == price_consumption(P.TOU_PLAN, start, dt(2024, 3, 4, 13), D(8))


def test_breakdown_is_json_ready():
    import json
    charge = price_consumption(P.TIERED_TOU, dt(2024, 3, 4, 9), dt(2024, 3, 4, 9, 7), D(1),
                               cumulative_before=D("199.9"))
    data = json.loads(json.dumps(charge.to_dict()))
    assert F(data["unrounded"]) == charge.unrounded           # exact, "n/d" when not decimal
    assert sum(F(line["energy"]) for line in data["lines"]) == 1
    assert data["amount"] == str(charge.amount) and data["rule"] == "half_up"
