"""Standard DL/T 645-2007 C=14 parameter writes over a real socket, each read back (issue 15.2/9):
rate prices 040501xx, alarm amounts 04001001/02, overdraft limit 04001003, date/time
04000101/02; wrong password refused with the standard error word; the project's own purchase
and refund convention; heat in GJ/MJ converted to kWh."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from comms.errors import MeterRefused, Unsupported
from comms.polling.command_delivery import execute
from comms.polling.poller import Command

A1 = "000000000001"


def test_price_download_written_and_read_back(sim, connect):
    server = sim(f"dlt645-2007:{A1}/price=1")
    drv = connect(server.url, "dlt645-2007", A1)
    result = execute(drv, Command(1, 1, "price", {"prices": ["0.5883", "0.6", "0.3", "0.25"]}))
    assert result == {"prices": ["0.5883", "0.6000", "0.3000", "0.2500"], "confirmed": True}
    meter = server.bus.meter(A1)
    assert meter.params["04050101"] == Decimal("0.5883") and meter.price == Decimal("0.5883")
    assert drv.read_di("04050104") == Decimal("0.2500")


def test_settings_download_written_and_read_back(sim, connect):
    server = sim(f"dlt645-2007:{A1}")
    drv = connect(server.url, "dlt645-2007", A1)
    result = execute(drv, Command(1, 1, "settings", {"alarm1": "20.00", "alarm2": "5", "overdraft": "10",
                                                     "power_limit": None}))
    assert result["settings"] == {"alarm1": "20.00", "alarm2": "5.00", "overdraft": "10.00"}
    assert server.bus.meter(A1).alarm_limit == Decimal("20.00")
    assert drv.read_di("04001002") == Decimal("5.00")


def test_power_limit_is_not_sourced_for_dlt645(sim, connect):
    server = sim(f"dlt645-2007:{A1}")
    drv = connect(server.url, "dlt645-2007", A1)
    with pytest.raises(Unsupported):
        drv.write_settings({"power_limit": Decimal("5")})
    assert server.bus.meter(A1).commands_seen == 0          # refused before anything was sent


def test_wrong_password_refused_with_the_error_word(sim, connect):
    server = sim(f"dlt645-2007:{A1}")
    server.bus.meter(A1).password = "123456"
    drv = connect(server.url, "dlt645-2007", A1)
    with pytest.raises(MeterRefused) as refused:
        drv.write_prices([Decimal("0.7")])
    assert refused.value.details.get("err") == 0x04
    assert server.bus.meter(A1).params["04050101"] == Decimal("1")
    good = connect(server.url, "dlt645-2007", A1, password="123456")
    assert good.write_prices([Decimal("0.7")]) == [Decimal("0.7000")]


def test_clock_set_with_read_back(sim, connect):
    server = sim(f"dlt645-2007:{A1}")
    meter = server.bus.meter(A1)
    meter.wall.set(datetime.now() - timedelta(hours=3))        # 3 h off: a broadcast would be ignored
    drv = connect(server.url, "dlt645-2007", A1)
    result = drv.set_clock(datetime.now())
    assert result["method"] == "set" and result["confirmed"]
    assert abs((meter.wall.now() - datetime.now()).total_seconds()) < 3


def test_clock_refused_write_far_off_is_not_broadcast(sim, connect):
    server = sim(f"dlt645-2007:{A1}")
    meter = server.bus.meter(A1)
    meter.password = "999999"                                 # the station may not write this meter
    meter.wall.set(datetime.now() - timedelta(hours=3))
    drv = connect(server.url, "dlt645-2007", A1)
    with pytest.raises(MeterRefused, match="5"):
        drv.set_clock(datetime.now())
    assert abs((meter.wall.now() - datetime.now()).total_seconds()) > 3 * 3600 - 10


def test_clock_broadcast_fallback_within_the_window(sim, connect):
    now = datetime.now()
    if now.hour == 0 and now.minute < 11 or now.hour == 23 and now.minute > 48:
        pytest.skip("near midnight the broadcast is not sent (by design)")
    server = sim(f"dlt645-2007:{A1}")
    meter = server.bus.meter(A1)
    meter.password = "999999"
    meter.wall.set(now - timedelta(minutes=2))
    drv = connect(server.url, "dlt645-2007", A1)
    result = drv.set_clock(datetime.now())
    assert result["method"] == "broadcast" and result["confirmed"]
    assert abs((meter.wall.now() - datetime.now()).total_seconds()) < 3


def test_own_convention_purchase_and_refund(sim, connect):
    server = sim(f"dlt645-2007:{A1}/balance=10")
    drv = connect(server.url, "dlt645-2007", A1)
    assert execute(drv, Command(1, 1, "recharge", {"amount": "50.00", "purchase_count": 1}))["applied"]
    result = execute(drv, Command(2, 1, "refund", {"amount": "20.00", "purchase_count": 2}))
    assert result["applied"] and result["purchase_count"] == 2
    meter = server.bus.meter(A1)
    assert meter.balance == Decimal("40.00") and meter.purchase_count == 2
    again = execute(drv, Command(2, 1, "refund", {"amount": "20.00", "purchase_count": 2}))
    assert not again["applied"] and meter.balance == Decimal("40.00")       # applied once
    with pytest.raises(MeterRefused):                                       # more than it holds
        drv.refund(Decimal("100"), 3)
    assert meter.balance == Decimal("40.00")


@pytest.mark.parametrize("unit", ["GJ", "MJ", "kWh"])
def test_heat_energy_in_joules_becomes_kwh(sim, connect, clock, unit):
    server = sim("cjt188:00000000000001/heat=1")
    meter = server.bus.meter("00000000000001")
    meter.heat_unit = unit
    meter.heat_kwh = Decimal("1000")
    drv = connect(server.url, "cjt188", "00000000000001", meter_type="20")
    got = drv.read(["energy"])
    expected = {"GJ": Decimal("1000.000"), "MJ": Decimal("1000.000"), "kWh": Decimal("1000")}[unit]
    assert got["energy"].value == expected and got["energy"].unit == "kWh"
