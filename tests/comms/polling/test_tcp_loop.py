"""tcp:// links on the poller's one event loop thread (comms/links/tcp_loop.py), over real sockets
against the simulator: many links, one thread; a silent meter delays only its own link; a
converter that drops is reconnected; an outbox command runs between two reads."""
from __future__ import annotations

import threading
import time

import pytest

from comms.interfaces import MeterConfig
from comms.polling.poller import Command, Poller
from comms.polling.read_schedule import LinkPlan, MeterPlan
from comms.simulator import start_simulator

ADDRS = [f"{i:012d}" for i in range(1, 7)]


class Sink:
    def __init__(self):
        self.lock = threading.Lock()
        self.readings, self.failures, self.threads, self.links = [], [], set(), []

    def reading(self, link, meter, at, values):
        with self.lock:
            self.readings.append((link.link_id, meter.meter_id, time.monotonic()))
            self.threads.add(threading.current_thread().name)

    def failure(self, link, meter, at, error):
        with self.lock:
            self.failures.append((link.link_id, meter.meter_id, type(error).__name__))

    def meter_state(self, meter, state): ...

    def link_state(self, link, state):
        self.links.append((link.link_id, state))


class Commands:
    def __init__(self):
        self.items, self.done, self.lock = [], [], threading.Lock()

    def put(self, command):
        with self.lock:
            self.items.append(command)

    def take(self, link_id):
        with self.lock:
            for i, c in enumerate(self.items):
                if c.meter_id // 100 == link_id:
                    return self.items.pop(i)
        return None

    def finished(self, command, result, error):
        self.done.append((command.item_id, result, error, time.monotonic()))


def _plan(url, link_id, timeout=0.5):
    meters = [MeterPlan(link_id * 100 + i, a, MeterConfig("dlt645-2007", a), ("energy",))
              for i, a in enumerate(ADDRS, start=1)]
    return LinkPlan(link_id, f"L{link_id}", url, meters, timeout=timeout, retries=0)


@pytest.fixture
def sims():
    started = []

    def make(n, latency=0.005):
        for _ in range(n):
            started.append(start_simulator(f"dlt645-2007:{ADDRS[0]}-{ADDRS[-1]}/prepaid=1",
                                           baud=9600, latency=latency))
        return started[-n:]
    yield make
    for s in started:
        s.stop()


def test_many_links_one_thread(sims):
    links = sims(12)
    sink = Sink()
    poller = Poller([_plan(s.url, i + 1) for i, s in enumerate(links)], sink)
    summary = poller.run_once()
    assert (summary.meters, summary.ok, summary.failed) == (72, 72, 0)
    assert len({m for _l, m, _t in sink.readings}) == 72
    assert sink.threads == {"poll-tcp-loop"}           # every read on the loop, none on a thread
    time.sleep(0.1)
    assert not [t.name for t in threading.enumerate() if t.name.startswith("poll")]   # ended with the cycle
    # the thread-per-link poller reads the same
    again = Poller([_plan(s.url, i + 1) for i, s in enumerate(links)], Sink(), event_loop=False)
    assert again.run_once().ok == 72


def test_a_silent_meter_delays_only_its_own_link(sims):
    slow, fast = sims(2)
    slow.bus.set_fault(ADDRS[0], "silent")              # the first meter of link 1 never answers
    sink = Sink()
    start = time.monotonic()
    summary = Poller([_plan(slow.url, 1, timeout=2.5), _plan(fast.url, 2)], sink).run_once()
    assert (summary.ok, summary.failed, summary.timeouts) == (11, 1, 1)
    assert sink.failures == [(1, 101, "NoReply")]
    fast_done = max(t for link, _m, t in sink.readings if link == 2) - start
    slow_first = min(t for link, _m, t in sink.readings if link == 1) - start
    assert fast_done < 2.0 < slow_first                # link 2 finished while link 1 waited


