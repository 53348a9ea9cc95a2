"""Tariff plans as frozen, self-validating dataclasses (no database, no Qt).

A TariffPlan is a list of TariffVersions, each in force from its `effective` moment until the
next one; pricing always asks the plan which version was in force at each instant, so adding a
version never changes a charge before its effective moment (and with_version refuses versions
that would start in the past).

Kinds of version:
  flat        one price per kWh;
  tou         time of use: 4 rates (sharp 尖 / peak 峰 / flat 平 / valley 谷), day schedules of at
              most 14 HH:MM periods covering the day exactly, 1-2 seasons (MM-DD ranges covering
              the year exactly) each with its schedule, and a weekend schedule, holidays and
              working weekend days (调休) that override the season;
  tiered      阶梯: monthly or yearly cumulative consumption; each tier has either an absolute
              price or an addition to the version's base price;
  tiered_tou  the tier's addition is a surcharge added to the time-of-use rate (the Chinese
              residential rule); absolute tier prices are refused there.
Every constructor validates and raises InvalidInput with one translated message, so an
invalid tariff cannot exist. Clock times are local wall-clock times (naive datetimes).
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from billing.money import DEFAULT_ENERGY_PLACES, as_fraction
from billing.tariffs.days import (
    RATE_LABELS,
    RATES,
    REGISTERS,
    DaySchedule,
    Period,
    Season,
    day_kind,
    minutes_text,
    season_for,
)
from models.errors import InvalidInput
from resources.i18n import _

PRICE_PLACES = 4
MAX_PRICE = Decimal("1000")
MAX_SEASONS = 2
MAX_TIERS = 10
KINDS = ("flat", "tou", "tiered", "tiered_tou")
BASES = ("monthly", "yearly")


def check_price(value: Decimal, what: str) -> Decimal:
    """A price in yuan per unit: Decimal, 0 <= price <= MAX_PRICE, at most 4 decimals."""
    if not isinstance(value, Decimal):
        as_fraction(value, what)
        raise TypeError(f"{what} must be Decimal, not {type(value).__name__}")
    exact = as_fraction(value, what)
    if exact < 0:
        raise InvalidInput(_("The price of {what} is negative ({price})").format(price=value, what=what))
    if (exact * 10 ** PRICE_PLACES).denominator != 1:
        raise InvalidInput(_("The price of {what} has more than 4 decimal places ({price})")
                           .format(price=value, what=what))
    if exact > MAX_PRICE:
        raise InvalidInput(_("The price of {what} is above {maximum} ({price})")
                           .format(price=value, what=what, maximum=MAX_PRICE))
    return value


@dataclass(frozen=True)
class TimeOfUse:
    """Rates and day schedules of a time-of-use version."""

    prices: dict[str, Decimal]                  # rate -> yuan per unit
    schedules: dict[str, DaySchedule]           # schedule id -> schedule
    seasons: tuple[Season, ...]
    weekend_schedule: str | None = None         # None: weekends follow the season
    weekend_days: frozenset[int] = frozenset({6, 7})   # ISO weekdays: 6 Saturday, 7 Sunday
    holidays: frozenset[date] = frozenset()
    holiday_schedule: str | None = None         # None: holidays use the weekend schedule
    workdays: frozenset[date] = frozenset()     # weekend days worked (调休): season schedule

    def __post_init__(self) -> None:
        for rate, price in self.prices.items():
            if rate not in RATES:
                raise InvalidInput(_("Unknown rate {rate}; the rates are {rates}")
                                   .format(rate=rate, rates=", ".join(RATES)))
            check_price(price, _("rate {rate}").format(rate=_(RATE_LABELS[rate])))
        for sid, sched in self.schedules.items():
            for p in sched.periods:
                if p.rate not in self.prices:
                    raise InvalidInput(_("Schedule {schedule} uses the rate {rate}, which has no price")
                                       .format(schedule=sid, rate=p.rate))
        if not 1 <= len(self.seasons) <= MAX_SEASONS:
            raise InvalidInput(_("A time-of-use tariff has 1 or 2 seasons, not {count}")
                               .format(count=len(self.seasons)))
        season_for(self.seasons, None)            # checks that the seasons cover the year once
        used: list[str | None] = [s.schedule for s in self.seasons]
        for ref in used + [self.weekend_schedule, self.holiday_schedule]:
            if ref is not None and ref not in self.schedules:
                raise InvalidInput(_("Unknown day schedule {schedule}").format(schedule=ref))
        if any(d not in range(1, 8) for d in self.weekend_days):
            raise InvalidInput(_("Weekend days are numbered 1 (Monday) to 7 (Sunday)"))
        if self.holidays and self.holiday_schedule is None and self.weekend_schedule is None:
            raise InvalidInput(_("Holidays are set but there is neither a holiday nor a weekend schedule"))

    def schedule_for(self, day: date) -> DaySchedule:
        """The day schedule in force on `day`: holiday, else weekend, else the season's."""
        kind = day_kind(day, self.weekend_days, self.holidays, self.workdays)
        if kind == "holiday":
            return self.schedules[self.holiday_schedule or self.weekend_schedule or ""]
        if kind == "weekend" and self.weekend_schedule is not None:
            return self.schedules[self.weekend_schedule or ""]
        return self.schedules[season_for(self.seasons, day).schedule]


