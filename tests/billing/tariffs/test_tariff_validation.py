"""Invalid tariffs are refused with one clear message; valid ones survive the JSON round trip."""
from __future__ import annotations

import copy
import json
from datetime import date
from datetime import datetime as dt
from decimal import Decimal as D

import pytest

from billing.tariffs.api import (
    DaySchedule,
    Period,
    TariffVersion,
    Tier,
    Tiers,
    plan_from_dict,
    plan_from_json,
    plan_to_dict,
    plan_to_json,
)
from models.errors import InvalidInput
from tests.billing.tariffs import plans as P


def tou_with(**changes):
    tou = copy.deepcopy(P.TOU) | changes
    return P.plan({"effective": P.START, "kind": "tou", "tou": tou})


def refused(data) -> str:
    with pytest.raises(InvalidInput) as err:
        plan_from_dict(data)
    return str(err.value)


@pytest.mark.parametrize("plan", [P.FLAT, P.TOU_PLAN, P.TIERED, P.TIERED_ABS, P.YEARLY, P.TIERED_TOU],
                         ids=["flat", "tou", "tiered", "tiered-abs", "yearly", "tiered-tou"])
def test_round_trip(plan):
    assert plan_from_dict(plan_to_dict(plan)) == plan
    text = plan_to_json(plan)
    assert plan_from_json(text) == plan
    assert "." not in json.dumps(plan_to_dict(plan)["energy_places"])   # an int, not a float


def test_json_numbers_are_read_as_exact_decimals():
    text = '{"name": "n", "versions": [{"effective": "2024-01-01", "kind": "flat", "price": 0.5283}]}'
    plan = plan_from_json(text)
    assert plan.versions[0].price == D("0.5283")
    assert plan.versions[0].effective == dt(2024, 1, 1)


def test_float_in_a_dict_is_a_type_error():
    data = P.plan(P.FLAT_V | {"price": 0.5283})
    with pytest.raises(TypeError, match="float"):
        plan_from_dict(data)


@pytest.mark.parametrize("rows,message", [
    ([("00:00", "12:00", "valley"), ("11:00", "24:00", "peak")],
     "Periods 00:00-12:00 and 11:00-24:00 overlap at 11:00"),
    ([("22:00", "08:00", "valley"), ("07:00", "22:00", "peak")],
     "Periods 22:00-08:00 and 07:00-22:00 overlap at 07:00"),
    ([("00:00", "12:00", "valley"), ("13:00", "24:00", "peak")],
     "The periods do not cover 12:00-13:00; they must cover 24 hours"),
    ([("23:00", "07:00", "valley"), ("07:00", "22:00", "peak")],
     "The periods do not cover 22:00-23:00; they must cover 24 hours"),
    ([("08:00", "08:00", "valley")], "Period 08:00-08:00 is empty"),
    ([("00:00", "24:00", "super")], "Unknown rate super; the rates are sharp, peak, flat, valley"),
    ([(f"{h:02d}:00", f"{h + 1:02d}:00", "flat") for h in range(14)] + [("14:00", "24:00", "flat")],
     "A day has 1 to 14 periods, not 15"),
    ([], "A day has 1 to 14 periods, not 0"),
    ([("00:00", "25:00", "flat")], "25:00 is not a time of day (HH:MM)"),
    ([("24:00", "12:00", "flat")], "24:00 is not a time of day (HH:MM)"),
    ([("0:00", "24:00", "flat")], "0:00 is not a time of day (HH:MM)"),
])
def test_bad_day_schedules(rows, message):
    assert refused(tou_with(schedules={"normal": P._periods(*rows), "summer": P.SUMMER,
                                       "rest": P.REST})) == message


def test_fourteen_periods_and_one_whole_day_are_fine():
    DaySchedule(tuple(Period(h * 60, h * 60 + 60, "flat") for h in range(13)) + (Period(780, 1440, "peak"),))
    assert DaySchedule((Period(0, 1440, "flat"),)).segments == ((0, 1440, "flat"),)


