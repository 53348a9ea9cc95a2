"""How responsive the window stays while the demo station polls its 144 (or N) meters.

    python -m tests.benchmarks.bench_gui [--meters N] [--seconds S] [--pause-ms MS] [--profile] [--threads]
                                         [--in-process]

The floor, measured first in the same run: the same 10 ms probe on the idle event loop of the
same process (FLOOR_S seconds, nothing else running), printed beside the figures.
--meters N: the demo with N simulated meters (ui/demo_bulk.py); a sweep is complete when every
meter but the silent one reached the meters page's model; --seconds bounds the run. A modal box
seen at any page switch is counted (there must be none).

Creates the demo station (timed), opens the real MainWindow offscreen, starts the real runtime
(as the window does: in a child process; --in-process: in this one, off the GUI thread), and
switches through every page while the first sweep of all meters and a second "read all now"
sweep flood readings and events in. A 10 ms QTimer measures how late the event loop is;
prints the longest stall, the 99th percentile, the stalls over 50 ms with the page being shown,
demo creation time and sweep time, and the CPU of this process and of the runtime's child.
--profile: cProfile of the GUI thread.
--stall-profile: a cProfile of the GUI thread per probe interval, the longest STALLS_KEPT stalls
kept and printed (what each was made of; Qt's own C++ work shows only inside the Python calls
that entered it, e.g. setCurrentIndex, or as the gap between the stall and its CPU).
--stacks MS: every thread's stack once the probe is MS late (what the window waits on: which
threads run Python meanwhile), from a sampler thread.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

FLOOR_S = 3.0
SETTLE_S = 2.0          # "longest stall from SETTLE_S on": what the window does once it is up
QUIET_AFTER_SWITCH_S = 0.3     # stalls later than this after a page switch: the polling's, not the switch's
STALLS_KEPT = 4
STACKS_KEPT = 30


class StallProfiles:
    """--stall-profile: one cProfile of the GUI thread per probe interval; the longest kept."""

    def __init__(self, over: float = 0.05, by_cpu: bool = False) -> None:
        import cProfile

        self._new = cProfile.Profile
        self.over = over
        self.by_cpu = by_cpu            # keep the intervals with the most GUI-thread CPU (load aside)
        self.kept: list[tuple[float, float, float, object]] = []     # (gap, cpu, end, profile)
        self.current = self._new()
        self.current.enable()

    def tick(self, gap: float, cpu: float) -> None:
        self.current.disable()
        if (cpu if self.by_cpu else gap) > self.over:
            self.kept.append((gap, cpu, time.perf_counter(), self.current))
            self.kept.sort(key=lambda k: -k[1] if self.by_cpu else -k[0])
            del self.kept[STALLS_KEPT:]
        self.current = self._new()
        self.current.enable()

    def stop(self) -> None:
        self.current.disable()

    def print(self, where) -> None:
        import io
        import pstats

        for gap, cpu, end, prof in self.kept:
            out = io.StringIO()
            stats = pstats.Stats(prof, stream=out)
            print(f"--- stall {gap * 1000:.0f} ms ({where(end - gap)}), GUI-thread CPU {cpu * 1000:.0f} ms; "
                  f"its Python calls by own time:")
            stats.sort_stats("tottime").print_stats(12)
            print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))


class StallStacks:
    """--stacks MS: every thread's stack whenever the window's probe is more than MS late.

    A sampler thread looks every 5 ms at when the probe last ticked; once it is MS late, it
    takes sys._current_frames() (once per stall): where every other thread is while the window
    waits (who runs Python, i.e. competes for the GIL; who sits in a C call or a lock). It needs
    the GIL to do so, so it sees them when it gets it. (faulthandler's GIL-free watchdog was
    tried first: it reads the threads' frames without the GIL and crashed the process.)"""

    def __init__(self, ms: float, probe) -> None:
        import threading

        self.after = ms / 1000
        self.probe = probe
        self.dumps: list[tuple[float, str]] = []          # (perf_counter, text)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stall-stacks", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import sys
        import threading
        import traceback

        taken_for = 0.0
        while not self._stop.wait(0.005):
            last = self.probe._last
            if not last or time.perf_counter() - last - self.probe.interval < self.after or last == taken_for:
                continue
            taken_for = last
            names = {t.ident: t.name for t in threading.enumerate()}
            me = threading.get_ident()
            parts = []
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                stack = "".join(traceback.format_stack(frame, limit=8))
                parts.append(f"thread {names.get(ident, ident)}:\n{stack}")
            self.dumps.append((time.perf_counter() - last - self.probe.interval, "\n".join(parts)))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def print(self) -> None:
        print(f"--- {len(self.dumps)} stacks dumps (the probe late by more than {self.after * 1000:.0f} ms); "
              f"first {STACKS_KEPT}:")
        for late, text in self.dumps[:STACKS_KEPT]:
            print(f"=== the probe {late * 1000:.0f} ms late\n{text}")


class GcPauses:
    """The cyclic garbage collector's pauses (any thread: it holds the GIL, so the window waits):
    wall time and the collecting thread's CPU (time.thread_time), which load does not stretch."""

    def __init__(self) -> None:
        import gc

        self.pauses: list[tuple[int, float, float, int]] = []    # (generation, wall s, CPU s, collected)
        self._t0 = self._c0 = 0.0
        self._gc = gc
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._t0, self._c0 = time.perf_counter(), time.thread_time()
        else:
            self.pauses.append((info["generation"], time.perf_counter() - self._t0,
                                time.thread_time() - self._c0, info["collected"]))

    def stop(self) -> None:
        if self._callback in self._gc.callbacks:
            self._gc.callbacks.remove(self._callback)

    def summary(self) -> str:
        parts = []
        for g in (0, 1, 2):
            times = [(t, c) for gen, t, c, _n in self.pauses if gen == g]
            if times:
                parts.append(f"gen{g} {len(times)}x longest {max(t for t, _c in times) * 1000:.0f} ms"
                             f" (CPU {max(c for _t, c in times) * 1000:.0f} ms)"
                             f" total {sum(t for t, _c in times) * 1000:.0f} ms")
        return "garbage collector: " + ("; ".join(parts) or "no collections") + \
            f"; {len(self._gc.get_objects())} objects tracked, {self._gc.get_freeze_count()} frozen"


def _cpu_split() -> str:
    """Where the CPU went since the start (Linux /proc; nothing elsewhere): the simulator threads
    in this process (sim-*, sharing the window's interpreter lock), the rest of this process,
    and its child processes still running (the demo's simulators, the runtime)."""
    import threading
    from pathlib import Path

    def ticks(stat: Path) -> tuple[int, int]:            # (parent pid, user + system ticks)
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return int(fields[1]), int(fields[11]) + int(fields[12])

    if not Path("/proc/self/task").is_dir():
        return "CPU split: no /proc here"
    hz = os.sysconf("SC_CLK_TCK")
    sims = [t.native_id for t in threading.enumerate() if t.name.startswith("sim-")]
    total, sim_ticks = ticks(Path("/proc/self/stat"))[1], 0      # every thread's, ended ones too
    for tid in sims:
        try:
            sim_ticks += ticks(Path(f"/proc/self/task/{tid}/stat"))[1]
        except OSError:
            continue
    children = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent, n = ticks(entry / "stat")
            except (OSError, IndexError, ValueError):
                continue
            children += n if parent == os.getpid() else 0
    by_name: dict[str, int] = {}                       # the live threads of this process, by name
    for t in threading.enumerate():
        try:
            n = ticks(Path(f"/proc/self/task/{t.native_id}/stat"))[1]
        except OSError:
            continue
        name = t.name.rstrip("0123456789_-") or t.name
        by_name[name] = by_name.get(name, 0) + n
    threads = ", ".join(f"{k} {v / hz:.2f} s" for k, v in sorted(by_name.items(), key=lambda kv: -kv[1]) if v)
    return (f"CPU since the start: simulator threads in this process {len(sims)}, {sim_ticks / hz:.2f} s; "
            f"the rest of this process {(total - sim_ticks) / hz:.2f} s; child processes {children / hz:.2f} s\n"
            f"this process's live threads: {threads}")


def _child_cpu(host) -> float | None:
    """CPU seconds (user + system) of the runtime's child process so far (Linux /proc), or None."""
    pid = host.process.pid if host.process is not None else None
    if pid is None:
        return None
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _steal() -> float:
    """Seconds of steal time over all cores (/proc/stat), 0.0 where there is none to read."""
    try:
        fields = open("/proc/stat").readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--stall-profile", action="store_true", help="what the longest stalls were made of")
    parser.add_argument("--cpu-profile", action="store_true",
                        help="the same for the probe intervals with the most GUI-thread CPU (on a loaded "
                             "machine the longest stalls are mostly waiting for a core)")
    parser.add_argument("--pause-ms", type=int, default=150, help="time on each page")
    parser.add_argument("--meters", type=int, default=144)
    parser.add_argument("--seconds", type=float, default=90.0)
    parser.add_argument("--sweeps", type=int, default=2)
    parser.add_argument("--no-poll", action="store_true",
                        help="never start the runtime: the same page switches with nothing polling "
                             "(the GUI's own work, without the poller's threads competing for the GIL)")
    parser.add_argument("--auto-gc", action="store_true",
                        help="Python's automatic collector on every thread (what this benchmark measured "
                             "before 2026-11-30) instead of the program's: ui.gui_main.collect_garbage_on_gui_thread")
    parser.add_argument("--switch-interval", type=float, default=None,
                        help="sys.setswitchinterval(S) for this run (default: what the program sets, "
                        "ui.gui_main.gui_thread_first)")
    parser.add_argument("--gc-types", type=int, default=0, metavar="N",
                        help="print the N commonest types among the objects the collector tracks at the end")
    parser.add_argument("--threads", action="store_true",
                        help="the poller's tcp:// links a thread each (before issue 12), not on its event loop")
    parser.add_argument("--in-process", action="store_true",
                        help="the runtime in the window's process (before issue 12's child process; "
                             "what --threads needs)")
    parser.add_argument("--stacks", type=float, default=0.0, metavar="MS",
                        help="every thread's stack whenever the probe is MS late (a sampler thread)")
    parser.add_argument("--sim-nice", action="store_true",
                        help="the simulated meters at nice +5 (the demo's default), not SCHED_IDLE")
    args = parser.parse_args()
    if not args.sim_nice:        # the simulated meters stand for hardware: only idle cores for them
        from comms.simulator.process import IDLE_ENV

        os.environ[IDLE_ENV] = "1"
    if args.threads:
        from comms.polling import poller as poller_module

        init = poller_module.Poller.__init__

        def threaded(self, *a, **k):
            k.setdefault("event_loop", False)
            init(self, *a, **k)
        poller_module.Poller.__init__ = threaded
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("METERSTATION_CONFIG_DIR", tempfile.mkdtemp(prefix="ms-bench-cfg-"))
    from PySide6.QtCore import QEventLoop, QTimer

    from access import login as auth
    from models.db import Database
    from tests.ui.runtime.probe import StallProbe
    from ui import tasks
    from ui.bridge import RuntimeHost
    from ui.demo import create_demo_station
    from ui.gui_main import FREEZE_AFTER_S, collect_garbage_on_gui_thread, gui_thread_first, make_app
    from ui.main_window import MainWindow
    from ui.session import StationSession

    app = make_app()
    if args.switch_interval is not None:
        import sys

        sys.setswitchinterval(args.switch_interval)
    else:
        gui_thread_first()                      # as run_gui

    def wait(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    floor = StallProbe()
    floor.start()
    wait(int(FLOOR_S * 1000))
    floor.stop()
    t0 = time.perf_counter()
    demo = create_demo_station("BENCH", meters=args.meters)
    print(f"demo creation (wall, this process): {time.perf_counter() - t0:.2f} s")
    print(f"demo creation: {demo.seconds:.2f} s  {demo.counts}")
    db = Database.open(demo.url)
    session = StationSession(db, auth.login(db, demo.operator, demo.password, "BENCH"), "BENCH", demo=True)
    session.services["demo"] = demo
    in_process = args.in_process or args.threads
    host = RuntimeHost(session, in_process=in_process)
    print(f"runtime: {'in the window process' if in_process else 'in a child process'}")
    print("simulated meters: " + ("nice +5 (--sim-nice)" if args.sim_nice else
                                  "SCHED_IDLE, only cores nothing else wants (they stand for hardware)"))
    seen: set[int] = set()
    host.bridge.readings.connect(lambda rows: seen.update(r["meter_id"] for r in rows))
    want = args.meters - 1                       # every meter but the silent one
    from ui.widgets import usage_chart

    usage_chart.preload()                       # as run_gui: pyqtgraph on the GUI thread, before the window
    window = MainWindow(session)
    t_show = time.perf_counter()
    window.show()
    list(window.pages)      # every page built first (on its first visit otherwise): polling is measured
    # as the program (ui/gui_main.py): the runtime starts once the window has painted; the first
    # paint is the window appearing, timed apart from the stalls of a window on screen
    painted = QEventLoop()
    window.first_painted.connect(painted.quit)
    QTimer.singleShot(10_000, painted.quit)
    painted.exec()
    first_paint_ms = (time.perf_counter() - t_show) * 1000
    probe = StallProbe()
    marks: list[tuple[float, str]] = []
    switch: dict[str, list[float]] = {}
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    gc_undo = None if args.auto_gc else collect_garbage_on_gui_thread(app, FREEZE_AFTER_S)
    gc_pauses = GcPauses()
    stall_profiles = (StallProfiles(over=0.02, by_cpu=True) if args.cpu_profile
                      else StallProfiles() if args.stall_profile else None)
    if stall_profiles is not None:
        probe.on_tick = stall_profiles.tick
    stacks = StallStacks(args.stacks, probe) if args.stacks else None
    cpu_before = os.times()
    steal_before = _steal()
    probe.start()
    started = started_at = time.perf_counter()
    if not args.no_poll:
        host.start()
    sweep_times: list[float] = []
    modal = 0
    t_end = time.perf_counter() + args.seconds
    while len(sweep_times) < args.sweeps and time.perf_counter() < t_end:
        for i, page in enumerate(window.pages):
            if app.activeModalWidget() is not None:
                modal += 1
                app.activeModalWidget().close()
            marks.append((time.perf_counter(), page.key))
            window.nav.setCurrentRow(i)
            switch.setdefault(page.key, []).append(time.perf_counter() - marks[-1][0])
            wait(args.pause_ms)
        if len(seen) >= want:
            sweep_times.append(time.perf_counter() - started)
            rt = session.services.get("runtime")
            if rt is not None and len(sweep_times) < args.sweeps:
                seen.clear()
                rt.read_group(None)             # "read all now": a second flood
                started = time.perf_counter()
    probe.stop()
    child_cpu = _child_cpu(host)
    cpu_after = os.times()
    if stall_profiles is not None:
        stall_profiles.stop()
    if stacks is not None:
        stacks.stop()
    gc_pauses.stop()
    gc_summary = gc_pauses.summary()
    import gc

    if args.gc_types:
        import types
        from collections import Counter

        def kind(o: object) -> str:
            if isinstance(o, types.FunctionType):       # closures: which function made them
                return f"function {o.__module__}.{o.__qualname__}"
            if isinstance(o, tuple) and type(o) is tuple:
                return f"tuple of {len(o)} ({', '.join(type(x).__name__ for x in o[:3])})"
            return f"{type(o).__module__}.{type(o).__qualname__}"

        kinds = Counter(kind(o) for o in gc.get_objects())
        print("objects the collector tracks, commonest types:",
              ", ".join(f"{k} {n}" for k, n in kinds.most_common(args.gc_types)))
    t_full, c_full = time.perf_counter(), time.thread_time()
    gc.collect(2)                 # the program's full collection (at most once a minute), at this heap
    full_ms, full_cpu_ms = (time.perf_counter() - t_full) * 1000, (time.thread_time() - c_full) * 1000
    if gc_undo is not None:
        gc_undo()
    if profiler is not None:
        profiler.disable()
    events = host.bridge.received
    board = window.page("meters").model
    shown = sum(1 for r in board.rows if r.last_read_at is not None and r.comm_state == "online")
    cpu_split = _cpu_split()
    window.close()
    tasks.wait_idle()
    db.dispose()
    times = [t for t, _ in marks]
    print(f"sweeps of {want} meters: {', '.join(f'{s:.1f} s' for s in sweep_times) or 'none complete'}; "
          f"{len(seen)} meters read in the last; {events} events; modal boxes: {modal}")
    print(f"meters page: {shown} of {board.rowCount()} rows online with a reading")
    from ui import board_source

    print(f"boards read (meters, control; whole or a few rows) by the runtime child: {board_source.by_child}, "
          f"in the window's process: {board_source.by_window} (before the child started, or it could not answer)")
    print(f"the window's first paint (show() to painted, every page built, before the probe and the runtime "
          f"start, as the program starts its runtime on first_painted): {first_paint_ms:.0f} ms")
    print(f"longest stall {probe.longest * 1000:.0f} ms (floor {floor.longest * 1000:.0f} ms); "
          f"99th percentile {probe.percentile(99) * 1000:.0f} ms (floor {floor.percentile(99) * 1000:.0f} ms); "
          f"{len(probe.gaps)} probes")
    settled = [g for t, g in zip(probe.at, probe.gaps, strict=True) if t - g - started_at >= SETTLE_S]
    print(f"longest stall from {SETTLE_S:.0f} s after the runtime's start on (the child's first "
          f"states and the alarms page's first read come before): {max(settled, default=0) * 1000:.0f} ms")
    import bisect

    def after_switch(t_start: float) -> float:        # seconds since the last page switch began
        i = bisect.bisect_right(times, t_start) - 1
        return t_start - times[i] if i >= 0 else float("inf")

    quiet = [g for t, g in zip(probe.at, probe.gaps, strict=True)
             if t - g - started_at >= SETTLE_S and after_switch(t - g) >= QUIET_AFTER_SWITCH_S]
    print(f"longest stall from {SETTLE_S:.0f} s on and more than {QUIET_AFTER_SWITCH_S * 1000:.0f} ms after a page "
          f"switch (the polling's, not a switch's paint): " +
          (f"{max(quiet) * 1000:.0f} ms over {len(quiet)} probes" if quiet else
           f"no such probe (a switch every {args.pause_ms} ms; try --pause-ms 2000)"))
    print(f"GUI-thread CPU between probes: longest {probe.longest_cpu * 1000:.0f} ms "
          f"(floor {floor.longest_cpu * 1000:.0f} ms); 99th percentile {probe.cpu_percentile(99) * 1000:.0f} ms "
          f"(the window's own work; the stall beyond it is waiting for a core or the GIL)")
    print("GUI-thread CPU slices (between two probes) over 20 / 30 / 50 ms: "
          + " / ".join(str(sum(1 for c in probe.cpu if c > ms / 1000)) for ms in (20, 30, 50))
          + f" (floor: {sum(1 for c in floor.cpu if c > 0.02)} over 20 ms)")
    print(cpu_split)
    own = cpu_after
    run_cpu = own.user + own.system - cpu_before.user - cpu_before.system
    print(f"CPU: this process {own.user + own.system:.1f} s in all, {run_cpu:.1f} s from the runtime's start "
          f"(user {own.user - cpu_before.user:.1f}, system {own.system - cpu_before.system:.1f}; demo creation "
          f"before it)" + (f"; the runtime's child process {child_cpu:.1f} s" if child_cpu is not None else ""))
    print(gc_summary)
    print(f"one full collection at the end (the program runs at most one a minute on the GUI thread): "
          f"{full_ms:.0f} ms, CPU {full_cpu_ms:.0f} ms")
    print("stalls over 50 ms (page being shown, ms after switching to it, GUI-thread CPU in the stall, "
          "its wait for a core, the rest: asleep on the GIL, a lock or I/O, or the machine's steal):")
    for end, gap in probe.stalls(0.05):
        i = bisect.bisect_right(times, end - gap) - 1
        key, since = (marks[i][1], (end - gap - times[i]) * 1000) if i >= 0 else ("-", 0.0)
        cpu, queued = probe.cpu_of(end), probe.queued_of(end)
        print(f"  {gap * 1000:5.0f} ms  {key:10s} +{since:.0f} ms  cpu {cpu * 1000:.0f} ms  "
              f"core wait {queued * 1000:.0f} ms  rest {(gap + probe.interval - cpu - queued) * 1000:.0f} ms")
    stolen = _steal() - steal_before
    print(f"the machine's steal time over the run (its cores given to other guests): {stolen:.2f} s")
    print("page switch (synchronous part, ms, first / worst of the rest):",
          ", ".join(f"{k} {v[0] * 1000:.0f}/{max(v[1:], default=0) * 1000:.0f}" for k, v in switch.items()))
    if stall_profiles is not None:
        def where(end: float) -> str:
            i = bisect.bisect_right(times, end) - 1
            return f"{marks[i][1]} +{(end - times[i]) * 1000:.0f} ms" if i >= 0 else "-"

        stall_profiles.print(where)
    if stacks is not None:
        stacks.print()
    if profiler is not None:
        import pstats

        pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "cumulative")).print_stats(45)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
