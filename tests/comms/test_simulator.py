"""Simulator guard, spec parsing and bus behaviour without sockets."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from comms.protocols import dlt645
from comms.protocols import dlt645_requests as rq
from comms.simulator import Bus, SimulatorSpec, TcpSimulator, check_allowed, start_simulator
from comms.simulator.dlt645_meter import Dlt645Meter
from models.errors import InvalidInput, PermissionDenied


def test_guard(monkeypatch):
    monkeypatch.delenv("METERSTATION_TEST_MODE")
    with pytest.raises(PermissionDenied):
        check_allowed()
    with pytest.raises(PermissionDenied):
        start_simulator("dlt645-2007:1")
    check_allowed(demo=True)
    check_allowed(explicit_cli=True)


def test_loopback_only():
    with pytest.raises(PermissionDenied):
        TcpSimulator(Bus([]), host="0.0.0.0")


def test_start_simulator_programmatically():
    with start_simulator("dlt645-2007:1-2", baud=9600) as sim:
        assert sim.url.startswith("tcp://127.0.0.1:")
        assert [m.address for m in sim.bus.meters] == ["000000000001", "000000000002"]


def test_spec_parsing():
    spec = SimulatorSpec.parse(
        "dlt645-2007:000000000001-000000000040,cjt188:00000000000001-00000000000008/flow=1")
    meters = spec.build()
    assert len(meters) == 48
    assert meters[39].address == "000000000040" and meters[-1].address == "00000000000008"
    assert meters[-1].flow == Decimal(1)
    for bad in ("", "dlt645:1", "cjt188:5-1", "dlt645-2007:1/color=red", "cjt188:x",
                "dlt645-2007:1/kw=abc", "dlt645-2007:0-99999"):
        with pytest.raises(InvalidInput):
            SimulatorSpec.parse(bad).build()


def test_bus_silent_to_others_and_broadcasts():
    bus = Bus([Dlt645Meter("000000000001"), Dlt645Meter("000000000002")], baud=9600)
    other = bus.feed(rq.read_request("000000000009", "00010000"))
    assert [r.reply for r in other] == [None]
    broadcast = bus.feed(rq.broadcast_time_request(datetime(2030, 1, 1)))
    assert [r.reply for r in broadcast] == [None]
    request = rq.read_request("000000000002", "00010000")
    assert bus.feed(b"\x00\x11" + request[:9]) == []          # noise + half a frame
    (resp,) = bus.feed(request[9:])
    frame = dlt645.parse_frame(resp.reply)
    assert frame.address == "000000000002" and frame.control == 0x91
    assert resp.wait >= len(request) * 11 / 9600