@pytest.mark.parametrize("prices,message", [
    (P.TOU_PRICES | {"peak": "-0.1000"}, "The price of rate Peak is negative (-0.1000)"),
    (P.TOU_PRICES | {"peak": "0.52831"}, "The price of rate Peak has more than 4 decimal places (0.52831)"),
    (P.TOU_PRICES | {"peak": "1001"}, "The price of rate Peak is above 1000 (1001)"),
    (P.TOU_PRICES | {"peak": "abc"}, "Tariff field versions[0].tou.prices.peak: abc is not a number"),
    (P.TOU_PRICES | {"peak": "NaN"}, "Tariff field versions[0].tou.prices.peak: NaN is not a number"),
    (P.TOU_PRICES | {"super": "1"}, "Unknown rate super; the rates are sharp, peak, flat, valley"),
    ({k: v for k, v in P.TOU_PRICES.items() if k != "sharp"},
     "Schedule summer uses the rate sharp, which has no price"),
])
def test_bad_prices(prices, message):
    assert refused(tou_with(prices=prices)) == message


@pytest.mark.parametrize("seasons,message", [
    ([("summer", "06-01", "09-30", "summer"), ("other", "09-01", "05-31", "normal")],
     "Seasons summer and other overlap on 09-01"),
    ([("summer", "07-01", "09-30", "summer"), ("other", "10-01", "06-29", "normal")],
     "No season covers 06-30; the seasons must cover the whole year"),
    ([("a", "01-01", "02-28", "summer"), ("b", "03-01", "12-31", "normal")],
     "No season covers 02-29; the seasons must cover the whole year"),
    ([("a", "01-01", "12-31", "summer"), ("b", "03-01", "12-31", "normal")],
     "Seasons a and b overlap on 03-01"),
    ([("a", "01-01", "04-30", "x"), ("b", "05-01", "12-31", "normal")], "Unknown day schedule x"),
    ([("a", "13-01", "12-31", "normal")], "13-01 is not a day of the year (MM-DD)"),
    ([("a", "01-01", "02-30", "normal")], "02-30 is not a day of the year (MM-DD)"),
    ([], "A time-of-use tariff has 1 or 2 seasons, not 0"),
    ([("a", "01-01", "04-30", "normal"), ("b", "05-01", "08-31", "normal"),
      ("c", "09-01", "12-31", "normal")], "A time-of-use tariff has 1 or 2 seasons, not 3"),
])
def test_bad_seasons(seasons, message):
    rows = [{"name": n, "start": s, "end": e, "schedule": sc} for n, s, e, sc in seasons]
    assert refused(tou_with(seasons=rows)) == message


def test_bad_weekends_and_holidays():
    assert refused(tou_with(weekend_days=[0, 6])) == "Weekend days are numbered 1 (Monday) to 7 (Sunday)"
    assert refused(tou_with(weekend_days=["sat"])) == (
        "Tariff field versions[0].tou.weekend_days has the wrong type: expected list of int")
    assert refused(tou_with(weekend_schedule="nope")) == "Unknown day schedule nope"
    assert refused(tou_with(weekend_schedule=None, holiday_schedule=None)) == (
        "Holidays are set but there is neither a holiday nor a weekend schedule")
    assert refused(tou_with(holidays=["2024-13-01"])) == "2024-13-01 is not a date (YYYY-MM-DD)"


def test_weekends_follow_the_season_without_a_weekend_schedule():
    plan = plan_from_dict(tou_with(weekend_schedule=None))
    assert plan.versions[0].tou.schedule_for(date(2024, 3, 9)).periods[2].rate == "peak"  # Saturday


