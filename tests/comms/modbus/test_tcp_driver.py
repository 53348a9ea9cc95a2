"""ModbusDriver over Modbus TCP against pymodbus's own ModbusTcpServer on 127.0.0.1."""
from __future__ import annotations

import socket
import time
from datetime import datetime
from decimal import Decimal

import pytest

from comms.drivers.modbus import ModbusDriver
from comms.errors import LinkError, MeterRefused, NoReply, Unsupported
from comms.interfaces import MeterConfig
from comms.links.modbus import TcpLink
from models.errors import InvalidInput

from .conftest import SDM630_VALUES


def _driver(url, unit, profile, **options):
    return ModbusDriver(MeterConfig("modbus", str(unit), profile=profile, options=options), url)


@pytest.fixture
def sdm630(tcp_server):
    driver = _driver(tcp_server.url, 1, "eastron-sdm630")
    yield driver
    driver.close()


@pytest.fixture
def sim(tcp_server):
    driver = _driver(tcp_server.url, 2, "meterstation-sim-prepaid")
    yield driver
    driver.close()


def test_sdm630_values(sdm630):
    wanted = list(SDM630_VALUES) + ["power_l1", "energy_export"]
    readings = sdm630.read(wanted)
    assert list(readings) == wanted
    for name, value in SDM630_VALUES.items():
        assert readings[name].value == value, name
        assert isinstance(readings[name].value, Decimal)
    assert readings["power"].unit == "kW" and readings["voltage"].unit == "V"
    assert readings["energy_export"].value == Decimal("0.00")


def test_quantities_outside_the_profile(sdm630):
    assert sdm630.read(["balance", "voltage"]).keys() == {"voltage"}   # left out, as in 645
    with pytest.raises(Unsupported, match="Unknown quantity bogus"):
        sdm630.read(["bogus"])
    with pytest.raises(Unsupported, match="has no action trip"):
        sdm630.control("trip")
    with pytest.raises(Unsupported, match="cannot take purchases"):
        sdm630.recharge(Decimal("10"), 1)
    with pytest.raises(Unsupported, match="has no clock"):
        sdm630.sync_clock(datetime(2025, 1, 1))


def test_undefined_register_is_refused(tcp_server):
    # unit 2 is the sim prepaid meter: it has no input registers at SDM addresses
    driver = _driver(tcp_server.url, 2, "eastron-sdm630")
    try:
        with pytest.raises(MeterRefused, match=r"exception 02 \(illegal data address\)") as err:
            driver.read(["voltage"])
        assert err.value.details["exception_code"] == 2
    finally:
        driver.close()


def test_prepaid_reading_consumption_and_relay(sim, clock):
    first = sim.read(["energy", "energy_t3", "balance", "relay", "price", "purchase_count"])
    assert first["balance"].value == Decimal("10.00") and first["relay"].value == "closed"
    assert first["price"].value == Decimal("0.5000") and first["price"].unit == "CNY/kWh"
    clock.advance(1800)                                   # 2 kW for half an hour
    later = sim.read(["energy", "energy_t3", "balance"])
    assert later["energy"].value == Decimal("1.00") == later["energy_t3"].value
    assert later["balance"].value == Decimal("9.50")
    assert sim.control("trip").confirmed
    assert sim.read(["relay", "power"])["relay"].value == "open"
    clock.advance(3600)                                   # no consumption while open
    assert sim.read(["balance"])["balance"].value == Decimal("9.50")
    result = sim.control("close")
    assert (result.accepted, result.confirmed) == (True, True)


def test_recharge_applied_exactly_once(sim, prepaid):
    done = sim.recharge(Decimal("50.00"), 1)
    assert (done.applied, done.purchase_count, done.balance) == (True, 1, Decimal("60.00"))
    again = sim.recharge(Decimal("50.00"), 1)
    assert (again.applied, again.purchase_count, again.balance) == (False, 1, Decimal("60.00"))
    with pytest.raises(MeterRefused, match="purchase count 1; purchase 3 must wait"):
        sim.recharge(Decimal("5"), 3)
    with pytest.raises(InvalidInput, match="Purchase amount 0.001 is not valid"):
        sim.recharge(Decimal("0.001"), 2)
    assert prepaid.purchase_count == 1 and prepaid.balance == Decimal("60.00")


def test_arrears_trip_and_purchase_restores_power(sim, clock):
    clock.advance(10 * 3600)                              # 20 kWh at 0.5 > 10.00 yuan
    state = sim.read(["balance", "relay"])
    assert state["relay"].value == "open" and state["balance"].value == Decimal("0.00")
    refused = sim.control("close")                        # no money: the relay stays open
    assert (refused.accepted, refused.confirmed) == (True, False)
    assert "still open" in refused.detail
    sim.recharge(Decimal("20.00"), 1)
    assert sim.read(["relay"])["relay"].value == "closed"


def test_clock(sim):
    sim.sync_clock(datetime(2025, 3, 4, 5, 6, 7))
    assert sim.read_clock() == datetime(2025, 3, 4, 5, 6, 7)


def test_refused_port_is_a_link_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]                     # bound, not listening: refused
        driver = _driver(f"modbus-tcp://127.0.0.1:{port}", 1, "eastron-sdm630")
        with pytest.raises(LinkError, match=rf"Cannot connect to the Modbus TCP server "
                                            rf"127.0.0.1:{port}"):
            driver.read(["voltage"])
        driver.close()


def test_unknown_host_is_a_link_error():
    start = time.monotonic()
    with TcpLink("modbus-tcp://no-such-host.invalid:502", timeout=1, retries=0) as link:
        with pytest.raises(LinkError, match="no-such-host.invalid:502"):
            link.read(1, 3, 0, 1)
    assert time.monotonic() - start < 10


def test_silent_server_is_no_reply():
    with socket.socket() as listener:                     # accepts, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        url = f"modbus-tcp://127.0.0.1:{listener.getsockname()[1]}"
        driver = _driver(url, 1, "eastron-sdm630", timeout="0.2", retries="0")
        with pytest.raises(NoReply, match="did not answer"):
            driver.read(["voltage"])
        driver.close()


def test_bad_configuration():
    with pytest.raises(InvalidInput, match="unit id 300 is not valid"):
        _driver("modbus-tcp://127.0.0.1:1", 300, "eastron-sdm630")
    with pytest.raises(InvalidInput, match="has no device profile"):
        ModbusDriver(MeterConfig("modbus", "1"), "modbus-tcp://127.0.0.1:1")
    with pytest.raises(LinkError, match="not a Modbus TCP link"):
        TcpLink("tcp://127.0.0.1:1")
    with pytest.raises(InvalidInput, match="needs a channel or a link URL"):
        ModbusDriver(MeterConfig("modbus", "1", profile="eastron-sdm630"), 42)


def test_unconfirmed_actions_need_the_option(tcp_server):
    acrel = _driver(tcp_server.url, 2, "acrel-ddsy1352")
    try:
        with pytest.raises(InvalidInput, match="unconfirmed_registers=allow"):
            acrel.control("trip")
    finally:
        acrel.close()


def test_unconfirmed_action_allowed_but_refused_by_this_meter(tcp_server):
    acrel = _driver(tcp_server.url, 2, "acrel-ddsy1352", unconfirmed_registers="allow")
    try:
        result = acrel.control("trip")          # the sim meter has no register 0x0057
        assert (result.accepted, result.confirmed) == (False, False)
        assert "exception 02" in result.detail
    finally:
        acrel.close()
