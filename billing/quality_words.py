"""Power-quality and abnormal-use alarms in words, from the alarm's kind and details, in the
language shown now (the stored message is in the language of the station that raised it).

    describe("over_voltage", {"value": "258.3", "limit": "253"})  -> "电压过高 258.3 V（上限 253 V）"
"""
from __future__ import annotations

from typing import Any

from resources.i18n import N_, _

TEXTS = {
    "over_voltage": N_("Voltage too high {value} V (limit {limit} V)"),
    "under_voltage": N_("Voltage too low {value} V (limit {limit} V)"),
    "over_current": N_("Current too high {value} A (limit {limit} A)"),
    "overload": N_("Power too high {value} kW (limit {limit} kW)"),
    "vacant_use": N_("{use} kWh used on {day} with no open account"),
    "idle_use": N_("No use for {days} days (reading {reading} kWh)"),
    "use_spike": N_("{use} kWh used on {day}, usually {median} kWh a day"),
}
PHASES = {"voltage_b": N_("phase B"), "voltage_c": N_("phase C"), "voltage_l2": N_("phase B"),
          "voltage_l3": N_("phase C"), "current_b": N_("phase B"), "current_c": N_("phase C"),
          "current_l2": N_("phase B"), "current_l3": N_("phase C")}


def describe(kind: str, details: dict[str, Any], fallback: str = "") -> str:
    """The alarm's text for kinds of this module; `fallback` (the stored message) otherwise."""
    text = TEXTS.get(kind)
    if text is None:
        return fallback
    try:
        out = _(text).format(**{k: details[k] for k in ("value", "limit", "use", "day", "days", "reading", "median")
                                if k in details})
    except (KeyError, IndexError):
        return fallback
    phase = PHASES.get(str(details.get("quantity", "")))
    return f"{_(phase)} {out}" if phase else out
