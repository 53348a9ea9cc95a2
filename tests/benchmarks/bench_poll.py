"""Benchmark (not a test): the poller against simulated lines.

    python -m tests.benchmarks.bench_poll [--meters 20] [--bauds 2400,9600] [--latency 0.03]
                                          [--parallel 4] [--big-links 100] [--big-meters 100]
                                          [--skip line,parallel,big,store] [--profile FILE]

(a) line use: one poll cycle of N meters (energy, one exchange each) on one link at each baud,
    against the line's own limit = sum over exchanges of (request + reply bytes) x 11 / baud +
    meter latency. Aim >= 0.9.
    Same run, same simulator: a bare socket client (write a request, read its frame, next; no
    gap, no checks) -> station / bare. And (a') a dead meter (an address nobody answers) added
    to the link, the driver's own retries: timeouts it adds to cycles 1, 2, 3 (aim <= 1 each).
(b) parallel links: the same N meters on each of 4 links polled at once vs 1 link; speedup =
    4 x t(1 link) / t(4 links). Aim >= 3.6.
(c) scale: 10,000 meters on 100 links with no line delay (baud 0, latency 0): cycle time and
    the station process's CPU seconds (the simulators run in a child process, whose CPU is shown
    apart); the floor beside it, same run, same simulators: a bare socket client reading every
    meter once (request built, frame extracted, nothing else), its CPU. The tcp:// links run on
    the poller's event loop (comms/links/tcp_loop.py); --threads runs them a thread each (as before
    issue 12) for comparison. (c') the same through PollStore into a file-backed SQLite archive,
    timed until the last reading is committed.

The simulators always run in a child process (`--serve`), so the station's CPU figures are its
own and the GIL of one does not pace the other. Figures depend on the machine's load: run it on
a quiet machine.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import resource
import subprocess
import sys
import time

BITS = 11


def serve(links: int, meters: int, baud: int, latency: float) -> None:
    """Child: `links` simulators of `meters` DL/T 645 meters each; URLs on stdout; stop at EOF."""
    from comms.simulator import start_simulator

    spec = f"dlt645-2007:000000000001-{meters:012d}/kw=0"
    sims = [start_simulator(spec, baud=baud, latency=latency, explicit_cli=True) for _ in range(links)]
    for s in sims:
        print(s.url, flush=True)
    print("ready", flush=True)
    sys.stdin.read()
    for s in sims:
        s.stop()


class Child:
    def __init__(self, links: int, meters: int, baud: int, latency: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.benchmarks.bench_poll", "--serve", str(links), str(meters),
             str(baud), str(latency)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.urls = []
        for line in self.proc.stdout:
            if line.strip() == "ready":
                break
            self.urls.append(line.strip())

    def close(self) -> float:
        """Stop the child; its CPU seconds."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(60)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def plans(urls: list[str], meters: int, baud: int):
    from comms.interfaces import MeterConfig
    from comms.polling.read_schedule import LinkPlan, MeterPlan

    out = []
    for i, url in enumerate(urls):
        plan = LinkPlan(i + 1, f"L{i + 1}", f"{url}?baud={baud or 115200}", timeout=2.0, retries=0)
        for n in range(1, meters + 1):
            address = f"{n:012d}"
            plan.meters.append(MeterPlan(i * meters + n, address, MeterConfig("dlt645-2007", address),
                                         ("energy",)))
        out.append(plan)
    return out


