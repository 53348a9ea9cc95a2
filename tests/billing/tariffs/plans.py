"""Sample tariff plans for the billing engine tests, written in their JSON form.

TOU prices are round numbers so the tables stay hand-checkable:
sharp 1.2000, peak 0.9000, flat 0.6000, valley 0.3000 yuan/kWh.

    schedule "normal" (workdays 10-01..06-30)   "summer" (workdays 07-01..09-30)   "rest" (weekends, holidays)
    23:00-07:00 valley                          23:00-07:00 valley                 23:00-07:00 valley
    07:00-10:00 flat                            07:00-10:00 flat                   07:00-23:00 flat
    10:00-12:00 peak                            10:00-11:00 peak
    12:00-17:00 flat                            11:00-12:00 sharp
    17:00-21:00 peak                            12:00-17:00 flat
    21:00-23:00 flat                            17:00-19:00 peak
                                                19:00-21:00 sharp
                                                21:00-23:00 flat
Holidays 2024-10-01..2024-10-07 use "rest"; Saturday 2024-10-12 is a working day (调休).
"""
from __future__ import annotations

import copy
from typing import Any

from billing.tariffs.api import TariffPlan, plan_from_dict


def _periods(*rows: tuple[str, str, str]) -> list[dict[str, str]]:
    return [{"start": s, "end": e, "rate": r} for s, e, r in rows]


TOU_PRICES = {"sharp": "1.2000", "peak": "0.9000", "flat": "0.6000", "valley": "0.3000"}
NORMAL = _periods(("23:00", "07:00", "valley"), ("07:00", "10:00", "flat"), ("10:00", "12:00", "peak"),
                  ("12:00", "17:00", "flat"), ("17:00", "21:00", "peak"), ("21:00", "23:00", "flat"))
SUMMER = _periods(("23:00", "07:00", "valley"), ("07:00", "10:00", "flat"), ("10:00", "11:00", "peak"),
                  ("11:00", "12:00", "sharp"), ("12:00", "17:00", "flat"), ("17:00", "19:00", "peak"),
                  ("19:00", "21:00", "sharp"), ("21:00", "23:00", "flat"))
REST = _periods(("23:00", "07:00", "valley"), ("07:00", "23:00", "flat"))

TOU: dict[str, Any] = {
    "prices": dict(TOU_PRICES),
    "schedules": {"normal": NORMAL, "summer": SUMMER, "rest": REST},
    "seasons": [{"name": "summer", "start": "07-01", "end": "09-30", "schedule": "summer"},
                {"name": "other", "start": "10-01", "end": "06-30", "schedule": "normal"}],
    "weekend_days": [6, 7], "weekend_schedule": "rest",
    "holidays": [f"2024-10-0{d}" for d in range(1, 8)], "holiday_schedule": "rest",
    "workdays": ["2024-10-12"],
}
MONTHLY_ADD = {"basis": "monthly", "steps": [{"upto": "200", "add": "0"},
                                             {"upto": "400", "add": "0.0500"},
                                             {"add": "0.3000"}]}
MONTHLY_ABS = {"basis": "monthly", "steps": [{"upto": "200", "price": "0.5000"},
                                             {"upto": "400", "price": "0.5500"},
                                             {"price": "0.8000"}]}
YEARLY_ADD = {"basis": "yearly", "steps": [{"upto": "2160", "add": "0"},
                                           {"upto": "4200", "add": "0.0500"},
                                           {"add": "0.3000"}]}
START = "2024-01-01T00:00"


def plan(*versions: dict[str, Any], name: str = "test") -> dict[str, Any]:
    return {"format": 1, "name": name, "unit": "kWh", "energy_places": 2,
            "versions": [copy.deepcopy(v) for v in versions]}


FLAT_V = {"effective": START, "kind": "flat", "price": "0.5283"}
TOU_V = {"effective": START, "kind": "tou", "tou": TOU}
TIERED_V = {"effective": START, "kind": "tiered", "price": "0.5000", "tiers": MONTHLY_ADD}
TIERED_ABS_V = {"effective": START, "kind": "tiered", "tiers": MONTHLY_ABS}
YEARLY_V = {"effective": START, "kind": "tiered", "price": "0.5000", "tiers": YEARLY_ADD}
TIERED_TOU_V = {"effective": START, "kind": "tiered_tou", "tou": TOU, "tiers": MONTHLY_ADD}


def load(*versions: dict[str, Any]) -> TariffPlan:
    return plan_from_dict(plan(*versions))


FLAT = load(FLAT_V)
TOU_PLAN = load(TOU_V)
TIERED = load(TIERED_V)
TIERED_ABS = load(TIERED_ABS_V)
YEARLY = load(YEARLY_V)
TIERED_TOU = load(TIERED_TOU_V)
