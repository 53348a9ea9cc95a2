"""Tiered (阶梯) pricing through the real settlement path (issue 14): readings committed by the
poller are settled by billing.automation.settle_after_read.settle_readings, on SQLite and
PostgreSQL. A month read many times is charged what it costs read once, and a span crossing
a month start is cut there, its use shared in proportion to time (no reading at the boundary).
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.automation.settle_after_read import settle_readings
from billing.lookup import find_account, find_meter
from billing.money import Rounding
from billing.pricing import preview_in
from billing.sales import sell
from billing.tariffs import plan_store
from billing.units import to_milli
from models.archive import Reading
from models.ledger import TierCycle
from tests.billing import factories as f
from tests.billing.helpers import check_books, entries
from tests.billing.tariffs import plans as P
from tests.billing.tariffs.test_additivity import read_and_charge, unsplit_charge

SMALL = [{"upto": "1.5", "price": "1.0000"}, {"upto": "2.5", "price": "1.2000"}, {"price": "1.6000"}]
REAL = [{"upto": "200", "price": "0.5000"}, {"upto": "400", "price": "0.5500"}, {"price": "0.8000"}]


def local(y, mo, d, h=0, mi=0) -> datetime:
    return datetime(y, mo, d, h, mi).astimezone().astimezone(UTC)


def tiered_account(db, root, name, steps):
    plan_store.add_version(db, root, name, {"kind": "tiered", "tiers": {"basis": "monthly", "steps": steps}})
    view = f.account(db, root, tariff=name, reading="0")
    return view.number, view.meters[0]


def read(db, meter, at, kwh) -> D:
    """The poller commits a reading and settles it; returns what was charged."""
    with db.write() as s:
        r = Reading(meter_id=find_meter(s, meter).id, at=at, energy_milli=to_milli(kwh), source="poll")
        s.add(r)
        s.flush()
        rid = r.id
    return D(settle_readings(db, [rid], now=at).fen) / 100


def balance(db, number) -> D:
    from models.accounts import Account

    with db.read() as s:
        return D(s.scalar(sa.select(Account.balance_fen).where(Account.number == number))) / 100


def charges(db, number) -> list[D]:
    return [D(-e.amount_fen) / 100 for e in entries(db, number) if e.kind == "consumption"]


def test_four_readings_of_one_kwh_cost_what_the_month_costs(db, root):
    number, meter = tiered_account(db, root, "small", SMALL)
    sell(db, root, number, D("10.00"), method="cash")
    read(db, meter, local(2027, 3, 1, 8), "0")                # the span restarts on the 1st
    got = [read(db, meter, local(2027, 3, 1 + i, 9), str(i)) for i in (1, 2, 3, 4)]
    assert got == [D("1.00"), D("1.10"), D("1.40"), D("1.60")]          # 5.10, as one reading
    assert sum(got) == D("5.10")
    assert balance(db, number) == D("4.90")
    check_books(db)


def test_realistic_tiers_and_a_span_across_the_month_end(db, root):
    number, meter = tiered_account(db, root, "real", REAL)
    read(db, meter, local(2027, 3, 1), "0")
    got = [read(db, meter, local(2027, 3, d, 12), kwh) for d, kwh in ((5, "150"), (12, "300"), (20, "450"))]
    assert got == [D("75.00"), D("80.00"), D("95.00")]       # 250.00 = 450 kWh read once
    with db.read() as s:                                      # the sale preview agrees: tier 3
        after = preview_in(s, find_account(s, number), energy=D("10"), when=local(2027, 3, 20, 12))
    assert after.amount == D("8.00")
    # 450 -> 460 from 31 March 20:00 to 1 April 04:00: 4 h in each month, so 5 kWh at March's
    # third tier (0.80) and 5 kWh at April's first (0.50); then April goes on from 5 kWh
    assert read(db, meter, local(2027, 3, 31, 20), "450") == D("0.00")
    assert read(db, meter, local(2027, 4, 1, 4), "460") == D("6.50")
    assert read(db, meter, local(2027, 4, 9), "660") == D("100.25")     # 195*0.50 + 5*0.55
    with db.read() as s:
        cycles = {(c.cycle_start.month, D(c.energy)) for c in s.execute(sa.select(TierCycle)).scalars()}
    assert cycles == {(3, D("455")), (4, D("205"))}
    assert sum(charges(db, number)) == D("75") + D("80") + D("95") + D("6.50") + D("100.25")
    check_books(db)


def test_a_span_ending_at_the_month_start_is_all_the_old_month(db, root):
    number, meter = tiered_account(db, root, "real2", REAL)
    read(db, meter, local(2027, 5, 1), "0")
    read(db, meter, local(2027, 5, 20), "450")
    assert read(db, meter, local(2027, 6, 1), "460") == D("8.00")      # 10 kWh at 0.80, in May
    assert read(db, meter, local(2027, 6, 2), "470") == D("5.00")      # June starts at 0.50


def test_two_meters_share_the_account_tiers(db, root):
    plan_store.add_version(db, root, "real3", {"kind": "tiered", "tiers": {"basis": "monthly", "steps": REAL}})
    view = f.account(db, root, tariff="real3", reading="0", meters=2)
    a, b = view.meters
    read(db, a, local(2027, 7, 1), "0")
    read(db, b, local(2027, 7, 1), "0")
    t = local(2027, 7, 2)
    got = []
    for i in range(1, 7):                      # interleaved readings, 100 kWh each
        got.append(read(db, a if i % 2 else b, t + timedelta(hours=i), str(100 * ((i + 1) // 2))))
    assert got == [D("50.00"), D("50.00"), D("55.00"), D("55.00"), D("80.00"), D("80.00")]
    assert sum(got) == D("370.00")             # 600 kWh read once: 100 + 110 + 160


DB_PLANS = {"flat": {"kind": "flat", "price": "0.5283"},
            "tiered": {"kind": "tiered", "tiers": {"basis": "monthly", "steps": REAL}},
            "tiered_add": {"kind": "tiered", "price": "0.5000", "tiers": P.MONTHLY_ADD},
            "yearly": {"kind": "tiered", "price": "0.5000", "tiers": P.YEARLY_ADD},
            "tiered_tou": {"kind": "tiered_tou", "tou": P.TOU, "tiers": P.MONTHLY_ADD}}
_names = iter(range(10**6))


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(kind=st.sampled_from(sorted(DB_PLANS)),
       start=st.datetimes(min_value=datetime(2027, 1, 1), max_value=datetime(2027, 12, 1)),
       steps=st.lists(st.tuples(st.integers(60, 20 * 86400), st.integers(0, 300_000)), min_size=1, max_size=6))
def test_settled_readings_add_up_to_the_unsplit_history(db, root, kind, start, steps):
    """Any readings of one meter, settled one by one, cost what the history read once costs."""
    name = f"{kind}-{next(_names)}"
    plan_store.add_version(db, root, name, DB_PLANS[kind])
    view = f.account(db, root, tariff=name, reading="0")
    meter = view.meters[0]
    t0 = start.astimezone().astimezone(UTC)
    read(db, meter, t0, "0")
    t, milli, got = t0, 0, D("0.00")
    for seconds, wh in steps:
        t, milli = t + timedelta(seconds=seconds), milli + wh
        got += read(db, meter, t, str(D(milli) / 1000))
    whole = P.load(P.plan({"effective": "2000-01-01T00:00", **DB_PLANS[kind]})["versions"][0])
    us = (t - t0) // timedelta(microseconds=1)
    expected = unsplit_charge(whole, t0.astimezone().replace(tzinfo=None), [(us, D(milli) / 1000)],
                              Rounding.HALF_UP) if len(steps) == 1 else None
    assert sum(charges(db, view.number)) == got
    if expected is not None:
        assert got == expected
    # the same history read by the station at every reading, as the engine alone charges it
    readings = [(t0.astimezone().replace(tzinfo=None) + timedelta(seconds=sum(x for x, _w in steps[:i + 1])),
                 D(steps[i][1]) / 1000) for i in range(len(steps))]
    assert got == sum(read_and_charge(whole, t0.astimezone().replace(tzinfo=None), readings, Rounding.HALF_UP),
                      D("0.00"))
