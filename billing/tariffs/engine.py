"""Pricing consumption under a TariffPlan, and the sale previews (energy for money and back).

How an interval [start, end) is priced:
* It is cut into atoms at every version change, midnight (so every month and year start) and
  period boundary of the day schedule in force; each atom has one version and one rate.
* Without per-rate energies the consumption is spread evenly over time: an atom gets
  kwh * (its duration / the interval's duration), exactly (Fractions, no rounding).
* With per-rate energies from the meter (period_energy, registers t1..t4 = sharp, peak, flat,
  valley) each register's energy is spread evenly over the atoms where that rate is in force
  (under a version without time of use every register counts as in force); if the rate never
  occurs in the interval it is spread over the whole interval. It is always priced at the
  register's own rate: the meter knows which rate it was.
* Tiers: atoms are walked in time order from cumulative_before (consumption in the current tier
  cycle before start), splitting energy exactly at each threshold. The running total resets to 0
  at each month start (monthly tiers, and versions without tiers) and at each 1 January (yearly
  tiers); across a version change it carries on.
* Unit price = the rate's price (flat price without time of use) for an untiered version; the
  tier's absolute price, or the base rate + the tier's addition (tiered_tou: TOU rate + tier
  surcharge, the Chinese residential 阶梯电价 rule).
* The exact sum of all pieces is rounded once, to the fen, by the named Rounding rule.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from billing.money import DEFAULT_ROUNDING, Rounding, as_fraction, fraction_text, round_energy, round_money
from billing.tariffs.model import RATES, REGISTERS, TariffPlan, TariffVersion, Tiers
from models.errors import InvalidInput
from models.station_time import wall
from resources.i18n import _

_US = timedelta(microseconds=1)


@dataclass(frozen=True)
class ChargeLine:
    """Energy of one version, rate and tier (0: untiered) at one unit price; amount unrounded."""

    version: str
    rate: str
    tier: int
    energy: Fraction
    unit_price: Decimal
    amount: Fraction

    def to_dict(self) -> dict[str, object]:
        return {"version": self.version, "rate": self.rate, "tier": self.tier,
                "energy": fraction_text(self.energy), "unit_price": str(self.unit_price),
                "amount": fraction_text(self.amount)}


@dataclass(frozen=True)
class PricedCharge:
    """The price of a consumption: `amount` rounded once by `rule`; exact values elsewhere."""

    amount: Decimal
    unrounded: Fraction
    energy: Fraction
    rule: Rounding
    lines: tuple[ChargeLine, ...]
    cumulative_after: Fraction        # consumption in the tier cycle running at the end

    def to_dict(self) -> dict[str, object]:
        """JSON-ready; exact numbers as text that Fraction() reads back ("0.125" or "1/3")."""
        return {"amount": str(self.amount), "unrounded": fraction_text(self.unrounded),
                "energy": fraction_text(self.energy), "rule": self.rule.value,
                "cumulative_after": fraction_text(self.cumulative_after),
                "lines": [line.to_dict() for line in self.lines]}


@dataclass(frozen=True)
class _Atom:
    start: datetime
    end: datetime
    version: TariffVersion
    rate: str

    @property
    def us(self) -> int:
        return (self.end - self.start) // _US


def _local(when: datetime, what: str) -> datetime:
    """A naive local datetime; an aware one is converted to the station's wall-clock time."""
    if not isinstance(when, datetime):
        raise TypeError(f"{what} must be a datetime, not {type(when).__name__}")
    return wall(when)


def _atoms(plan: TariffPlan, start: datetime, end: datetime) -> list[_Atom]:
    out: list[_Atom] = []
    t = start
    while t < end:
        version = plan.version_at(t)
        day0 = datetime.combine(t.date(), time())
        minute = (t - day0) // timedelta(minutes=1)
        seg_end, rate = next((e, r) for s, e, r in version.rate_segments(t.date()) if s <= minute < e)
        bounds = [end, day0 + timedelta(minutes=seg_end), plan.next_change_after(t)]
        t1 = min(b for b in bounds if b is not None)
        out.append(_Atom(t, t1, version, rate))
        t = t1
    return out


def _cycle_starts_at(version: TariffVersion, when: datetime) -> bool:
    """Does a tier cycle start at `when` (month start; 1 January for yearly tiers)?"""
    if when.day != 1 or when.time() != time():
        return False
    return when.month == 1 or version.tiers is None or version.tiers.basis == "monthly"


@lru_cache(maxsize=1024)
def _exact(value: Decimal) -> Fraction:
    """Fraction(value), kept: a tariff has a handful of prices and thresholds, converted
    again for every piece of every span otherwise (Decimal -> Fraction is exact either way)."""
    return Fraction(value)


