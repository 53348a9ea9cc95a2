"""Settlement after each reading: charged once per interval, flagged readings never, postpaid
left for the bill, and a station that was off charges exactly what the meter measured."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from billing.automation.settle_after_read import settle_readings
from models.archive import Meter, Reading
from models.ledger import LedgerEntry
from tests.billing.automation.conftest import (
    add_link,
    add_meter,
    balance,
    local,
    open_prepaid,
    runtime,
)

A1, A2 = "000000000001", "000000000002"


def _consumption(db, number):
    from models.accounts import Account

    with db.read() as s:
        return s.execute(sa.select(LedgerEntry.amount_fen, LedgerEntry.period_key)
                         .join(Account, Account.id == LedgerEntry.account_id)
                         .where(Account.number == number, LedgerEntry.kind == "consumption")
                         .order_by(LedgerEntry.id)).all()


def test_rerunning_settlement_never_charges_twice(db, superadmin, bus_sim, sim_clock):
    server = bus_sim(f"dlt645-2007:{A1}/kw=2/prepaid=0")
    meter = add_meter(db, add_link(db, server.url), A1)
    account = open_prepaid(db, superadmin, [meter], arrears="never")
    rt = runtime(db)
    try:
        sim_clock.advance(3600)                           # 2 kWh
        rt.run_once()
        rt.run_once()                                     # same reading again: nothing
        assert _consumption(db, account) == [(-200, f"m{_id(db, meter)}:0-2000")]
        with db.read() as s:
            ids = list(s.execute(sa.select(Reading.id)).scalars())
        settle_readings(db, ids, now=local(2026, 11, 20, 11))   # replaying every reading: nothing
        assert balance(db, account) == Decimal("-2.00")
        assert len(_consumption(db, account)) == 1
    finally:
        rt.stop()


def _id(db, number):
    with db.read() as s:
        return s.scalar(sa.select(Meter.id).where(Meter.number == number))


def test_station_off_charges_what_the_meter_measured(db, superadmin, bus_sim, sim_clock):
    server = bus_sim(f"dlt645-2007:{A1}/kw=1/prepaid=0")
    meter = add_meter(db, add_link(db, server.url), A1)
    account = open_prepaid(db, superadmin, [meter], arrears="never")
    rt = runtime(db)
    try:
        sim_clock.advance(3600)
        rt.run_once()
        assert balance(db, account) == Decimal("-1.00")
    finally:
        rt.stop()
    sim_meter = server.bus.meter(A1)                      # station off for 3 days; the load too
    sim_meter.advance()
    sim_meter.relay_open = True
    sim_clock.advance(3 * 86400)
    sim_meter.advance()
    sim_meter.relay_open = False
    sim_clock.advance(2 * 3600)                           # 2 kWh measured in 3 days
    rt = runtime(db)
    try:
        rt.run_once()
    finally:
        rt.stop()
    assert balance(db, account) == Decimal("-3.00")      # 1 + 2, not 3 days estimated
    assert [p for _f, p in _consumption(db, account)] == [f"m{_id(db, meter)}:0-1000",
                                                          f"m{_id(db, meter)}:1000-3000"]


def test_flagged_readings_and_postpaid_are_not_charged(db, superadmin):
    meter = add_meter(db, None, A1)
    post = add_meter(db, None, A2)
    account = open_prepaid(db, superadmin, [meter], arrears="never")
    bill = open_prepaid(db, superadmin, [post], arrears="never", mode="postpaid")
    at = datetime.now(UTC) + timedelta(minutes=1)      # after the accounts were opened
    with db.write() as s:
        r1 = Reading(meter_id=_id(db, meter), at=at, energy_milli=5000, flag="jump")
        r2 = Reading(meter_id=_id(db, post), at=at, energy_milli=5000)
        s.add_all([r1, r2])
        s.flush()
        ids = [r1.id, r2.id]
    result = settle_readings(db, ids, now=at)
    assert result.charged == 0
    assert balance(db, account) == balance(db, bill) == Decimal("0.00")
    with db.write() as s:
        r3 = Reading(meter_id=_id(db, meter), at=at + timedelta(minutes=1), energy_milli=1500)
        s.add(r3)
        s.flush()
        ids = [r3.id]
    assert settle_readings(db, ids, now=at).charged == 1
    assert balance(db, account) == Decimal("-1.50")
