"""The outbox contract delivered over a real socket (issues 10 and 15): price and settings
downloads confirmed by read-back, a meter-side refund taking money off the simulated meter, the
relay closed only after the purchase is confirmed, capabilities refused up front."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from archive import service as svc
from billing import control
from billing.accounts_open import MeterOpening, open_account
from billing.refunds import refund
from billing.sales import sell
from models.archive import Meter
from models.errors import InvalidInput
from tests.billing import factories
from tests.comms.polling.conftest import E1, E2, enqueue, item, meter_id, poll_once


def _own_model(db, number: str) -> None:
    with db.write() as s:
        s.execute(sa.update(Meter).where(Meter.number == number).values(profile="meterstation-sim-dlt645"))


def test_price_and_settings_download_confirmed(station, sim):
    db = station
    price = enqueue(db, "E1", "meter.price", {"prices": ["0.5883", "0.6"]})
    settings = enqueue(db, "E1", "meter.settings", {"alarm1": "30", "alarm2": "8"})
    poll_once(db)
    assert item(db, price).state == "done" and item(db, settings).state == "done"
    m = sim.bus.meter(E1)
    assert m.params["04050101"] == Decimal("0.5883") and m.params["04050102"] == Decimal("0.6000")
    assert m.params["04001002"] == Decimal("8.00")


def test_unknown_kind_cannot_be_queued(station):
    with pytest.raises(InvalidInput):
        enqueue(station, "E1", "meter.launch")


def test_clock_sync_set_and_read_back(station, sim):
    db = station
    sim.bus.meter(E1).wall.set(datetime(2001, 1, 1))       # far off: only a C=14 write can fix it
    clock = enqueue(db, "E1", "meter.sync_clock")
    poll_once(db)
    row = item(db, clock)
    assert row.state == "done", row.last_error
    assert abs(sim.bus.meter(E1).wall.now() - datetime.now()) < timedelta(seconds=5)


def test_capability_missing_fails_at_once_not_retried(station, sim):
    db = station
    water_clock = enqueue(db, "W1", "meter.sync_clock")
    plain = enqueue(db, "E2", "meter.recharge", {"amount": "5.00", "purchase_count": 1})
    poll_once(db)
    assert item(db, water_clock).state == "failed" and item(db, water_clock).attempts == 0
    assert item(db, plain).state == "failed" and "03330201" in item(db, plain).last_error
    assert sim.bus.meter(E2).commands_seen == 0


def test_close_waits_for_the_purchase_and_never_runs_if_it_failed(station, sim):
    db = station
    _own_model(db, "E1")
    sim.bus.meter(E1).relay_open = True
    bad = enqueue(db, "E1", "meter.recharge", {"amount": "5.00", "purchase_count": 3})  # meter is at 0
    close = enqueue(db, "E1", "meter.close")
    poll_once(db)
    assert item(db, bad).state != "done"
    assert item(db, close).state in ("pending", "failed") and sim.bus.meter(E1).relay_open
    with db.write() as s:                                    # the purchase gives up
        row = s.get(type(item(db, bad)), bad)
        row.state = "failed"
    poll_once(db)
    assert item(db, close).state == "failed" and "purchase" in item(db, close).last_error
    assert sim.bus.meter(E1).relay_open


def test_meter_side_sale_then_refund_reaches_the_meter(station, sim, superadmin):
    db = station
    _own_model(db, "E1")
    sim.bus.meter(E1).balance = Decimal(0)
    factories.customer(db, "王五")
    acc = open_account(db, superadmin, "王五", [MeterOpening("E1", "0")], mode="meter-prepaid")
    sell(db, superadmin, acc.number, "50.00")
    poll_once(db)
    assert sim.bus.meter(E1).balance == Decimal("50.00")
    refund(db, superadmin, acc.number, "20.00")
    poll_once(db)
    assert sim.bus.meter(E1).balance == Decimal("30.00") and sim.bus.meter(E1).purchase_count == 2


def test_refused_up_front(station, superadmin):
    db = station
    factories.customer(db, "赵六")
    with pytest.raises(InvalidInput, match="03330201"):      # plain DL/T 645: no purchase
        open_account(db, superadmin, "赵六", [MeterOpening("E2", "0")], mode="meter-prepaid")
    with pytest.raises(InvalidInput):                        # a water meter has no clock setting
        control.send_command(db, superadmin, [meter_id(db, "W1")], "sync_clock")
    with pytest.raises(InvalidInput):                        # nor a relay
        control.send_command(db, superadmin, [meter_id(db, "W1")], "trip")
    offered = control.offered_map(db)
    assert "price" in offered[meter_id(db, "E1")] and "price" not in offered[meter_id(db, "W1")]
    assert "valve-close" in offered[meter_id(db, "W1")] and "trip" not in offered[meter_id(db, "W1")]


def test_refund_refused_at_the_counter_when_the_meter_cannot_take_it(db, superadmin, sim):
    svc.add_link(db, superadmin, "bus9", sim.url)
    svc.add_meter(db, superadmin, "P1", address="000000000009", link="bus9", protocol="modbus",
                  profile="meterstation-sim-prepaid", kind="electricity")
    factories.customer(db, "钱七")
    acc = open_account(db, superadmin, "钱七", [MeterOpening("P1", "0")], mode="meter-prepaid")
    sell(db, superadmin, acc.number, "10.00")
    with pytest.raises(InvalidInput, match="P1"):
        refund(db, superadmin, acc.number, "5.00")
    from billing.lookup import find_account
    with db.read() as s:
        assert find_account(s, acc.number).balance_fen == 1000        # no cash paid out