def _tier_rooms(tiers: Tiers | None, cum: Fraction) -> Iterator[tuple[int, Fraction | None]]:
    """(tier, room left in it; None: unlimited) from cumulative consumption `cum` upwards."""
    if tiers is None:
        yield 0, None
        return
    for i, step in enumerate(tiers.steps, 1):
        if step.upto is None:
            yield i, None
            return
        top = _exact(step.upto)
        if cum < top:
            yield i, top - cum
            cum = top


def _registers(period_energy: Mapping[str, object], total: Fraction) -> list[tuple[str, Fraction]]:
    if not isinstance(period_energy, Mapping):
        raise TypeError("period_energy must be a mapping such as {'t1': Decimal('1.5'), ...}")
    found: dict[str, Fraction] = {}
    for key, value in period_energy.items():
        rate = REGISTERS.get(key, key if key in RATES else None)
        if rate is None:
            raise InvalidInput(_("Unknown energy register {key}; use t1 to t4").format(key=key))
        if rate in found:
            raise InvalidInput(_("Energy register {key} is given twice").format(key=key))
        found[rate] = as_fraction(value, f"period_energy[{key!r}]")
        if found[rate] < 0:
            raise InvalidInput(_("Consumption must not be negative ({energy})").format(energy=value))
    if sum(found.values()) != total:
        raise InvalidInput(_("The per-rate energies add up to {sum} but the total is {total}")
                           .format(sum=fraction_text(sum(found.values(), Fraction(0))),
                                   total=fraction_text(total)))
    return [(r, found[r]) for r in RATES if found.get(r)]


_Sums = dict[tuple[str, str, int, Decimal], list[Fraction]]


def _spread(atoms: list[_Atom], total: Fraction,
            period_energy: Mapping[str, Decimal] | None) -> list[list[tuple[str, Fraction]]]:
    """(rate, energy) pieces of each atom: even over time, or each register over its rate's time."""
    pieces: list[list[tuple[str, Fraction]]] = [[] for _a in atoms]
    if period_energy is None:
        span = sum(a.us for a in atoms)
        for i, a in enumerate(atoms):
            pieces[i].append((a.rate, total * a.us / span))
        return pieces
    for reg_rate, energy in _registers(period_energy, total):
        active = [i for i, a in enumerate(atoms) if a.version.tou is None or a.rate == reg_rate]
        active = active or list(range(len(atoms)))
        span = sum(atoms[i].us for i in active)
        for i in active:
            pieces[i].append((reg_rate, energy * atoms[i].us / span))
    return pieces


def _walk_tiers(version: TariffVersion, rate: str, energy: Fraction, cum: Fraction,
                sums: _Sums) -> Fraction:
    """Add `energy` at `rate` from cumulative `cum` up the tiers into sums; the new cumulative."""
    rate = rate if version.tou is not None else "flat"
    for tier, room in _tier_rooms(version.tiers, cum):
        part = energy if room is None else min(energy, room)
        if part:
            price = version.unit_price(rate, tier)
            acc = sums.setdefault((version.label, rate, tier, price), [Fraction(0), Fraction(0)])
            acc[0] += part
            acc[1] += part * _exact(price)
            cum += part
            energy -= part
        if not energy:
            break
    return cum


def _charge(sums: _Sums, total: Fraction, rule: Rounding, cum: Fraction) -> PricedCharge:
    lines = tuple(ChargeLine(label, rate, tier, energy, price, amount)
                  for (label, rate, tier, price), (energy, amount) in sums.items())
    unrounded = sum((line.amount for line in lines), Fraction(0))
    return PricedCharge(round_money(unrounded, rule), unrounded, total, rule, lines, cum)


