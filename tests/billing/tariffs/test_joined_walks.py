"""price_consumption walks the tiers once per run of consecutive pieces of the same version and
rate (billing/tariffs/engine.py): exactly the charge of walking every atom's piece one by one, as
the engine did before (kept here verbatim as the reference) — lines, their order, amounts and the
cumulative after — over generated plans, intervals (across month, year and version boundaries),
consumption spread evenly or given per register, and cumulatives."""
from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from billing.money import DEFAULT_ROUNDING, Rounding, as_fraction
from billing.tariffs import engine
from billing.tariffs.api import REGISTERS, price_consumption
from tests.billing.tariffs.test_properties import FAST, _cum, cumulatives, intervals, plans, rates


def _piece_by_piece(plan, start, end, kwh, *, period_energy=None, cumulative_before=0):
    """The engine's loop before the pieces were joined (commit before issue 12's bulk demo)."""
    start, end = engine._local(start, "start"), engine._local(end, "end")
    total, cum = as_fraction(kwh, "kwh"), as_fraction(cumulative_before, "cumulative_before")
    atoms = engine._atoms(plan, start, end)
    pieces = engine._spread(atoms, total, period_energy)
    sums: engine._Sums = {}
    for i, a in enumerate(atoms):
        if i and engine._cycle_starts_at(a.version, a.start):
            cum = Fraction(0)
        for rate, energy in pieces[i]:
            cum = engine._walk_tiers(a.version, rate, energy, cum, sums)
    if engine._cycle_starts_at(plan.version_at(end), end):
        cum = Fraction(0)
    return engine._charge(sums, total, Rounding(DEFAULT_ROUNDING), cum)


@FAST
@given(plans, intervals, rates, cumulatives)
def test_joined_walks_charge_what_piece_by_piece_walks_charge(plan, interval, per_us, cum):
    start, length = interval
    end = start + timedelta(microseconds=length)
    cum = _cum(plan, start, cum)
    kwh = per_us * length
    assert price_consumption(plan, start, end, kwh, cumulative_before=cum) == \
        _piece_by_piece(plan, start, end, kwh, cumulative_before=cum)


@FAST
@given(plans, intervals, st.lists(st.integers(0, 10**5), min_size=4, max_size=4), cumulatives)
def test_joined_walks_with_registers(plan, interval, milli, cum):
    start, length = interval
    end = start + timedelta(microseconds=length)
    cum = _cum(plan, start, cum)
    registers = {k: Fraction(m, 1000) for k, m in zip(sorted(REGISTERS), milli, strict=True)}
    kwh = sum(registers.values(), Fraction(0))
    assert price_consumption(plan, start, end, kwh, period_energy=registers, cumulative_before=cum) == \
        _piece_by_piece(plan, start, end, kwh, period_energy=registers, cumulative_before=cum)


def test_a_cycle_start_in_an_atom_without_a_piece_still_starts_the_cycle():
    """Across 1 March 00:00 (valley) with no energy on the valley register (nor on sharp, which
    these workdays do not have: a register without its rate is spread over every atom), the atom
    where the cycle starts has no piece of its own: the next piece must still start from an
    empty cycle, not be joined to the flat piece before midnight."""
    from datetime import datetime

    from tests.billing.tariffs import plans as P

    idle = {k for k, v in REGISTERS.items() if v in ("valley", "sharp")}
    for plan in (P.TIERED_TOU, P.TOU_PLAN):
        start, end = datetime(2024, 2, 29, 20, 0), datetime(2024, 3, 1, 12, 0)
        registers = {k: Fraction(0 if k in idle else 150) for k in REGISTERS}
        kwh = sum(registers.values(), Fraction(0))
        got = price_consumption(plan, start, end, kwh, period_energy=registers, cumulative_before=190)
        assert got == _piece_by_piece(plan, start, end, kwh, period_energy=registers, cumulative_before=190)
