"""Benchmark (not a test): `meterstation --demo` from the shell to a shown main window, cold
(METERSTATION_DEMO_CACHE=0: the demo database built) and warm (the day's cached build copied),
beside `python -c pass`, measured in the same run.

    python -m tests.benchmarks.bench_demo [--runs 5] [--cold-runs 1] [--root DIR]

"Shown" is the first snapshot of the window probe (ui/probe.py, METERSTATION_PROBE=<file>,
written once the main window has first painted; before 2026-11-30 the probe's first snapshot
came up to 300 ms after the window showed); the program is then terminated. Offscreen Qt.
Each figure is the median wall time and the median CPU the program had used by then (user +
system from /proc/PID/stat), and beside it the CPU its child processes (the demo's simulated
meters) had used: on a shared machine the CPU holds better than the wall. After each run every
child must be gone within 5 s of the program's end (else it is named). The
children run with bytecode caches (PYTHONDONTWRITEBYTECODE removed), as an installed program has.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _cpu(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    """The running processes whose parent is pid (Linux; none elsewhere): the demo's simulators."""
    out = []
    for entry in Path("/proc").iterdir() if Path("/proc/self").exists() else ():
        if entry.name.isdigit():
            try:
                if int(entry.joinpath("stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return out


def _gone(pids: list[int], within: float = 5.0) -> bool:
    """Every pid ended (or a zombie for its new parent to reap) within `within` s."""
    end = time.monotonic() + within
    while time.monotonic() < end:
        alive = []
        for pid in pids:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state not in "ZX":
                alive.append(pid)
        if not alive:
            return True
        time.sleep(0.05)
    return False


def _to_window(root: Path, tmp: Path, cache: str, timeout: float = 600) -> tuple[float, float, float]:
    probe = tmp / f"probe-{time.monotonic_ns()}.json"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("METERSTATION_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(METERSTATION_CONFIG_DIR=str(tmp / "cfg"), PYTHONPATH=str(root), QT_QPA_PLATFORM="offscreen",
               METERSTATION_PROBE=str(probe), METERSTATION_DEMO_CACHE=cache)
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.executable, str(root / "app.py"), "--demo"], env=env, cwd=tmp,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        while not probe.exists():
            if p.poll() is not None:
                raise SystemExit(f"the demo exited ({p.returncode}): {p.stderr.read()[-2000:]}")
            if time.perf_counter() - t0 > timeout:
                raise SystemExit("no window within the timeout")
            time.sleep(0.01)
        wall, kids = time.perf_counter() - t0, _children(p.pid)
        return wall, _cpu(p.pid), sum(_cpu(k) for k in kids)
    finally:
        kids = _children(p.pid)
        p.terminate()
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        if not _gone(kids):
            print(f"  processes left running after the demo ended: {kids}")


def _medians(samples: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    return tuple(statistics.median(s[i] for s in samples) for i in range(3))  # type: ignore[return-value]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5, help="warm starts (median)")
    ap.add_argument("--cold-runs", type=int, default=1, help="cold starts, the demo database built (median)")
    ap.add_argument("--root", default=str(ROOT))
    opts = ap.parse_args()
    root = Path(opts.root)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        floors = []
        for _ in range(opts.runs):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-c", "pass"], check=True)
            floors.append(time.perf_counter() - t0)
        floor = statistics.median(floors)
        cold = _medians([_to_window(root, tmp_path, "0") for _ in range(opts.cold_runs)]) if opts.cold_runs else None
        _to_window(root, tmp_path, "1")                     # fills today's cache
        warm = _medians([_to_window(root, tmp_path, "1") for _ in range(opts.runs)])
        print(f"{root}: meterstation --demo to a shown window ({os.cpu_count()} CPUs, "
              f"load {os.getloadavg()[0]:.1f}; median of {opts.runs} warm, {opts.cold_runs} cold)")
        print(f"  python -c pass (floor)               {floor:6.2f} s")
        if cold is not None:
            print(f"  cold (demo database built)           {cold[0]:6.2f} s   CPU {cold[1]:6.2f} s"
                  f" + child processes {cold[2]:5.2f} s   (aim <= 5 s)")
        print(f"  warm (today's cached build copied)   {warm[0]:6.2f} s   CPU {warm[1]:6.2f} s"
              f" + child processes {warm[2]:5.2f} s   (aim <= 5 s)")


if __name__ == "__main__":
    main()
