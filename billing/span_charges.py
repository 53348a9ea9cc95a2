"""Charging consecutive reading spans so that the charges add up, whatever the readings.

    charge = charge_span(plan, start, end, kwh, states.get)      # states: cycle start -> CycleState
    charge.amount                  # Decimal yuan to post for this span
    for part in charge.parts: states[part.after.start] = part.after

The rules (additive by construction):
* Tier cycle: it starts at local midnight of a month's 1st when the version in force then has
  monthly tiers or no tiers, and on 1 January always (billing/tariffs/engine.py); a cycle runs to
  the next such instant. cycle_start_of() finds the one running at an instant.
* A span [start, end) that crosses cycle starts is cut at each of them, and its consumption is
  shared between the parts in proportion to their time (no reading exists at the boundary; the
  engine spreads consumption evenly over time in the same way, so this is the same rule).
* Each part is priced with price_consumption() from the cycle's state BEFORE it: the energy
  already charged in that cycle — every earlier span, including the one ending exactly at this
  span's start (the defect of issue 14 left it out) — and the exact (unrounded) amount of it.
* Rounding (stated rule): a cycle's charges through any reading are its exact cumulative amount
  rounded once to the fen, so a part is charged round(A_after) - round(A_before), A the cycle's
  exact cumulative amount. The sub-fen remainder is thereby carried to the next span of the same
  cycle, and the charges of a cycle add up to round(its exact amount) for ANY way of reading it.
  The unsplit history's charge is, per cycle, its exact amount rounded once; the sum over cycles.
Pure: no database; exact Fractions throughout.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from billing.money import DEFAULT_ROUNDING, Rounding, as_fraction, round_money
from billing.tariffs.engine import _cycle_starts_at, price_consumption
from billing.tariffs.model import TariffPlan

_US = timedelta(microseconds=1)


@dataclass(frozen=True)
class CycleState:
    """A tier cycle of one account: its local start, energy charged in it, its exact amount."""

    start: datetime
    energy: Fraction = Fraction(0)
    amount: Fraction = Fraction(0)


@dataclass(frozen=True)
class SpanPart:
    start: datetime
    end: datetime
    energy: Fraction
    before: CycleState
    after: CycleState
    rule: Rounding

    @property
    def amount(self) -> Decimal:
        """What this part is charged: round(A_after) - round(A_before)."""
        return round_money(self.after.amount, self.rule) - round_money(self.before.amount, self.rule)


@dataclass(frozen=True)
class SpanCharge:
    parts: tuple[SpanPart, ...]

    @property
    def amount(self) -> Decimal:
        return sum((p.amount for p in self.parts), Decimal("0.00"))

    @property
    def unrounded(self) -> Fraction:
        return sum((p.after.amount - p.before.amount for p in self.parts), Fraction(0))


def _month_start(when: datetime) -> datetime:
    return datetime(when.year, when.month, 1)


def _prev_month(m: datetime) -> datetime:
    return datetime(m.year - 1, 12, 1) if m.month == 1 else datetime(m.year, m.month - 1, 1)


def _next_month(m: datetime) -> datetime:
    return datetime(m.year + 1, 1, 1) if m.month == 12 else datetime(m.year, m.month + 1, 1)


def _is_cycle_start(plan: TariffPlan, m: datetime) -> bool:
    if m < plan.versions[0].effective:          # before the plan: months, for want of a rule
        return True
    return _cycle_starts_at(plan.version_at(m), m)


def cycle_start_of(plan: TariffPlan, when: datetime) -> datetime:
    """Local start of the tier cycle running at local `when` (at most a year back)."""
    m = _month_start(when)
    while not _is_cycle_start(plan, m):
        m = _prev_month(m)
    return m


def cycle_parts(plan: TariffPlan, start: datetime, end: datetime) -> list[tuple[datetime, datetime, datetime]]:
    """[start, end) cut at cycle starts: (cycle start, part start, part end) in time order."""
    out = []
    cycle, t = cycle_start_of(plan, start), start
    m = _next_month(_month_start(start))
    while m < end:
        if _is_cycle_start(plan, m):
            out.append((cycle, t, m))
            cycle, t = m, m
        m = _next_month(m)
    out.append((cycle, t, end))
    return out


def charge_span(plan: TariffPlan, start: datetime, end: datetime, kwh: Decimal | int | Fraction,
                state_of: Callable[[datetime], CycleState | None], *,
                rule: Rounding | str = DEFAULT_ROUNDING) -> SpanCharge:
    """The charge for `kwh` consumed in local [start, end), from the cycles' states before it.

    state_of(cycle_start) gives the state of that cycle so far (None: nothing charged in it yet).
    Nothing is stored here: the caller keeps each part's `after` state for the next span.
    """
    rule, total = Rounding(rule), as_fraction(kwh, "kwh")
    pieces = cycle_parts(plan, start, end)
    span_us = (end - start) // _US
    parts, left = [], total
    for i, (cycle, s, e) in enumerate(pieces):
        energy = left if i == len(pieces) - 1 else total * ((e - s) // _US) / span_us
        left -= energy
        before = state_of(cycle) or CycleState(cycle)
        priced = price_consumption(plan, s, e, energy, cumulative_before=before.energy, rule=rule,
                                   cycle_open=True)
        after = CycleState(cycle, before.energy + energy, before.amount + priced.unrounded)
        parts.append(SpanPart(s, e, energy, before, after, rule))
    return SpanCharge(tuple(parts))
