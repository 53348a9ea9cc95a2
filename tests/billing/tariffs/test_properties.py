"""Properties of the engine over generated intervals, plans, amounts and energies."""
from __future__ import annotations

import decimal
from datetime import datetime as dt
from datetime import timedelta
from decimal import Decimal as D
from fractions import Fraction as F

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.money import Rounding, from_fen, parse_amount, round_money, to_fen
from billing.tariffs.api import REGISTERS, amount_for_energy, energy_for_amount, price_consumption
from tests.billing.tariffs import plans as P

# a plan whose versions change kind at odd moments, to cross version boundaries
VERSIONED = P.load(P.TIERED_TOU_V,
                   {"effective": "2024-05-10T13:17", "kind": "flat", "price": "0.6123"},
                   P.YEARLY_V | {"effective": "2024-09-01T00:00"},
                   P.TOU_V | {"effective": "2025-01-15T06:00"})
PLANS = [P.FLAT, P.TOU_PLAN, P.TIERED, P.TIERED_ABS, P.YEARLY, P.TIERED_TOU, VERSIONED]
MIN_PRICE = D("0.3")                 # the cheapest unit price in these plans (valley)
RULES = list(Rounding)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

plans = st.sampled_from(PLANS + [VERSIONED, VERSIONED])
# the boundaries that matter: month and year starts, VERSIONED's changes
anchors = st.sampled_from([dt(2024, m, 1) for m in range(2, 13)] + [dt(2025, 1, 1), dt(2025, 7, 1)]
                          + [v.effective for v in VERSIONED.versions[1:]])
moments = st.one_of(
    st.datetimes(min_value=dt(2024, 1, 1), max_value=dt(2025, 12, 20)),
    st.builds(lambda m, off: m + timedelta(minutes=off), anchors, st.integers(-3 * 1440, 3 * 1440)),
)
_us = st.one_of(st.integers(1, 10**7),                                # microseconds, up to 3 days
                st.builds(lambda m, us: m * 60_000_000 + us, st.integers(0, 3 * 1440 - 1),
                          st.integers(1, 59_999_999)))
# (start, length in microseconds): anywhere, or straddling a boundary
intervals = st.one_of(
    st.tuples(moments, _us.map(lambda us: us + 1)),
    st.builds(lambda a, before, after: (a - timedelta(microseconds=before), before + after),
              anchors, _us, _us),
)
rates = st.integers(0, 5000).map(lambda k: D(k) * D("1e-12"))          # kWh per microsecond
cumulatives = st.integers(0, 5000).map(D)


def _cum(plan, start, cum):
    """cumulative_before must be 0 when a tier cycle starts exactly at start."""
    v = plan.version_at(start)
    at_cycle = start.day == 1 and start.time() == dt.min.time() and (
        start.month == 1 or v.tiers is None or v.tiers.basis == "monthly")
    return D(0) if at_cycle else cum


@FAST
@given(plans, intervals, st.floats(0.01, 0.99), rates, cumulatives)
def test_splitting_an_interval_changes_nothing(plan, interval, where, per_us, cum):
    start, length = interval
    split = max(1, min(length - 1, int(length * where)))
    mid, end = start + timedelta(microseconds=split), start + timedelta(microseconds=length)
    cum = _cum(plan, start, cum)
    kwh_1, kwh_2 = per_us * split, per_us * (length - split)
    whole = price_consumption(plan, start, end, kwh_1 + kwh_2, cumulative_before=cum)
    first = price_consumption(plan, start, mid, kwh_1, cumulative_before=cum)
    second = price_consumption(plan, mid, end, kwh_2, cumulative_before=first.cumulative_after)
    assert first.unrounded + second.unrounded == whole.unrounded
    assert second.cumulative_after == whole.cumulative_after
    assert sum(ln.energy for ln in whole.lines) == F(kwh_1 + kwh_2)
    assert whole.amount == round_money(whole.unrounded)