@pytest.mark.parametrize("version,message", [
    (P.FLAT_V | {"kind": "stepped"},
     "Unknown tariff kind stepped; the kinds are flat, tou, tiered, tiered_tou"),
    (P.FLAT_V | {"tiers": P.MONTHLY_ADD}, "A flat tariff has no tiers"),
    ({"effective": P.START, "kind": "flat"}, "A flat tariff needs price"),
    ({"effective": P.START, "kind": "tiered", "tiers": P.MONTHLY_ADD}, "A tiered tariff needs price"),
    (P.TIERED_ABS_V | {"price": "0.5"}, "A tiered tariff has no price"),
    (P.TOU_V | {"price": "0.5"}, "A tou tariff has no price"),
    ({"effective": P.START, "kind": "tiered_tou", "tou": P.TOU}, "A tiered_tou tariff needs tiers"),
    (P.TIERED_TOU_V | {"tiers": P.MONTHLY_ABS},
     "With time of use, each tier adds a surcharge to the rate; absolute tier prices are not allowed"),
    (P.TIERED_V | {"tiers": {"basis": "weekly", "steps": [{"add": "0"}]}},
     "Tiers count monthly or yearly, not weekly"),
    (P.TIERED_V | {"tiers": {"basis": "monthly", "steps": [{"upto": "400", "add": "0"},
                                                          {"upto": "200", "add": "0.1"}, {"add": "0.3"}]}},
     "Tier thresholds must increase"),
    (P.TIERED_V | {"tiers": {"basis": "monthly", "steps": [{"upto": "200", "add": "0"}]}},
     "Only the last tier is open-ended, and it must be"),
    (P.TIERED_V | {"tiers": {"basis": "monthly", "steps": [{"add": "0"}, {"add": "0.1"}]}},
     "Only the last tier is open-ended, and it must be"),
    (P.TIERED_V | {"tiers": {"basis": "monthly", "steps": [{"upto": "0", "add": "0"}, {"add": "0"}]}},
     "A tier threshold must be above zero, not 0"),
    (P.TIERED_V | {"tiers": {"basis": "monthly", "steps": [{"add": "0", "price": "1"}]}},
     "Each tier has either a price or an addition, not both or neither"),
    (P.TIERED_V | {"tiers": {"basis": "monthly", "steps": [{"add": "-0.05"}]}},
     "The price of a tier addition is negative (-0.05)"),
    (P.TIERED_V | {"tiers": {"basis": "monthly", "steps": []}}, "A tariff has 1 to 10 tiers, not 0"),
    (P.FLAT_V | {"price": "-1"}, "The price of the base price is negative (-1)"),
    (P.FLAT_V | {"effective": "2024-13-01"}, "2024-13-01 is not a date and time (YYYY-MM-DDTHH:MM)"),
    (P.FLAT_V | {"effective": "2024-01-01T00:00+08:00"},
     "2024-01-01T00:00+08:00 is not a date and time (YYYY-MM-DDTHH:MM)"),
    (P.FLAT_V | {"prise": "1"}, "Unknown tariff field versions[0].prise"),
    ({"kind": "flat", "price": "1"}, "Tariff field versions[0].effective is missing"),
    (P.FLAT_V | {"price": ["1"]},
     "Tariff field versions[0].price has the wrong type: expected str/int/Decimal"),
])
def test_bad_versions(version, message):
    assert refused(P.plan(version)) == message


def test_bad_plans():
    assert refused(P.plan()) == "Tariff test has no version"
    assert refused(P.plan(P.FLAT_V, P.TIERED_V)) == "Two versions of tariff test take effect at the same time"
    assert refused(P.plan(P.FLAT_V) | {"format": 2}) == "Unsupported tariff format 2"
    assert refused(P.plan(P.FLAT_V) | {"energy_places": 9}) == "Energy has 0 to 6 decimal places, not 9"
    assert refused([]) == "Tariff field / has the wrong type: expected object"
    with pytest.raises(InvalidInput, match="not valid JSON"):
        plan_from_json("{")


def test_dataclasses_validate_too():
    with pytest.raises(InvalidInput, match="Unknown rate"):
        Period(0, 1440, "shoulder")
    with pytest.raises(TypeError, match="float"):
        Tier(None, price=0.5)                              # type: ignore[arg-type]
    with pytest.raises(TypeError, match="naive"):
        TariffVersion(dt(2024, 1, 1).astimezone(), "flat", price=D("0.5"))
    assert Tiers("yearly", (Tier(None, add=D(0)),)).basis == "yearly"


def test_versions_are_ordered_and_looked_up_by_time():
    plan = P.load({"effective": "2024-06-01T00:00", "kind": "flat", "price": "0.6"}, P.FLAT_V)
    assert [v.price for v in plan.versions] == [D("0.5283"), D("0.6")]
    assert plan.version_at(dt(2024, 5, 31, 23, 59)).price == D("0.5283")
    assert plan.version_at(dt(2024, 6, 1)).price == D("0.6")
    with pytest.raises(InvalidInput, match="not in force yet at 2023-12-31 23:00"):
        plan.version_at(dt(2023, 12, 31, 23))


def test_a_change_may_not_take_effect_in_the_past():
    late = P.load(P.FLAT_V | {"effective": "2024-03-01T00:00"}).versions[0]
    with pytest.raises(InvalidInput, match="cannot take effect in the past"):
        P.FLAT.with_version(late, now=dt(2024, 3, 2))
    assert len(P.FLAT.with_version(late, now=dt(2024, 3, 1)).versions) == 2
