"""CJ/T 188 end to end over TCP and a pty."""
from __future__ import annotations

from decimal import Decimal

import pytest

from comms.errors import Unsupported

W1, W2 = "00000000000001", "00000000000002"


@pytest.mark.parametrize("pty", [False, True], ids=["tcp", "pty"])
def test_water_meter_read_and_valve(sim, connect, clock, pty):
    server = sim(f"cjt188:{W1}-{W2}/flow=2", pty=pty)
    drv = connect(server.url, "cjt188", W1)
    clock.advance(1800)
    got = drv.read(["volume", "valve", "status"])
    assert got["volume"].value == Decimal("1.00") and got["volume"].unit == "m3"
    assert got["valve"].value == "open" and got["status"].value == "0000"
    result = drv.control("valve-close")
    assert result.accepted and result.confirmed
    clock.advance(3600)
    got = drv.read(["volume", "valve", "status"])
    assert got["valve"].value == "closed" and got["volume"].value == Decimal("1.00")
    assert got["status"].value == "0100"
    assert drv.control("valve-open").confirmed
    assert server.bus.meter(W1).valve_open and server.bus.meter(W2).valve_open


def test_little_endian_meter_and_request_order(sim, connect, clock):
    server = sim(f"cjt188:{W1}/di_order=little/flow=1")
    clock.advance(3600)
    for order in ("big", "little"):
        drv = connect(server.url, "cjt188", W1, di_order=order)
        assert drv.read(["volume"])["volume"].value == Decimal("1.00")
    assert drv.control("valve-close").confirmed


@pytest.mark.parametrize("layout", ["value-unit", "unit-value"])
def test_heat_meter_layouts(sim, connect, clock, layout):
    server = sim(f"cjt188:{W1}/heat=1/type=20/layout={layout}/flow=0.5")
    drv = connect(server.url, "cjt188", W1, meter_type="20")
    clock.advance(3600)
    data = drv.read_data()
    assert data.layout == layout
    got = drv.read(["volume", "energy", "valve"])
    assert got["volume"].value == Decimal("0.50") and got["energy"].value == Decimal("5.00")


def test_electric_actions_unsupported(sim, connect):
    server = sim(f"cjt188:{W1}")
    drv = connect(server.url, "cjt188", W1)
    with pytest.raises(Unsupported):
        drv.control("trip")
    assert drv.read(["balance"]) == {}