@dataclass(frozen=True)
class Tier:
    """One step: consumption up to `upto` (None: no limit) at `price`, or base price + `add`."""

    upto: Decimal | None
    price: Decimal | None = None
    add: Decimal | None = None

    def __post_init__(self) -> None:
        if (self.price is None) == (self.add is None):
            raise InvalidInput(_("Each tier has either a price or an addition, not both or neither"))
        if self.price is not None:
            check_price(self.price, _("a tier"))
        if self.add is not None:
            check_price(self.add, _("a tier addition"))
        if self.upto is not None and as_fraction(self.upto, "upto") <= 0:
            raise InvalidInput(_("A tier threshold must be above zero, not {upto}").format(upto=self.upto))


@dataclass(frozen=True)
class Tiers:
    """阶梯: tiers of cumulative consumption, reset each calendar month or year."""

    basis: str
    steps: tuple[Tier, ...]

    def __post_init__(self) -> None:
        if self.basis not in BASES:
            raise InvalidInput(_("Tiers count monthly or yearly, not {basis}").format(basis=self.basis))
        if not 1 <= len(self.steps) <= MAX_TIERS:
            raise InvalidInput(_("A tariff has 1 to {maximum} tiers, not {count}")
                               .format(maximum=MAX_TIERS, count=len(self.steps)))
        limits = [t.upto for t in self.steps]
        if limits[-1] is not None or None in limits[:-1]:
            raise InvalidInput(_("Only the last tier is open-ended, and it must be"))
        bounded = [as_fraction(u) for u in limits[:-1] if u is not None]
        if any(b <= a for a, b in zip(bounded, bounded[1:], strict=False)):
            raise InvalidInput(_("Tier thresholds must increase"))


