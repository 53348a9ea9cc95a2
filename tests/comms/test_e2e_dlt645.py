"""DL/T 645 end to end: driver -> Channel -> TcpTransport/SerialTransport -> simulator."""
from __future__ import annotations

import time
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from comms.errors import MeterRefused, Unsupported

A1, A2 = "000000000001", "000000000002"


def test_reads_follow_consumption(sim, connect, clock):
    server = sim(f"dlt645-2007:{A1}-{A2}/kw=2/balance=100/price=0.5")
    drv = connect(server.url, "dlt645-2007", A1)
    clock.advance(3600)
    got = drv.read(["energy", "balance", "relay", "voltage", "current", "power", "pf",
                    "frequency", "purchase_count", "status"])
    values = {q: r.value for q, r in got.items()}
    assert values["energy"] == Decimal("2.00")
    assert values["balance"] == Decimal("99.00")
    assert values["relay"] == "closed"
    assert values["voltage"] == Decimal("220.0")
    assert values["power"] == Decimal("2.0000")
    assert values["current"] == Decimal("9.569")
    assert values["pf"] == Decimal("0.950") and values["frequency"] == Decimal("50.00")
    assert values["purchase_count"] == 0
    assert values["status"] == "0200"
    assert got["energy"].unit == "kWh" and got["balance"].unit == "CNY"


def test_energy_block_with_follow_up_frames(sim, connect, clock):
    server = sim(f"dlt645-2007:{A1}/kw=1/split=1")
    drv = connect(server.url, "dlt645-2007", A1)
    clock.advance(7200)
    got = drv.read(["energy", "energy_t1", "energy_t2"])
    assert {q: r.value for q, r in got.items()} == {
        "energy": Decimal("2.00"), "energy_t1": Decimal("2.00"), "energy_t2": Decimal("0.00")}


def test_trip_and_close_confirmed(sim, connect):
    server = sim(f"dlt645-2007:{A1}")
    drv = connect(server.url, "dlt645-2007", A1)
    result = drv.control("trip")
    assert result.accepted and result.confirmed
    assert drv.read(["relay"])["relay"].value == "open"
    assert server.bus.meter(A1).command_open
    result = drv.control("close")
    assert result.accepted and result.confirmed
    assert drv.read(["relay"])["relay"].value == "closed"


def test_balance_runs_out_and_keep_power(sim, connect, clock):
    server = sim(f"dlt645-2007:{A1}/kw=1/balance=1/price=1")
    drv = connect(server.url, "dlt645-2007", A1)
    assert drv.control("keep-power").confirmed
    clock.advance(7200)
    got = drv.read(["relay", "balance"])
    assert got["relay"].value == "closed" and got["balance"].value == Decimal("-1.00")
    assert drv.control("keep-power-off").confirmed
    assert drv.read(["relay"])["relay"].value == "open"
    closing = drv.control("close")          # no money left: accepted, relay stays open
    assert closing.accepted and not closing.confirmed and closing.detail


def test_recharge_applied_exactly_once(sim, connect, clock):
    server = sim(f"dlt645-2007:{A1}/kw=1/balance=0.5")
    drv = connect(server.url, "dlt645-2007", A1)
    clock.advance(3600)
    assert drv.read(["relay"])["relay"].value == "open"
    first = drv.recharge(Decimal("50.00"), 1)
    assert first.applied and first.purchase_count == 1
    assert first.balance == Decimal("49.50")
    again = drv.recharge(Decimal("50.00"), 1)
    assert not again.applied and again.purchase_count == 1 and again.balance == Decimal("49.50")
    assert drv.read(["relay"])["relay"].value == "closed"
    with pytest.raises(MeterRefused):
        drv.recharge(Decimal("10.00"), 3)
    assert server.bus.meter(A1).purchase_count == 1


def test_wrong_password_is_refused(sim, connect):
    server = sim(f"dlt645-2007:{A1}")
    drv = connect(server.url, "dlt645-2007", A1, password="123456")
    result = drv.control("trip")
    assert not result.accepted and not result.confirmed
    assert "password" in result.detail
    with pytest.raises(MeterRefused):
        drv.recharge(Decimal("1.00"), 1)


def test_sync_clock_and_frozen(sim, connect, clock):
    server = sim(f"dlt645-2007:{A1}-{A2}/kw=1")
    drv = connect(server.url, "dlt645-2007", A1)
    when = datetime(2030, 1, 2, 3, 4, 5)
    drv.sync_clock(when)
    meter = server.bus.meter(A1)
    deadline = datetime.now() + timedelta(seconds=2)
    while abs(meter.wall.now() - when) > timedelta(seconds=5) and datetime.now() < deadline:
        time.sleep(0.01)
    assert abs(meter.wall.now() - when) < timedelta(seconds=5)
    assert abs(server.bus.meter(A2).wall.now() - when) < timedelta(seconds=5)
    clock.advance(3600)
    meter.freeze_daily()
    meter.freeze_monthly()
    daily = drv.read_frozen("daily", 1)
    assert daily["energy"].value == Decimal("1.00") and daily["energy_t1"].value == Decimal("1.00")
    assert drv.read_frozen("monthly", 1)["energy"].value == Decimal("1.00")
    with pytest.raises(MeterRefused):
        drv.read_frozen("daily", 2)


def test_1997_meter(sim, connect, clock):
    server = sim(f"dlt645-1997:{A1}/kw=3")
    drv = connect(server.url, "dlt645-1997", A1)
    clock.advance(3600)
    got = drv.read(["energy", "voltage", "current", "balance", "relay"])
    assert got["energy"].value == Decimal("3.00") and got["voltage"].value == Decimal(220)
    assert "balance" not in got and "relay" not in got
    with pytest.raises(Unsupported):
        drv.control("trip")


def test_unsupported_and_non_prepaid(sim, connect):
    server = sim(f"dlt645-2007:{A1}/prepaid=0")
    drv = connect(server.url, "dlt645-2007", A1)
    assert "balance" not in drv.read(["balance", "energy"])
    with pytest.raises(Unsupported):
        drv.control("valve-open")
    with pytest.raises(Unsupported):
        drv.read(["no-such-quantity"])


def test_over_pty(sim, connect, clock):
    server = sim(f"dlt645-2007:{A1}/kw=2", pty=True)
    assert server.url.startswith("serial:///dev/")
    drv = connect(server.url, "dlt645-2007", A1)
    clock.advance(1800)
    assert drv.read(["energy"])["energy"].value == Decimal("1.00")
    assert drv.control("trip").confirmed
    assert drv.control("close").confirmed
    assert drv.recharge(Decimal("5.00"), 1).applied


def test_driver_keeps_nothing_for_the_cyclic_collector(sim, connect, clock):
    """A driver lives per meter for as long as the program polls: what it keeps of its reads (the
    echo each reply must carry) is plain data the collector stops tracking once it has seen it.
    As closures it was four tracked objects an echo, 180,000 at 10,000 meters for the GUI
    thread's full collection to walk (ui.gui_main.collect_garbage_on_gui_thread)."""
    import gc

    server = sim(f"dlt645-2007:{A1}/split=1")
    drv = connect(server.url, "dlt645-2007", A1)
    for _ in range(2):
        drv.read(["energy", "energy_t1", "voltage", "current", "power"])   # incl. a follow-up frame
    gc.collect(1)                                   # a young collection, as the program runs them
    assert len(drv._reads) >= 4                     # the requests kept per DI (issue 12)
    kept = list(drv._reads.items()) + list((drv._echoes or {}).items())
    assert not [e for key, e in kept if gc.is_tracked(key) or gc.is_tracked(e)]
