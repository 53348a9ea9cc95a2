"""ModbusDriver's Modbus RTU path: frames through the link's Channel (comms/links/transaction.py) over
a transparent TCP converter and a pseudo-terminal, against pymodbus's own servers and against
the project's simulator bus shared with DL/T 645 meters."""
from __future__ import annotations

from decimal import Decimal

import pytest
from pymodbus import FramerType

from comms.drivers.factory import make_driver
from comms.drivers.modbus import ModbusDriver
from comms.errors import MeterRefused, NoReply, ProtocolError
from comms.interfaces import MeterConfig
from comms.links.transaction import Channel
from comms.links.transport import open_transport
from comms.simulator import start_simulator
from comms.simulator.modbus_meter import ModbusMeter, PrepaidModel, RegisterModel
from comms.simulator.modbus_server import ModbusSimServer
from models.link_urls import parse_link_url

from .conftest import SDM630_VALUES
from .nullmodem import NullModem

SIM = "meterstation-sim-prepaid"


def _config(unit, profile, **options):
    return MeterConfig("modbus", str(unit), profile=profile, options=options)


def test_rtu_over_tcp_converter(clock):
    units = {1: RegisterModel("eastron-sdm630", SDM630_VALUES), 2: PrepaidModel(clock=clock)}
    with ModbusSimServer(units, framer=FramerType.RTU) as server:
        assert server.url.startswith("tcp://")
        channel = Channel(open_transport(parse_link_url(server.url)))
        try:
            sdm = make_driver(_config(1, "eastron-sdm630"), channel)
            assert isinstance(sdm, ModbusDriver)
            assert sdm.read(["voltage", "energy"])["voltage"].value == Decimal("230.2")
            sim = make_driver(_config(2, SIM), channel)          # same link, another unit
            assert sim.recharge(Decimal("12.34"), 1).balance == Decimal("112.34")
            assert sim.control("trip").confirmed
            with pytest.raises(MeterRefused, match="exception 02"):
                make_driver(_config(2, "chint-ddsu666"), channel).read(["voltage"])
        finally:
            channel.close()


def test_rtu_over_a_pty_pair():
    with NullModem() as (left, right):
        with ModbusSimServer({3: PrepaidModel()}, serial=left) as server:
            driver = ModbusDriver(_config(3, SIM), server.url.replace(left, right))
            try:
                readings = driver.read(["energy", "balance", "relay"])
                assert readings["relay"].value == "closed"
                assert driver.control("trip").confirmed
            finally:
                driver.close()


@pytest.fixture
def mixed_bus(clock):
    """The project's simulator: two Modbus meters and one DL/T 645 meter on one TCP line."""
    spec = ("modbus:1/balance=5/kw=1,modbus:2/profile=eastron-sdm630/voltage=231.7,"
            "dlt645-2007:000000000001")
    with start_simulator(spec, baud=9600, latency=0.005, clock=clock) as sim:
        channel = Channel(open_transport(parse_link_url(sim.url)))
        try:
            yield sim, channel
        finally:
            channel.close()


def test_simulated_meters_share_a_line_with_dlt645(mixed_bus, clock):
    sim, channel = mixed_bus
    prepaid = make_driver(_config(1, SIM), channel)
    sdm = make_driver(_config(2, "eastron-sdm630"), channel)
    dlt = make_driver(MeterConfig("dlt645-2007", "000000000001"), channel)
    assert sdm.read(["voltage"])["voltage"].value == Decimal("231.7")
    assert "energy" in dlt.read(["energy"])
    clock.advance(3600)
    state = prepaid.read(["energy", "balance", "relay"])
    assert state["energy"].value == Decimal("1.00") and state["balance"].value == Decimal("4.50")
    assert prepaid.recharge(Decimal("10"), 1).applied
    assert not prepaid.recharge(Decimal("10"), 1).applied
    assert isinstance(sim.bus.meter("1"), ModbusMeter)


def test_simulated_meter_faults(mixed_bus):
    sim, channel = mixed_bus
    driver = make_driver(_config(1, SIM, timeout="0.3", retries="0"), channel)
    sim.bus.set_fault("1", "silent")
    with pytest.raises(NoReply):
        driver.read(["balance"])
    sim.bus.set_fault("1", "garbled")
    with pytest.raises(ProtocolError):
        driver.read(["balance"])
    sim.bus.set_fault("1", None)
    assert driver.read(["balance"])["balance"].value == Decimal("5.00")


def test_pymodbus_client_reads_the_simulated_meter(clock):
    """Cross-check: pymodbus's own RTU client (through the simulator's TCP "converter") reads
    and writes our simulated meter."""
    from pymodbus.client import ModbusTcpClient

    with start_simulator("modbus:7/balance=8.25", baud=9600, latency=0.005, clock=clock) as sim:
        port = int(sim.url.rsplit(":", 1)[1])
        with ModbusTcpClient("127.0.0.1", port=port, framer=FramerType.RTU, timeout=2,
                             retries=0) as client:
            balance = client.read_holding_registers(0x0010, count=2, device_id=7)
            assert not balance.isError()
            assert client.convert_from_registers(balance.registers,
                                                 client.DATATYPE.INT32) == 825
            assert not client.write_register(0x0016, 1, device_id=7).isError()   # trip
            relay = client.read_holding_registers(0x000F, count=1, device_id=7)
            assert relay.registers == [1]
