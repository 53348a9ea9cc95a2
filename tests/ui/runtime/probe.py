"""StallProbe: how long the GUI event loop was blocked, measured with a 10 ms QTimer.

Each timeout records how late it fired (gap - interval); the longest gap is the longest stall a
user would feel. Used by test_stall.py and tests/benchmarks/bench_gui.py.

Each gap also records the GUI thread's own CPU time over it (time.thread_time()): on a shared,
loaded machine a stall can be long because the process waited for a core or for the GIL; the
CPU figure is the work the GUI thread itself did, which is what the window's code controls.
Where the kernel keeps it (Linux: /proc/thread-self/schedstat), each gap also records how long
the GUI thread sat runnable on a run queue, waiting for a core: the rest of a stall beyond CPU
and that wait is the thread asleep (the GIL, a lock, I/O) or the machine's own steal time.
"""
from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer


class StallProbe(QObject):
    def __init__(self, interval_ms: int = 10) -> None:
        super().__init__()
        self.interval = interval_ms / 1000
        self.gaps: list[float] = []
        self.at: list[float] = []               # perf_counter() when each gap ended
        self.cpu: list[float] = []              # GUI-thread CPU seconds spent over each gap
        self.queued: list[float] = []           # seconds runnable but waiting for a core, over each gap
        self._last_queued = 0.0
        self._last = 0.0
        self._last_cpu = 0.0
        self.on_tick = None                     # called with (gap, cpu) after each probe (bench_gui)
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self._last_cpu = time.thread_time()
        self._last_queued = run_queue_wait()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now, cpu, queued = time.perf_counter(), time.thread_time(), run_queue_wait()
        self.gaps.append(max(0.0, now - self._last - self.interval))
        self.cpu.append(cpu - self._last_cpu)
        self.queued.append(queued - self._last_queued)
        self.at.append(now)
        self._last, self._last_cpu, self._last_queued = now, cpu, queued
        if self.on_tick is not None:
            self.on_tick(self.gaps[-1], self.cpu[-1])

    @property
    def longest(self) -> float:
        return max(self.gaps, default=0.0)

    def stalls(self, over: float = 0.05) -> list[tuple[float, float]]:
        """(end time, stall) of every stall longer than `over` seconds."""
        return [(t, g) for t, g in zip(self.at, self.gaps, strict=True) if g > over]

    def cpu_of(self, end: float) -> float:
        """The GUI thread's CPU seconds over the gap that ended at `end` (an `at` value)."""
        return self.cpu[self.at.index(end)]

    def queued_of(self, end: float) -> float:
        """Seconds the GUI thread waited for a core over the gap that ended at `end`."""
        return self.queued[self.at.index(end)]

    @property
    def longest_cpu(self) -> float:
        """The most CPU the GUI thread spent between two probes (its own work, load aside)."""
        return max(self.cpu, default=0.0)

    def cpu_percentile(self, p: float) -> float:
        if not self.cpu:
            return 0.0
        ordered = sorted(self.cpu)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]

    def percentile(self, p: float) -> float:
        if not self.gaps:
            return 0.0
        ordered = sorted(self.gaps)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


_SCHEDSTAT = Path("/proc/thread-self/schedstat")


def run_queue_wait() -> float:
    """The calling thread's time runnable on a run queue, waiting for a core (seconds, since it
    started); 0.0 where the kernel does not say (not Linux, or no schedstat)."""
    try:
        return int(_SCHEDSTAT.read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0
