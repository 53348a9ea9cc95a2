"""Faults: silent and slow meters, garbled replies, a converter that drops the connection,
frames for other meters, collisions on the AA wildcard."""
from __future__ import annotations

import time
from decimal import Decimal

import pytest

from comms.errors import LinkError, NoReply, ProtocolError
from comms.links.transaction import Channel
from comms.links.transport import open_transport
from comms.protocols import dlt645
from comms.protocols import dlt645_requests as rq
from models.link_urls import parse_link_url

A1, A2, A3 = "000000000001", "000000000002", "000000000003"
SPEC = f"dlt645-2007:{A1}-{A3}"


def test_silent_meter_is_no_reply_in_about_one_timeout(sim, connect):
    server = sim(SPEC)
    server.bus.set_fault(A2, "silent")
    drv = connect(server.url, "dlt645-2007", A2, timeout="0.3")
    start = time.monotonic()
    with pytest.raises(NoReply):
        drv.read(["energy"])
    assert 0.25 < time.monotonic() - start < 1.5
    ok = connect(server.url, "dlt645-2007", A1)
    assert "energy" in ok.read(["energy"])
    assert drv.channel.stats.timeouts == 1 and drv.channel.stats.failed == 1


def test_silent_meter_is_retried(sim, connect):
    server = sim(SPEC)
    server.bus.set_fault(A2, "silent")
    drv = connect(server.url, "dlt645-2007", A2, timeout="0.2", retries="2")
    with pytest.raises(NoReply):
        drv.read(["energy"])
    assert drv.channel.stats.retries == 2 and server.bus.frames_seen == 3


def test_garbled_reply_is_protocol_error(sim, connect):
    server = sim(SPEC)
    server.bus.set_fault(A1, "garbled")
    drv = connect(server.url, "dlt645-2007", A1, timeout="1.0", retries="1")
    start = time.monotonic()
    with pytest.raises(ProtocolError):
        drv.read(["energy"])
    assert time.monotonic() - start < 1.0          # ends on the quiet line, not the timeout
    assert drv.channel.stats.bad_frames == 2
    server.bus.set_fault(A1, None)
    assert "energy" in drv.read(["energy"])


def test_slow_meter(sim, connect):
    server = sim(SPEC)
    server.bus.slow_delay = 0.5
    server.bus.set_fault(A1, "slow")
    with pytest.raises(NoReply):
        connect(server.url, "dlt645-2007", A1, timeout="0.2").read(["energy"])
    time.sleep(0.5)                                 # let the late reply pass
    assert "energy" in connect(server.url, "dlt645-2007", A1, timeout="1.5").read(["energy"])


def test_dropped_connection_then_reconnect(sim, connect):
    server = sim(SPEC)
    drv = connect(server.url, "dlt645-2007", A1)
    assert "energy" in drv.read(["energy"])
    server.drop_next_request()
    with pytest.raises(LinkError):
        drv.read(["energy"])
    assert drv.read(["energy"])["energy"].value == Decimal("0.00")
    assert server.connections == 2 and drv.channel.stats.link_errors == 1


def test_converter_down_is_link_error(sim, connect):
    server = sim(SPEC)
    url = server.url
    server.stop()
    with pytest.raises(LinkError):
        connect(url, "dlt645-2007", A1).read(["energy"])


def _match_any(raw: bytes) -> bool:
    return dlt645.parse_frame(raw).control == 0x93


def test_read_address_wildcard_needs_one_meter(sim):
    one = sim(f"dlt645-2007:{A2}")
    channel = Channel(open_transport(parse_link_url(one.url)))
    try:
        raw = channel.exchange(rq.read_address_request(), dlt645.extract_frame, _match_any, 0.5, 0)
        assert rq.parse_address_reply(dlt645.parse_frame(raw)) == A2
    finally:
        channel.close()
    many = sim(SPEC)
    channel = Channel(open_transport(parse_link_url(many.url)))
    try:
        with pytest.raises(ProtocolError):
            channel.exchange(rq.read_address_request(), dlt645.extract_frame, _match_any, 0.5, 0)
    finally:
        channel.close()


def test_reply_from_other_meter_is_skipped(sim):
    """A reply frame for another address on the line is not taken as ours."""
    server = sim(SPEC)
    channel = Channel(open_transport(parse_link_url(server.url)))
    try:
        def for_a1(raw: bytes) -> bool:
            return dlt645.is_reply_to(dlt645.parse_frame(raw), 0x11, A1)
        with pytest.raises(NoReply):
            channel.exchange(rq.read_request(A2, "00010000"), dlt645.extract_frame, for_a1,
                             0.3, 0)
    finally:
        channel.close()
