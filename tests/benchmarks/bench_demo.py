"""Benchmark (not a test): `meterstation --demo` from the shell to a shown main window, cold
(METERSTATION_DEMO_CACHE=0: the demo database built) and warm (the day's cached build copied),
beside `python -c pass`, measured in the same run.

    python -m tests.benchmarks.bench_demo [--runs 1] [--root DIR]

"Shown" is the first snapshot of the window probe (ui/probe.py, METERSTATION_PROBE=<file>,
written once the main window is shown); the program is then terminated. Offscreen Qt.
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


def _to_window(root: Path, tmp: Path, cache: str, timeout: float = 600) -> float:
    probe = tmp / f"probe-{time.monotonic_ns()}.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("METERSTATION_")}
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
            time.sleep(0.05)
        return time.perf_counter() - t0
    finally:
        p.terminate()
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--root", default=str(ROOT))
    opts = ap.parse_args()
    root = Path(opts.root)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        floor = time.perf_counter() - t0
        cold = statistics.median(_to_window(root, tmp_path, "0") for _ in range(opts.runs))
        _to_window(root, tmp_path, "1")                     # fills today's cache
        warm = statistics.median(_to_window(root, tmp_path, "1") for _ in range(opts.runs))
        print(f"{root}: meterstation --demo to a shown window ({os.cpu_count()} CPUs, "
              f"load {os.getloadavg()[0]:.1f}; median of {opts.runs})")
        print(f"  python -c pass (floor)               {floor:6.2f} s")
        print(f"  cold (demo database built)           {cold:6.2f} s   (aim <= 5 s)")
        print(f"  warm (today's cached build copied)   {warm:6.2f} s   (aim <= 5 s)")


if __name__ == "__main__":
    main()
