"""The simulated Modbus meter on its own: request decoding, replies, prepaid behaviour."""
from __future__ import annotations

import socket
from datetime import datetime
from decimal import Decimal

import pytest
from pymodbus.constants import ExcCodes

from comms.errors import LinkError
from comms.protocols import modbus_rtu as rtu
from comms.simulator.modbus_meter import ModbusMeter, PrepaidModel, RegisterModel
from comms.simulator.modbus_server import ModbusSimServer
from models.errors import InvalidInput


def _ask(meter, request):
    reply = meter.handle(rtu.encode_frame(request))
    return None if reply is None else rtu.decode_frame(reply)


def test_answers_only_its_unit(prepaid):
    meter = ModbusMeter("005", model=prepaid)
    assert meter.address == "005" and meter.unit == 5
    assert _ask(meter, rtu.read_request(4, 3, 0, 2)) is None
    assert _ask(meter, rtu.read_request(5, 3, 0, 2)).registers == [0, 0]
    dlt645 = bytes.fromhex("FEFE68010000000000006811043333343315" + "16")
    assert meter.handle(dlt645) is None
    assert meter.handle(b"\x05\x03\x00") is None                      # truncated
    broken = bytearray(rtu.encode_frame(rtu.read_request(5, 3, 0, 2)))
    broken[-1] ^= 1
    assert meter.handle(bytes(broken)) is None                        # bad CRC: silence


def test_bus_framing_finds_requests_for_any_unit():
    frame = rtu.encode_frame(rtu.write_request(9, 16, 0x20, [0, 100, 0, 1]))
    found, used = ModbusMeter.extract_frame(b"\xFE\x68\x00" + frame)
    assert found == frame and used == 3 + len(frame)


def test_exception_replies(prepaid):
    meter = ModbusMeter(1, model=prepaid)
    missing = _ask(meter, rtu.read_request(1, 4, 0, 2))             # no input registers
    assert missing.isError() and missing.exception_code == ExcCodes.ILLEGAL_ADDRESS
    readonly = _ask(meter, rtu.write_request(1, 6, 0x0010, [5]))      # balance is read-only
    assert readonly.exception_code == ExcCodes.ILLEGAL_ADDRESS
    bad_command = _ask(meter, rtu.write_request(1, 6, 0x0016, [9]))
    assert bad_command.exception_code == ExcCodes.ILLEGAL_VALUE
    coils = rtu.CLIENT_DECODER.lookupPduClass(b"\x01\x01")
    assert coils is not None
    from pymodbus.pdu.bit_message import ReadCoilsRequest
    illegal = _ask(meter, ReadCoilsRequest(address=0, count=1, dev_id=1))
    assert illegal.exception_code == ExcCodes.ILLEGAL_FUNCTION


def test_purchases_apply_once_by_count(prepaid):
    meter = ModbusMeter(1, model=prepaid)
    assert not _ask(meter, rtu.write_request(1, 16, 0x20, [0, 1000, 0, 1])).isError()
    assert prepaid.balance == Decimal("20.00") and prepaid.purchase_count == 1
    repeat = _ask(meter, rtu.write_request(1, 16, 0x20, [0, 1000, 0, 1]))
    assert not repeat.isError() and prepaid.balance == Decimal("20.00")
    skipped = _ask(meter, rtu.write_request(1, 16, 0x20, [0, 1000, 0, 3]))
    assert skipped.exception_code == ExcCodes.ILLEGAL_VALUE
    assert _ask(meter, rtu.read_request(1, 3, 0x20, 4)).registers == [0, 1000, 0, 1]


def test_consumption_trip_and_clock(clock, prepaid):
    clock.advance(5 * 3600)                                           # 10 kWh, 5.00 yuan
    assert prepaid.read(3, 0, 2) == [0, 1000]
    assert prepaid.balance == Decimal("5.00") and prepaid.relay == "closed"
    clock.advance(5 * 3600)
    prepaid.refresh()
    assert prepaid.relay == "open" and prepaid.trip_reason == "arrears"
    assert prepaid.write(0x16, [2]) is None and prepaid.relay == "open"   # no money, no power
    assert prepaid.write(0x30, [2025, 2, 30, 0, 0, 0]) == ExcCodes.ILLEGAL_VALUE
    assert prepaid.write(0x30, [2025, 2, 28, 23, 59, 0]) is None
    clock.advance(61)
    assert prepaid.now() == datetime(2025, 3, 1, 0, 0, 1)


def test_options_from_the_simulator_spec(clock):
    meter = ModbusMeter("2", clock=clock, balance="7.5", price="1", kw="0.5", purchase_count="4")
    assert meter.model.balance == Decimal("7.5") and meter.model.purchase_count == 4
    fixed = ModbusMeter("3", profile="chint-ddsu666", voltage="230.2")
    assert isinstance(fixed.model, RegisterModel)
    with pytest.raises(InvalidInput, match="Simulator option colour is not valid"):
        ModbusMeter("2", colour="red")
    with pytest.raises(InvalidInput, match="unit id 0 is not valid"):
        ModbusMeter("0")


def test_server_reports_a_busy_port():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(LinkError, match=f"could not listen on 127.0.0.1:{port}"):
            ModbusSimServer({1: PrepaidModel()}, port=port).start()


def test_server_stops_cleanly_twice():
    server = ModbusSimServer({1: PrepaidModel()}).start()
    server.stop()
    server.stop()