def price_consumption(plan: TariffPlan, start: datetime, end: datetime, kwh: Decimal | Fraction, *,
                      period_energy: Mapping[str, Decimal] | None = None,
                      cumulative_before: Decimal | int | Fraction = 0,
                      rule: Rounding | str = DEFAULT_ROUNDING, cycle_open: bool = False) -> PricedCharge:
    """The charge for `kwh` consumed in [start, end) (see the module docstring for the rules).

    cycle_open=True: a tier cycle starting exactly at `start` already counts cumulative_before
    (another meter of the account was charged in it first; billing/span_charges.py).
    """
    start, end, rule = _local(start, "start"), _local(end, "end"), Rounding(rule)
    total = as_fraction(kwh, "kwh")
    cum = as_fraction(cumulative_before, "cumulative_before")
    if total < 0 or cum < 0:
        raise InvalidInput(_("Consumption must not be negative ({energy})")
                           .format(energy=fraction_text(min(total, cum))))
    if end <= start:
        raise InvalidInput(_("The end of the interval ({end}) must be after its start ({start})")
                           .format(end=end.isoformat(sep=" "), start=start.isoformat(sep=" ")))
    atoms = _atoms(plan, start, end)
    if cum and not cycle_open and atoms[0].version.tiers is not None and _cycle_starts_at(atoms[0].version, start):
        raise ValueError("cumulative_before must be 0 when start is the start of a tier cycle")
    pieces = _spread(atoms, total, period_energy)
    # the pieces in time order, consecutive ones of the same version and rate joined when no
    # cycle starts between them: walking the tiers with e1 then e2 adds exactly what walking
    # them with e1 + e2 adds (exact fractions, the same tiers filled in the same order), and a
    # week of a flat tariff is then one walk instead of seven
    walks: list[tuple[bool, TariffVersion, str, Fraction]] = []     # (cycle starts, version, rate, energy)
    reset = False
    for i, a in enumerate(atoms):
        reset = reset or (i > 0 and _cycle_starts_at(a.version, a.start))
        for rate, energy in pieces[i]:
            rate = rate if a.version.tou is not None else "flat"
            if walks and not reset and walks[-1][1] is a.version and walks[-1][2] == rate:
                walks[-1] = (walks[-1][0], a.version, rate, walks[-1][3] + energy)
            else:
                walks.append((reset, a.version, rate, energy))
            reset = False
    sums: _Sums = {}
    for starts, version, rate, energy in walks:
        if starts:
            cum = Fraction(0)
        cum = _walk_tiers(version, rate, energy, cum, sums)
    if reset:                             # a cycle started after the last piece
        cum = Fraction(0)
    if _cycle_starts_at(plan.version_at(end), end):
        cum = Fraction(0)
    return _charge(sums, total, rule, cum)


def _at_instant(plan: TariffPlan, when: datetime, rate: str | None) -> tuple[TariffVersion, str]:
    version = plan.version_at(_local(when, "when"))
    if rate is not None and rate not in RATES:
        raise InvalidInput(_("Unknown rate {rate}; the rates are {rates}")
                           .format(rate=rate, rates=", ".join(RATES)))
    if version.tou is None:
        return version, "flat"
    return version, rate or version.rate_at(_local(when, "when"))


def energy_for_amount(plan: TariffPlan, when: datetime, amount: Decimal,
                      cumulative_before: Decimal | int | Fraction = 0, *,
                      rate: str | None = None) -> Decimal:
    """How much energy `amount` yuan buys at `when`, walking up the tiers from cumulative_before.

    Priced at `rate` (default: the rate in force at `when`) of the version in force at `when`;
    rounded down to the plan's energy places so the customer is never promised more than paid.
    """
    version, rate = _at_instant(plan, when, rate)
    remaining = as_fraction(amount, "amount")
    cum = as_fraction(cumulative_before, "cumulative_before")
    if remaining < 0 or cum < 0:
        raise InvalidInput(_("The amount must not be negative ({amount})").format(amount=amount))
    energy = Fraction(0)
    for tier, room in _tier_rooms(version.tiers, cum):
        price = Fraction(version.unit_price(rate, tier))
        if price == 0:
            if room is None:
                raise InvalidInput(_("Energy is free under this tariff; an amount buys no definite quantity"))
            energy += room
        elif room is None or price * room >= remaining:
            energy += remaining / price
            break
        else:
            energy += room
            remaining -= price * room
    return round_energy(energy, plan.energy_places)


def quote_energy(plan: TariffPlan, when: datetime, energy: Decimal,
                 cumulative_before: Decimal | int | Fraction = 0, *, rate: str | None = None,
                 rule: Rounding | str = DEFAULT_ROUNDING) -> PricedCharge:
    """The charge for `energy` bought at `when` (all at that instant's version and rate)."""
    version, rate = _at_instant(plan, when, rate)
    total = as_fraction(energy, "energy")
    cum = as_fraction(cumulative_before, "cumulative_before")
    if total < 0 or cum < 0:
        raise InvalidInput(_("Consumption must not be negative ({energy})").format(energy=energy))
    sums: _Sums = {}
    cum = _walk_tiers(version, rate, total, cum, sums)
    return _charge(sums, total, Rounding(rule), cum)


def amount_for_energy(plan: TariffPlan, when: datetime, energy: Decimal,
                      cumulative_before: Decimal | int | Fraction = 0, *, rate: str | None = None,
                      rule: Rounding | str = DEFAULT_ROUNDING) -> Decimal:
    """What `energy` costs at `when`, to the fen by `rule` (a sale by energy)."""
    return quote_energy(plan, when, energy, cumulative_before, rate=rate, rule=rule).amount
