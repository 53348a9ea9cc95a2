"""Tariff plans to and from JSON-ready dicts, strictly validated.

Prices, thresholds and energies are written as decimal strings ("0.5283"); times as "HH:MM"
("24:00" only as an end), seasons as "MM-DD", dates as "YYYY-MM-DD", effective moments as
"YYYY-MM-DDTHH:MM" (a bare date means midnight). Reading refuses unknown fields (a typo must not
be silently ignored), missing ones and wrong types with a translated InvalidInput naming the
field; a float is a TypeError. plan_from_json parses JSON numbers as Decimal from their text, so
a hand-written 0.5283 is exact too. Semantic checks live in the dataclasses (tariff_model).
"""
from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from billing.money import as_fraction
from billing.tariffs.model import (
    DaySchedule,
    Period,
    Season,
    TariffPlan,
    TariffVersion,
    Tier,
    Tiers,
    TimeOfUse,
    minutes_text,
)
from models.errors import InvalidInput
from resources.i18n import _

FORMAT = 1
_HHMM = re.compile(r"^(\d{2}):(\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?$")


class _Fields:
    """One JSON object being read: typed access by key, unknown keys refused at the end."""

    def __init__(self, data: object, where: str) -> None:
        if not isinstance(data, dict):
            raise InvalidInput(_("Tariff field {field} has the wrong type: expected {expected}")
                               .format(field=where or "/", expected="object"))
        self.data, self.where, self.seen = data, where, set[str]()

    def path(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ..., ) -> Any:
        self.seen.add(key)
        if key not in self.data or self.data[key] is None:
            if default is ...:
                raise InvalidInput(_("Tariff field {field} is missing").format(field=self.path(key)))
            return default
        value = self.data[key]
        if isinstance(value, float):
            as_fraction(value, self.path(key))
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            raise InvalidInput(_("Tariff field {field} has the wrong type: expected {expected}")
                               .format(field=self.path(key), expected=names))
        return value

    def number(self, key: str, default: Any = ...) -> Any:
        """A Decimal from a decimal string, an int or a Decimal (never a float)."""
        value = self.get(key, (str, int, Decimal), default)
        if self.data.get(key) is None:
            return value
        try:
            number = Decimal(value.strip() or "x") if isinstance(value, str) else Decimal(value)
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite():
            raise InvalidInput(_("Tariff field {field}: {value} is not a number")
                               .format(field=self.path(key), value=value))
        return number

    def int_list(self, key: str, default: list[int]) -> list[int]:
        values: list[int] = self.get(key, list, default)
        if any(isinstance(v, bool) or not isinstance(v, int) for v in values):
            raise InvalidInput(_("Tariff field {field} has the wrong type: expected {expected}")
                               .format(field=self.path(key), expected="list of int"))
        return values

    def done(self) -> None:
        for key in self.data:
            if key not in self.seen:
                raise InvalidInput(_("Unknown tariff field {field}").format(field=self.path(key)))


def _minutes(text: str, *, end: bool) -> int:
    m = _HHMM.match(text)
    if m is None or int(m[2]) > 59 or int(m[1]) > 24 or int(m[1]) == 24 and (m[2] != "00" or not end):
        raise InvalidInput(_("{value} is not a time of day (HH:MM)").format(value=text))
    return int(m[1]) * 60 + int(m[2])