@dataclass(frozen=True)
class TariffVersion:
    """A tariff as it stands from `effective` (local time) until the next version."""

    effective: datetime
    kind: str
    price: Decimal | None = None              # flat price, or base of tier additions
    tou: TimeOfUse | None = None
    tiers: Tiers | None = None
    label: str = ""                           # shown on breakdowns; default: effective time

    def __post_init__(self) -> None:
        if not isinstance(self.effective, datetime) or self.effective.tzinfo is not None:
            raise TypeError("effective must be a naive local datetime")
        if not self.label:
            object.__setattr__(self, "label", self.effective.isoformat(timespec="minutes"))
        if self.kind not in KINDS:
            raise InvalidInput(_("Unknown tariff kind {kind}; the kinds are {kinds}")
                               .format(kind=self.kind, kinds=", ".join(KINDS)))
        wants_tou = self.kind in ("tou", "tiered_tou")
        wants_tiers = self.kind in ("tiered", "tiered_tou")
        adds = self.tiers is not None and any(t.add is not None for t in self.tiers.steps)
        wants_price = self.kind == "flat" or (self.kind == "tiered" and adds)
        for present, wanted, name in ((self.tou is not None, wants_tou, "tou"),
                                      (self.tiers is not None, wants_tiers, "tiers"),
                                      (self.price is not None, wants_price, "price")):
            if present != wanted:
                msg = (_("A {kind} tariff needs {part}") if wanted
                       else _("A {kind} tariff has no {part}"))
                raise InvalidInput(msg.format(kind=self.kind, part=name))
        if self.price is not None:
            check_price(self.price, _("the base price"))
        if self.kind == "tiered_tou" and self.tiers and any(t.price is not None for t in self.tiers.steps):
            raise InvalidInput(_("With time of use, each tier adds a surcharge to the rate; "
                                 "absolute tier prices are not allowed"))

    def rate_segments(self, day: date) -> tuple[tuple[int, int, str], ...]:
        """(start minute, end minute, rate) of `day`, in order, covering 0..1440."""
        if self.tou is None:
            return ((0, 1440, "flat"),)
        return self.tou.schedule_for(day).segments

    def rate_at(self, when: datetime) -> str:
        minute = when.hour * 60 + when.minute
        return next(r for s, e, r in self.rate_segments(when.date()) if s <= minute < e)

    def unit_price(self, rate: str, tier: int) -> Decimal:
        """Yuan per unit of `rate` (ignored without time of use) in tier (1-based; 0: no tiers)."""
        base = self.tou.prices[rate] if self.tou is not None else self.price
        if self.tiers is None or tier == 0:
            assert base is not None
            return base
        step = self.tiers.steps[tier - 1]
        if step.price is not None:
            return step.price
        assert base is not None and step.add is not None
        return base + step.add                   # exact: both have at most 4 places


@dataclass(frozen=True)
class TariffPlan:
    """A named tariff: its versions ordered by effective time."""

    name: str
    versions: tuple[TariffVersion, ...]
    unit: str = "kWh"
    energy_places: int = DEFAULT_ENERGY_PLACES
    _starts: tuple[datetime, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.versions:
            raise InvalidInput(_("Tariff {name} has no version").format(name=self.name))
        ordered = tuple(sorted(self.versions, key=lambda v: v.effective))
        starts = tuple(v.effective for v in ordered)
        if len(set(starts)) != len(starts):
            raise InvalidInput(_("Two versions of tariff {name} take effect at the same time")
                               .format(name=self.name))
        if not 0 <= self.energy_places <= 6:
            raise InvalidInput(_("Energy has 0 to 6 decimal places, not {places}")
                               .format(places=self.energy_places))
        object.__setattr__(self, "versions", ordered)
        object.__setattr__(self, "_starts", starts)

    def version_at(self, when: datetime) -> TariffVersion:
        i = bisect.bisect_right(self._starts, when)
        if i == 0:
            raise InvalidInput(_("Tariff {name} is not in force yet at {when}")
                               .format(name=self.name, when=when.isoformat(sep=" ", timespec="minutes")))
        return self.versions[i - 1]

    def next_change_after(self, when: datetime) -> datetime | None:
        i = bisect.bisect_right(self._starts, when)
        return self._starts[i] if i < len(self._starts) else None

    def with_version(self, version: TariffVersion, *, now: datetime) -> TariffPlan:
        """A copy with `version` added; it may not take effect before `now` (history stays)."""
        if version.effective < now:
            raise InvalidInput(_("A tariff change cannot take effect in the past ({when}); "
                                 "it would rewrite charges already made")
                               .format(when=version.effective.isoformat(sep=" ", timespec="minutes")))
        return TariffPlan(self.name, self.versions + (version,), self.unit, self.energy_places)


__all__ = ["RATES", "RATE_LABELS", "REGISTERS", "KINDS", "BASES", "Period", "DaySchedule", "Season",
           "TimeOfUse", "Tier", "Tiers", "TariffVersion", "TariffPlan", "check_price", "minutes_text"]
