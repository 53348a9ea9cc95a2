"""The tariff engine's public face: plans, their JSON form, pricing and sale previews.

    from billing.tariffs.api import plan_from_dict, price_consumption, energy_for_amount
    plan = plan_from_dict(row_json)
    charge = price_consumption(plan, start, end, Decimal("12.34"), cumulative_before=used)
    charge.amount            # Decimal yuan, rounded once by the named rule
    charge.to_dict()         # JSON-ready breakdown for the ledger and the receipt

Pure: no database, no Qt. Data: tariff_days (periods, day schedules, seasons), tariff_model
(versions and plans, validated on construction), tariff_schema (dict/JSON), tariff_pricing.
"""
from __future__ import annotations

from billing.tariffs.days import DAY, MAX_PERIODS, RATE_LABELS, RATES, REGISTERS
from billing.tariffs.engine import (
    ChargeLine,
    PricedCharge,
    amount_for_energy,
    energy_for_amount,
    price_consumption,
    quote_energy,
)
from billing.tariffs.model import (
    BASES,
    KINDS,
    DaySchedule,
    Period,
    Season,
    TariffPlan,
    TariffVersion,
    Tier,
    Tiers,
    TimeOfUse,
    check_price,
)
from billing.tariffs.schema import (
    plan_from_dict,
    plan_from_json,
    plan_to_dict,
    plan_to_json,
    version_from_dict,
    version_to_dict,
)

__all__ = [
    "DAY", "MAX_PERIODS", "RATE_LABELS", "RATES", "REGISTERS", "BASES", "KINDS",
    "DaySchedule", "Period", "Season", "TariffPlan", "TariffVersion", "Tier", "Tiers", "TimeOfUse",
    "check_price", "ChargeLine", "PricedCharge", "amount_for_energy", "energy_for_amount",
    "price_consumption", "quote_energy", "plan_from_dict", "plan_from_json", "plan_to_dict",
    "plan_to_json", "version_from_dict", "version_to_dict",
]