def test_a_converter_that_drops_is_reconnected(sims):
    one, two = sims(2)
    sink = Sink()
    poller = Poller([_plan(one.url, 1), _plan(two.url, 2)], sink)
    assert poller.run_once().ok == 12
    one.drop_next_request()                             # the converter closes the connection
    summary = poller.run_once()
    assert (summary.ok, summary.failed, summary.failed_links) == (12, 0, [])
    assert one.connections == 3                         # cycle 1, cycle 2, the reconnect
    assert sink.failures == [(1, 101, "LinkError")]     # recorded, then read again at once


def test_a_dead_converter_does_not_hold_the_others(sims):
    (live,) = sims(1)
    sink = Sink()
    start = time.monotonic()
    summary = Poller([_plan("tcp://127.0.0.1:9", 1), _plan(live.url, 2)], sink).run_once()
    assert (summary.ok, summary.unreachable) == (6, 6)
    assert summary.failed_links and summary.failed_links[0].startswith("L1:")
    assert time.monotonic() - start < 5.0               # the live link was not held by the dead one


def test_a_command_runs_between_reads_in_service_mode(sims):
    one, two = sims(2)
    sink = Sink()
    cmds = Commands()
    plans = [_plan(one.url, 1), _plan(two.url, 2)]
    for plan in plans:
        for m in plan.meters:
            m.interval = 0.2
    poller = Poller(plans, sink, commands=cmds)
    poller.start()
    try:
        deadline = time.monotonic() + 10
        while len(sink.readings) < 24 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(sink.readings) >= 24
        cmds.put(Command(1, 202, "control", {"action": "trip"}))    # meter 2 of link 2
        poller.wake()
        while not cmds.done and time.monotonic() < deadline:
            time.sleep(0.02)
        assert cmds.done and cmds.done[0][2] is None and cmds.done[0][1]["confirmed"]
        assert two.bus.meter(ADDRS[1]).relay_open and not one.bus.meter(ADDRS[1]).relay_open
        finished = cmds.done[0][3]
        while time.monotonic() < deadline and \
                sum(t > finished for link, _m, t in sink.readings if link == 2) < 6:
            time.sleep(0.02)
        assert sum(t > finished for link, _m, t in sink.readings if link == 2) >= 6  # polling went on
        worker = poller.worker_for_meter(101)
        count = sum(m == 101 for _l, m, _t in sink.readings)
        worker.read_now(101)                           # 点抄 from another thread
        while sum(m == 101 for _l, m, _t in sink.readings) == count and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sum(m == 101 for _l, m, _t in sink.readings) > count
    finally:
        poller.stop()
    assert sink.threads == {"poll-tcp-loop"}
    time.sleep(0.1)
    assert not [t for t in threading.enumerate() if t.name == "poll-tcp-loop"]


def test_read_many_wakes_each_worker_once(sims):
    """"Read all now" at 10,000 meters: each worker gets its meters at once and is woken once
    (a wake per meter was 10,000 event sets and socket sends on the GUI thread), and every meter
    asked for is read again."""
    one, two = sims(2)
    sink = Sink()
    plans = [_plan(one.url, 1), _plan(two.url, 2)]
    for plan in plans:
        for m in plan.meters:
            m.interval = 3600.0                         # read once, then not before "read now"
    poller = Poller(plans, sink)
    wakes: list[int] = []
    for w in poller.workers:
        w.wake = (lambda w=w, wake=w.wake: (wakes.append(w.plan.link_id), wake()))   # type: ignore[method-assign]
    poller.start()
    try:
        deadline = time.monotonic() + 10
        while len(sink.readings) < 12 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(sink.readings) == 12
        wakes.clear()
        ids = [m.meter_id for plan in plans for m in plan.meters]
        assert poller.read_many(ids + [999]) == 12       # 999: no worker's meter
        assert sorted(wakes) == [1, 2]
        while len(sink.readings) < 24 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert sorted(m for _l, m, _t in sink.readings[12:]) == sorted(ids)
    finally:
        poller.stop()
