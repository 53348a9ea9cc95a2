"""Issue 15.6 and 15.7 over real sockets: a converter that drops the connection once does not end
the link's cycle; a silent meter costs one timeout per cycle, the first included; re-reads (补抄)
come after every live meter."""
from __future__ import annotations

import time

import pytest

from comms.interfaces import MeterConfig
from comms.polling.poller import LinkWorker, Poller
from comms.polling.read_schedule import LinkPlan, MeterPlan
from comms.simulator import start_simulator


class Log:
    """A PollSink that keeps one ordered log of what happened."""

    def __init__(self, on_reading=None):
        self.events, self.on_reading = [], on_reading

    def reading(self, link, meter, at, values):
        self.events.append(("ok", meter.meter_id))
        if self.on_reading:
            self.on_reading(sum(e[0] == "ok" for e in self.events))

    def failure(self, link, meter, at, error):
        self.events.append((type(error).__name__, meter.meter_id))

    def meter_state(self, meter, state):
        pass

    def link_state(self, link, state):
        self.events.append(("link", state))


def _plan(url, n, timeout=0.3, retries=None):
    meters = [MeterPlan(i, f"{i:012d}", MeterConfig("dlt645-2007", f"{i:012d}"), ("energy",))
              for i in range(1, n + 1)]
    return LinkPlan(1, "L1", url, meters, timeout=timeout, retries=retries)


@pytest.fixture
def forty():
    server = start_simulator("dlt645-2007:000000000001-000000000040/kw=0", baud=19200, latency=0.002)
    yield server
    server.stop()


def test_one_dropped_connection_does_not_end_the_cycle(forty):
    def drop_once(count):
        if count == 15:
            forty.drop_next_request()        # the converter closes on the 16th request
    log = Log(drop_once)
    summary = Poller([_plan(forty.url, 40)], log).run_once()
    assert (summary.meters, summary.ok, summary.failed) == (40, 40, 0)
    assert summary.failed_links == []
    assert forty.connections == 2
    assert ("LinkError", 16) in log.events and log.events.count(("ok", 16)) == 1


def test_a_converter_that_stays_down_fails_the_link(forty):
    def drop_for_good(count):
        if count == 15:
            forty.stop()
    summary = Poller([_plan(forty.url, 40)], Log(drop_for_good)).run_once()
    assert (summary.ok, summary.failed, summary.unreachable) == (15, 25, 25)
    assert len(summary.failed_links) == 1 and summary.failed_links[0].startswith("L1: ")


@pytest.fixture
def six():
    server = start_simulator("dlt645-2007:000000000001-000000000006/kw=0", baud=9600, latency=0.005)
    yield server
    server.stop()


def test_a_silent_meter_costs_one_timeout_per_cycle_from_the_first(six):
    six.bus.set_fault("000000000003", "silent")
    worker = LinkWorker(_plan(six.url, 6, timeout=0.3), Log())    # the driver's own retries (1)
    try:
        spent = []
        for _cycle in range(3):
            frames, timeouts = six.bus.frames_seen, worker.session.channel.stats.timeouts
            summary = worker.cycle_once()
            assert (summary.ok, summary.failed) == (5, 1)
            spent.append((worker.session.channel.stats.timeouts - timeouts,
                          six.bus.frames_seen - frames))
    finally:
        worker.session.close()
    assert spent == [(1, 6)] * 3           # one timeout, one request to the dead meter per cycle


def test_re_reads_wait_for_the_end_of_the_cycle(six):
    six.bus.set_fault("000000000001", "garbled")      # fails without a timeout: gets its 补抄
    log = Log()
    worker = LinkWorker(_plan(six.url, 6, retries=0), log)
    try:
        summary = worker.cycle_once()
    finally:
        worker.session.close()
    assert (summary.ok, summary.failed) == (5, 1)
    reads = [e for e in log.events if e[0] != "link"]
    assert reads == [("ProtocolError", 1), *[("ok", i) for i in range(2, 7)], ("ProtocolError", 1)]


def test_service_mode_reads_a_meter_again_after_its_link_came_back(six):
    """The meter whose read met the dead link was taken off the schedule and never put back."""
    log = Log()
    plan = _plan(six.url, 2)
    for m in plan.meters:
        m.interval = 3600.0                   # one regular read each within the test
    poller = Poller([plan], log)
    worker = poller.workers[0]
    worker.LINK_RETRY = (0.2,)
    six.drop_next_request()                   # the first connection dies on the first request
    poller.start()
    try:
        deadline = time.monotonic() + 5
        while log.events.count(("ok", 1)) + log.events.count(("ok", 2)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        poller.stop()
    assert ("LinkError", 1) in log.events
    assert ("ok", 1) in log.events and ("ok", 2) in log.events