@FAST
@given(plans, intervals, st.lists(st.integers(0, 10**5), min_size=4, max_size=4), cumulatives)
def test_meter_registers_keep_their_energy_and_rate(plan, interval, hundredths, cum):
    start, length = interval
    end = start + timedelta(microseconds=length)
    registers = {f"t{i + 1}": D(h) / 100 for i, h in enumerate(hundredths)}
    charge = price_consumption(plan, start, end, sum(registers.values()), period_energy=registers,
                               cumulative_before=_cum(plan, start, cum))
    per_rate: dict[str, F] = {}
    for line in charge.lines:
        per_rate[line.rate] = per_rate.get(line.rate, F(0)) + line.energy
    tou_only = all(v.tou is not None for v in plan.versions)
    if tou_only:                          # each register's energy stays on its own rate
        assert {r: e for r, e in per_rate.items() if e} == {
            rate: F(registers[t]) for t, rate in REGISTERS.items() if registers[t]}
    assert sum(per_rate.values(), F(0)) == F(sum(registers.values()))


@FAST
@given(plans, intervals, rates, rates, cumulatives, st.sampled_from(RULES))
def test_amount_is_monotone_in_energy(plan, interval, a, b, cum, rule):
    start, length = interval
    end = start + timedelta(microseconds=length)
    cum = _cum(plan, start, cum)
    low, high = sorted([a * length, b * length])
    c_low = price_consumption(plan, start, end, low, cumulative_before=cum, rule=rule)
    c_high = price_consumption(plan, start, end, high, cumulative_before=cum, rule=rule)
    assert c_low.unrounded <= c_high.unrounded
    assert c_low.amount <= c_high.amount


@FAST
@given(plans, moments, st.integers(0, 10**7), cumulatives, st.sampled_from(RULES))
def test_amount_for_the_energy_an_amount_buys_is_not_more(plan, when, fen, cum, rule):
    amount = from_fen(fen)
    energy = energy_for_amount(plan, when, amount, cum)
    assert amount_for_energy(plan, when, energy, cum, rule=rule) <= amount


@FAST
@given(plans, moments, st.integers(0, 10**6), cumulatives, st.sampled_from(RULES))
def test_energy_for_the_price_of_an_energy_is_nearly_it(plan, when, hundredths, cum, rule):
    energy = D(hundredths) / 100
    amount = amount_for_energy(plan, when, energy, cum, rule=rule)
    back = energy_for_amount(plan, when, amount, cum)
    # lost at most: the rounding of the amount (half a fen, or a fen down) at the cheapest price,
    # plus the rounding down of the energy to 0.01
    lost = (D("0.01") if rule is Rounding.DOWN else D("0.005")) / MIN_PRICE + D("0.01")
    assert back >= energy - lost


@FAST
@given(st.integers(-10**12, 10**12), st.integers(0, 8), st.sampled_from(RULES))
def test_round_money_agrees_with_decimal_quantize(units, places, rule):
    value = D(units).scaleb(-places)
    mode = {Rounding.HALF_UP: decimal.ROUND_HALF_UP, Rounding.HALF_EVEN: decimal.ROUND_HALF_EVEN,
            Rounding.DOWN: decimal.ROUND_DOWN}[rule]
    expected = value.quantize(D("0.01"), rounding=mode, context=decimal.Context(prec=60))
    assert round_money(value, rule) == expected


@FAST
@given(st.integers(0, 10**7), st.booleans(), st.booleans(), st.booleans())
def test_typed_amounts_round_trip(fen, currency, grouped, wide):
    text = f"{from_fen(fen):,}" if grouped else str(from_fen(fen))
    text = ("¥" if currency else "") + text
    if wide:
        text = text.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})   # full-width forms
    assert to_fen(parse_amount(text)) == fen


@given(st.floats(allow_nan=True, allow_infinity=True))
@settings(max_examples=30, deadline=None)
def test_the_api_refuses_floats(value):
    start, end = dt(2024, 3, 4), dt(2024, 3, 5)
    with pytest.raises(TypeError, match="float"):
        price_consumption(P.TIERED_TOU, start, end, value)
    with pytest.raises(TypeError, match="float"):
        price_consumption(P.TIERED_TOU, start, end, D(1), cumulative_before=value)
    with pytest.raises(TypeError, match="float"):
        price_consumption(P.TIERED_TOU, start, end, D(1), period_energy={"t1": value})
    with pytest.raises(TypeError, match="float"):
        energy_for_amount(P.TIERED_TOU, start, value)
    with pytest.raises(TypeError, match="float"):
        amount_for_energy(P.TIERED_TOU, start, value)
    with pytest.raises(TypeError, match="float"):
        round_money(value)
