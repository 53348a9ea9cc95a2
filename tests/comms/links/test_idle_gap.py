"""The bus-idle time before a request: 4 byte times (Modbus RTU needs 3.5), 2 before a DL/T 645 /
CJ/T 188 request whose FE wake-up bytes give the meter's receiver the rest (issue 15.11)."""
from __future__ import annotations

import time

import pytest

from comms.links.transaction import Channel
from comms.links.transport import open_transport
from comms.protocols import dlt645_requests as rq
from comms.protocols import modbus_rtu as rtu
from models.link_urls import parse_link_url

pytestmark = pytest.mark.serial      # measures milliseconds on the wire: alone on the machine


@pytest.mark.parametrize("baud", [2400, 9600])
def test_wake_bytes_shorten_the_gap_but_not_for_modbus(baud):
    channel = Channel(open_transport(parse_link_url(f"tcp://127.0.0.1:9?baud={baud}")))
    byte = 11 / baud
    dlt = rq.read_request("000000000001", "00010000")
    modbus = rtu.encode_frame(rtu.read_request(1, 3, 0, 2))
    assert dlt.startswith(b"\xfe" * 4) and modbus[0] == 1
    for request, want in ((dlt, max(0.003, 2 * byte)), (modbus, max(0.003, 4 * byte))):
        channel._last_activity = time.monotonic()
        start = time.monotonic()
        channel._wait_idle(request)
        took = time.monotonic() - start
        assert want * 0.9 <= took < want + 0.004, (request[:2], took, want)
