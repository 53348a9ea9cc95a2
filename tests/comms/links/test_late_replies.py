"""Issue 15.3: a reply that arrives after its timeout is dropped, never taken as the answer to
the next request (DL/T 645: address, function and DI; CJ/T 188: SER). Real sockets, the
simulator's "slow" fault: the meter answers after the station gave up."""
from __future__ import annotations

import time
from decimal import Decimal

import pytest

from comms.errors import NoReply

A1, A2 = "000000000001", "000000000002"
W1 = "00000000000001"


def test_late_dlt645_reply_is_not_the_answer_to_another_di(sim, connect):
    server = sim(f"dlt645-2007:{A1}-{A2}/energy=123.45")
    server.bus.slow_delay = 0.6
    server.bus.set_fault(A1, "slow")
    drv = connect(server.url, "dlt645-2007", A1, timeout="0.3", retries="0")
    with pytest.raises(NoReply):
        drv.read(["energy"])
    server.bus.set_fault(A1, None)
    drv.timeout = 1.5
    start = time.monotonic()
    values = drv.read(["voltage"])              # the late 00010000 reply arrives meanwhile
    assert values["voltage"].value == Decimal("220.0")
    assert time.monotonic() - start < 1.5
    assert drv.read(["energy"])["energy"].value == Decimal("123.45")


def test_late_reply_from_another_meter_is_dropped(sim, connect):
    server = sim(f"dlt645-2007:{A1}-{A2}/energy=7")
    server.bus.slow_delay = 0.6
    server.bus.set_fault(A1, "slow")
    slow = connect(server.url, "dlt645-2007", A1, timeout="0.3", retries="0")
    with pytest.raises(NoReply):
        slow.read(["energy"])
    other = connect(server.url, "dlt645-2007", A2, timeout="1.5", retries="0")
    other.channel.close()
    other.channel = slow.channel
    assert other.read(["voltage"])["voltage"].value == Decimal("220.0")


def test_late_cjt188_reply_with_an_old_ser_is_dropped(sim, connect):
    server = sim(f"cjt188:{W1}")
    server.bus.slow_delay = 0.6
    server.bus.set_fault(W1, "slow")
    drv = connect(server.url, "cjt188", W1, timeout="0.3", retries="0")
    with pytest.raises(NoReply):
        drv.read(["valve"])                     # SER 1, answered "open" too late
    server.bus.set_fault(W1, None)
    server.bus.meter(W1).valve_open = False
    drv.timeout = 1.5
    assert drv.read(["valve"])["valve"].value == "closed"      # SER 2's answer, not SER 1's