def _day(text: object) -> date:
    try:
        if not isinstance(text, str) or not _DATE.match(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(_("{value} is not a date (YYYY-MM-DD)").format(value=text)) from None


def _moment(text: str) -> datetime:
    try:
        if not _MOMENT.match(text):
            raise ValueError
        return datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(_("{value} is not a date and time (YYYY-MM-DDTHH:MM)")
                           .format(value=text)) from None


def _items(f: _Fields, key: str) -> list[_Fields]:
    return [_Fields(x, f"{f.path(key)}[{i}]") for i, x in enumerate(f.get(key, list))]


def _tou_from(f: _Fields) -> TimeOfUse:
    prices_f = _Fields(f.get("prices", dict), f.path("prices"))
    prices = {rate: prices_f.number(rate) for rate in list(prices_f.data)}
    schedules = {}
    for sid, periods in f.get("schedules", dict).items():
        if not isinstance(periods, list):
            raise InvalidInput(_("Tariff field {field} has the wrong type: expected {expected}")
                               .format(field=f.path(f"schedules.{sid}"), expected="list"))
        items = []
        for i, raw in enumerate(periods):
            p = _Fields(raw, f"{f.path('schedules')}.{sid}[{i}]")
            items.append(Period(_minutes(p.get("start", str), end=False),
                                _minutes(p.get("end", str), end=True), p.get("rate", str)))
            p.done()
        schedules[str(sid)] = DaySchedule(tuple(items))
    seasons = []
    for s in _items(f, "seasons"):
        seasons.append(Season(s.get("name", str), s.get("start", str), s.get("end", str),
                              s.get("schedule", str)))
        s.done()
    tou = TimeOfUse(
        prices, schedules, tuple(seasons),
        weekend_schedule=f.get("weekend_schedule", str, None),
        weekend_days=frozenset(f.int_list("weekend_days", [6, 7])),
        holidays=frozenset(_day(d) for d in f.get("holidays", list, [])),
        holiday_schedule=f.get("holiday_schedule", str, None),
        workdays=frozenset(_day(d) for d in f.get("workdays", list, [])))
    f.done()
    return tou


def _tiers_from(f: _Fields) -> Tiers:
    steps = []
    for s in _items(f, "steps"):
        steps.append(Tier(s.number("upto", None), s.number("price", None), s.number("add", None)))
        s.done()
    tiers = Tiers(f.get("basis", str), tuple(steps))
    f.done()
    return tiers


def version_from_dict(data: object, where: str = "version") -> TariffVersion:
    f = _Fields(data, where)
    tou, tiers = f.get("tou", dict, None), f.get("tiers", dict, None)
    version = TariffVersion(
        effective=_moment(f.get("effective", str)), kind=f.get("kind", str),
        price=f.number("price", None), label=f.get("label", str, ""),
        tou=_tou_from(_Fields(tou, f.path("tou"))) if tou is not None else None,
        tiers=_tiers_from(_Fields(tiers, f.path("tiers"))) if tiers is not None else None)
    f.done()
    return version


def plan_from_dict(data: object) -> TariffPlan:
    """A TariffPlan from its dict form (see plan_to_dict), validated."""
    f = _Fields(data, "")
    if f.get("format", int, FORMAT) != FORMAT:
        raise InvalidInput(_("Unsupported tariff format {format}").format(format=f.data["format"]))
    versions = tuple(version_from_dict(v.data, v.where) for v in _items(f, "versions"))
    plan = TariffPlan(f.get("name", str), versions, unit=f.get("unit", str, "kWh"),
                      energy_places=f.get("energy_places", int, 2))
    f.done()
    return plan


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def version_to_dict(v: TariffVersion) -> dict[str, Any]:
    out: dict[str, Any] = {"effective": v.effective.isoformat(timespec="minutes"), "kind": v.kind,
                           "label": v.label}
    if v.price is not None:
        out["price"] = str(v.price)
    if v.tou is not None:
        t = v.tou
        out["tou"] = {
            "prices": {r: str(p) for r, p in t.prices.items()},
            "schedules": {sid: [{"start": minutes_text(p.start), "end": minutes_text(p.end),
                                 "rate": p.rate} for p in s.periods] for sid, s in t.schedules.items()},
            "seasons": [{"name": s.name, "start": s.start, "end": s.end, "schedule": s.schedule}
                        for s in t.seasons],
            "weekend_days": sorted(t.weekend_days), "weekend_schedule": t.weekend_schedule,
            "holidays": sorted(d.isoformat() for d in t.holidays),
            "holiday_schedule": t.holiday_schedule,
            "workdays": sorted(d.isoformat() for d in t.workdays)}
    if v.tiers is not None:
        out["tiers"] = {"basis": v.tiers.basis, "steps": [
            {k: val for k, val in (("upto", _dec(s.upto)), ("price", _dec(s.price)),
                                   ("add", _dec(s.add))) if val is not None}
            for s in v.tiers.steps]}
    return out


def plan_to_dict(plan: TariffPlan) -> dict[str, Any]:
    """The plan as plain JSON-ready data; plan_from_dict(plan_to_dict(p)) == p."""
    return {"format": FORMAT, "name": plan.name, "unit": plan.unit,
            "energy_places": plan.energy_places,
            "versions": [version_to_dict(v) for v in plan.versions]}


def plan_to_json(plan: TariffPlan) -> str:
    return json.dumps(plan_to_dict(plan), ensure_ascii=False, indent=2)


def plan_from_json(text: str) -> TariffPlan:
    try:
        data = json.loads(text, parse_float=Decimal)
    except ValueError as exc:
        raise InvalidInput(_("The tariff is not valid JSON: {error}").format(error=exc)) from None
    return plan_from_dict(data)