def bare_client(url: str, meters: int) -> float:
    """Seconds for one read of energy from each meter by a plain socket client."""
    import socket

    from comms.protocols import dlt645
    from comms.protocols import dlt645_requests as rq
    from models.link_urls import parse_link_url

    spec = parse_link_url(url)
    sock = socket.create_connection((spec.host, spec.tcp_port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    start = time.perf_counter()
    for n in range(1, meters + 1):
        sock.sendall(rq.read_request(f"{n:012d}", "00010000"))
        buf = b""
        while True:
            buf += sock.recv(4096)
            frame, _used = dlt645.extract_frame(buf)
            if frame is not None:
                break
    took = time.perf_counter() - start
    sock.close()
    return took


def dead_meter_timeouts(url: str, meters: int, baud: int, cycles: int = 3, timeout: float = 0.5):
    """Timeouts a meter nobody answers adds to each of `cycles` cycles (driver's own retries)."""
    from comms.interfaces import MeterConfig
    from comms.polling.poller import LinkWorker, NullSink
    from comms.polling.read_schedule import MeterPlan

    plan = plans([url], meters, baud)[0]
    plan.timeout, plan.retries = timeout, None
    dead = f"{meters + 1:012d}"
    plan.meters.insert(meters // 2, MeterPlan(meters + 1, dead, MeterConfig("dlt645-2007", dead), ("energy",)))
    worker = LinkWorker(plan, NullSink())
    try:
        spent = []
        for _c in range(cycles):
            before = worker.session.channel.stats.timeouts
            worker.cycle_once()
            spent.append(worker.session.channel.stats.timeouts - before)
    finally:
        worker.session.close()
    return spent


def line_limit(meters: int, baud: int, latency: float) -> float:
    """The line's own time for one read of energy from each meter (request + reply + latency)."""
    from comms.protocols import dlt645
    from comms.protocols import dlt645_requests as rq
    from comms.simulator.dlt645_meter import Dlt645Meter

    total = 0.0
    for n in range(1, meters + 1):
        address = f"{n:012d}"
        request = rq.read_request(address, "00010000")
        frame, _used = dlt645.extract_frame(request)
        reply = Dlt645Meter(address, kw="0").handle(frame)
        assert reply is not None
        total += (len(request) + len(reply)) * BITS / baud + latency
    return total


def cycle(urls: list[str], meters: int, baud: int, db=None, event_loop: bool = True):
    """One run_once of a new poller; with db, through a PollStore (see again)."""
    from comms.polling.poller import Poller
    from comms.polling.store import PollStore

    store = PollStore(db) if db is not None else None
    poller = Poller(plans(urls, meters, baud), store, event_loop=event_loop)
    return again(poller, store)


def again(poller, store=None):
    """A timed run_once of poller; with a store, until its last row is committed (closes it)."""
    cpu, start = time.process_time(), time.perf_counter()
    summary = poller.run_once()
    if store is not None:
        store.close(timeout=600)
        assert store.stored == summary.ok, (store.stored, summary)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert summary.failed == 0, summary
    return wall, cpu, summary, poller


def archive(folder: str, links: list[str], meters: int):
    """A file-backed SQLite station whose links and meters match plans() (ids included)."""
    import sqlalchemy as sa

    from models.archive import Link, Meter
    from models.db import Database

    db = Database.open(f"sqlite:///{folder}/bench.db", upgrade=True)
    with db.write() as s:
        s.execute(sa.insert(Link), [{"id": i + 1, "name": f"L{i + 1}", "url": u} for i, u in enumerate(links)])
        s.execute(sa.insert(Meter), [{"id": i * meters + n, "number": f"M{i * meters + n}",
                                      "protocol": "dlt645-2007", "address": f"{n:012d}", "link_id": i + 1}
                                     for i in range(len(links)) for n in range(1, meters + 1)])
    return db


def profile_loop_thread() -> list[cProfile.Profile]:
    """The tcp:// links' work runs on the poll loop's thread, not the caller's: a profile of
    each run of the loop (one per cycle), timed by that thread's CPU clock."""
    from comms.links import tcp_loop

    profiles: list[cProfile.Profile] = []
    run = tcp_loop.Hub._loop

    def profiled(hub: tcp_loop.Hub) -> None:
        profiler = cProfile.Profile(time.thread_time)
        profiles.append(profiler)
        profiler.enable()
        try:
            run(hub)
        finally:
            profiler.disable()
    tcp_loop.Hub._loop = profiled       # type: ignore[method-assign]
    return profiles


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve", nargs=4, metavar=("LINKS", "METERS", "BAUD", "LATENCY"))
    ap.add_argument("--meters", type=int, default=20)
    ap.add_argument("--bauds", default="2400,9600")
    ap.add_argument("--latency", type=float, default=0.03)
    ap.add_argument("--parallel", type=int, default=4)
    ap.add_argument("--big-links", type=int, default=100)
    ap.add_argument("--big-meters", type=int, default=100)
    ap.add_argument("--skip", default="")
    ap.add_argument("--profile", metavar="FILE",
                    help="cProfile the scale run's poll loop thread (thread CPU time) into FILE.1 and FILE.2, "
                         "one per cycle")
    ap.add_argument("--threads", action="store_true",
                    help="tcp:// links a thread each, not on the event loop (the old way)")
    o = ap.parse_args()
    if o.serve:
        links, meters, baud, latency = o.serve
        serve(int(links), int(meters), int(baud), float(latency))
        return
    skip = set(o.skip.split(","))
    rows = []
    print(f"load: {os.getloadavg()[0]:.2f} (1-min average), {os.cpu_count()} CPUs")
    if "line" not in skip:
        for baud in (int(b) for b in o.bauds.split(",")):
            child = Child(1, o.meters, baud, o.latency)
            try:
                wall, _cpu, _s, _p = cycle(child.urls, o.meters, baud)
                bare = bare_client(child.urls[0], o.meters)
                dead = dead_meter_timeouts(child.urls[0], o.meters, baud)
            finally:
                child.close()
            limit = line_limit(o.meters, baud, o.latency)
            rows.append((f"(a) {o.meters} meters, 1 link, {baud} baud", f"{wall:.2f} s",
                         f"line limit {limit:.2f} s", f"ratio {limit / wall:.2f}", "aim >= 0.9"))
            rows.append((f"    bare socket client, {baud} baud", f"{bare:.2f} s",
                         f"station / bare {bare / wall:.2f}", f"bare / line {limit / bare:.2f}", ""))
            rows.append((f"(a') + a dead meter, {baud} baud", "timeouts per cycle",
                         " ".join(str(n) for n in dead), "", "aim <= 1 each"))
    if "parallel" not in skip:
        baud = 9600
        child = Child(o.parallel, o.meters, baud, o.latency)
        try:
            one, _c, _s, _p = cycle(child.urls[:1], o.meters, baud)
            many, _c, _s, _p = cycle(child.urls, o.meters, baud)
        finally:
            child.close()
        rows.append((f"(b) {o.parallel} links x {o.meters} meters, {baud} baud", f"{many:.2f} s",
                     f"1 link {one:.2f} s", f"speedup {o.parallel * one / many:.2f}x",
                     f"aim >= {0.9 * o.parallel:.1f}x"))
    if "big" not in skip:
        child = Child(o.big_links, o.big_meters, 0, 0.0)
        profiles = profile_loop_thread() if o.profile else []
        try:
            wall, cpu, summary, poller = cycle(child.urls, o.big_meters, 0, event_loop=not o.threads)
            wall2, cpu2, _s, _p = again(poller)
            if profiles:
                time.sleep(0.2)             # the loop thread leaves after the cycle's last task
            for n, profiler in enumerate(profiles, start=1):
                profiler.dump_stats(f"{o.profile}.{n}")
            floor_cpu, floor_wall = time.process_time(), time.perf_counter()
            for url in child.urls:
                bare_client(url, o.big_meters)
            floor_cpu, floor_wall = time.process_time() - floor_cpu, time.perf_counter() - floor_wall
        finally:
            sim_cpu = child.close()
        n = summary.ok
        mode = "a thread per link" if o.threads else "event loop"
        rows.append((f"(c) {n} meters on {o.big_links} links, no line delay ({mode})", f"{wall:.2f} s",
                     f"station CPU {cpu:.2f} s ({1e3 * cpu / n:.3f} ms/read)",
                     f"{n / wall:.0f} reads/s", f"simulators' CPU {sim_cpu:.2f} s"))
        rows.append(("    2nd cycle, same poller (drivers built)", f"{wall2:.2f} s",
                     f"station CPU {cpu2:.2f} s ({1e3 * cpu2 / n:.3f} ms/read)", f"{n / wall2:.0f} reads/s",
                     f"station / bare CPU {cpu2 / floor_cpu:.2f}"))
        rows.append((f"    bare socket client, same {n} reads, one by one", f"{floor_wall:.2f} s",
                     f"CPU {floor_cpu:.2f} s ({1e3 * floor_cpu / n:.3f} ms/read)",
                     f"station / bare CPU {cpu / floor_cpu:.2f}", "aim <= 2"))
    if "store" not in skip:
        import tempfile

        child = Child(o.big_links, o.big_meters, 0, 0.0)
        try:
            with tempfile.TemporaryDirectory() as folder:
                db = archive(folder, child.urls, o.big_meters)
                cycle(child.urls, o.big_meters, 0, db, not o.threads)   # first pass: no last readings yet
                wall, cpu, summary, _p = cycle(child.urls, o.big_meters, 0, db, not o.threads)
                db.dispose()
        finally:
            child.close()
        rows.append(("(c') the same, stored by PollStore (SQLite file), 2nd pass", f"{wall:.2f} s",
                     f"station CPU {cpu:.2f} s ({1e3 * cpu / summary.ok:.2f} ms/read)",
                     f"{summary.ok / wall:.0f} reads/s", ""))
    width = [max(len(r[i]) for r in rows) for i in range(5)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, width, strict=True)))


if __name__ == "__main__":
    main()
