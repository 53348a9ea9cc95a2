"""The poller against the simulator over real sockets: every meter read, faults contained to
their meter, the converter dropping, lost meters, commands jumping the queue."""
from __future__ import annotations

import threading
import time

import pytest

from comms.interfaces import MeterConfig
from comms.polling.poller import Command, LinkWorker, Poller
from comms.polling.read_schedule import LinkPlan, MeterPlan
from comms.simulator import start_simulator

pytestmark = pytest.mark.serial      # timeouts and the parallel-links ratio: alone on the machine

ADDRS = [f"{i:012d}" for i in range(1, 7)]


class Sink:
    def __init__(self):
        self.readings, self.failures, self.states, self.links = [], [], [], []

    def reading(self, link, meter, at, values):
        self.readings.append((meter.meter_id, values))

    def failure(self, link, meter, at, error):
        self.failures.append((meter.meter_id, type(error).__name__))

    def meter_state(self, meter, state):
        self.states.append((meter.meter_id, state))

    def link_state(self, link, state):
        self.links.append(state)


class Commands:
    def __init__(self, items):
        self.items, self.done, self.lock = list(items), [], threading.Lock()

    def take(self, link_id):
        with self.lock:
            return self.items.pop(0) if self.items else None

    def finished(self, command, result, error):
        self.done.append((command.item_id, result, error))


def _plan(url, link_id=1, timeout=0.3):
    meters = [MeterPlan(i + 1, a, MeterConfig("dlt645-2007", a), ("energy",)) for i, a in enumerate(ADDRS)]
    return LinkPlan(link_id, f"L{link_id}", url, meters, timeout=timeout, retries=0)


@pytest.fixture
def sim():
    s = start_simulator(f"dlt645-2007:{ADDRS[0]}-{ADDRS[-1]}/prepaid=1", baud=9600, latency=0.005)
    yield s
    s.stop()


def test_run_once_reads_every_meter(sim):
    sink = Sink()
    summary = Poller([_plan(sim.url)], sink).run_once()
    assert (summary.meters, summary.ok, summary.failed) == (6, 6, 0)
    assert sorted(m for m, _ in sink.readings) == [1, 2, 3, 4, 5, 6]
    assert all(v["energy"].unit == "kWh" for _, v in sink.readings)


def test_silent_meter_costs_its_own_timeouts_only(sim):
    sim.bus.set_fault(ADDRS[2], "silent")
    sink = Sink()
    start = time.monotonic()
    summary = Poller([_plan(sim.url, timeout=0.3)], sink).run_once()
    took = time.monotonic() - start
    assert (summary.ok, summary.failed) == (5, 1)
    assert sink.failures == [(3, "NoReply")]        # one timeout: no 补抄 for silence (issue 15.7)
    assert took < 0.3 + 1.5                                         # one timeout, not a stall


def test_lost_meter_gets_one_attempt_per_cycle(sim):
    sim.bus.set_fault(ADDRS[0], "silent")
    sink = Sink()
    worker = LinkWorker(_plan(sim.url), sink, lost_after=2)
    worker.cycle_once()
    worker.cycle_once()                       # 2 failures (one per cycle) -> lost
    assert (1, "lost") in sink.states
    sink.failures.clear()
    worker.cycle_once()
    assert sink.failures == [(1, "NoReply")]  # no 补抄 for a lost meter
    sim.bus.set_fault(ADDRS[0], None)
    worker.cycle_once()
    assert sink.states[-1] == (1, "online")
    worker.session.close()


def test_garbled_meter_is_contained(sim):
    sim.bus.set_fault(ADDRS[4], "garbled")
    sink = Sink()
    summary = Poller([_plan(sim.url)], sink).run_once()
    assert (summary.ok, summary.failed) == (5, 1)
    assert {f for _, f in sink.failures} == {"ProtocolError"}


def test_dead_converter_marks_link_lost(tmp_path):
    sink = Sink()
    plan = _plan("tcp://127.0.0.1:9", timeout=0.2)    # nothing listens on port 9
    summary = Poller([plan], sink).run_once()
    assert summary.ok == 0 and summary.failed == 6
    assert sink.links == ["lost"]
    assert len(sink.failures) == 1                      # one attempt, not one timeout per meter


def test_commands_jump_the_queue_and_are_confirmed(sim):
    sink = Sink()
    cmds = Commands([Command(1, 2, "control", {"action": "trip"})])
    worker = LinkWorker(_plan(sim.url), sink, commands=cmds)
    worker.cycle_once()
    assert cmds.done[0][0] == 1 and cmds.done[0][2] is None and cmds.done[0][1]["confirmed"]
    assert sim.bus.meter(ADDRS[1]).relay_open and not sim.bus.meter(ADDRS[0]).relay_open
    worker.session.close()


def test_service_mode_polls_and_stops(sim):
    sink = Sink()
    plan = _plan(sim.url)
    for m in plan.meters:
        m.interval = 0.2
    poller = Poller([plan], sink)
    poller.start()
    deadline = time.monotonic() + 5
    while len(sink.readings) < 12 and time.monotonic() < deadline:
        time.sleep(0.05)
    poller.stop()
    assert len(sink.readings) >= 12


def test_four_links_in_parallel():
    sims = [start_simulator(f"dlt645-2007:{ADDRS[0]}-{ADDRS[-1]}", baud=9600, latency=0.02) for _ in range(4)]
    try:
        plans = [_plan(s.url, link_id=i + 1) for i, s in enumerate(sims)]
        start = time.monotonic()
        one = Poller(plans[:1]).run_once()
        t1 = time.monotonic() - start
        start = time.monotonic()
        four = Poller(plans).run_once()
        t4 = time.monotonic() - start
        assert one.ok == 6 and four.ok == 24
        assert t4 < t1 * 2.0          # parallel, not serial (benchmark measures the real ratio)
    finally:
        for s in sims:
            s.stop()
