"""Benchmark (not a test): wall time of `meterstation --help`, `meterstation sell --help` and one
`meterstation sell` from the shell, beside the floors measured in the same run: `python -c pass`
(the interpreter) and `python -c "import sqlalchemy"` (the database library every data command needs).

    python -m tests.benchmarks.bench_cli [--runs 15]

Each figure is the median of --runs fresh processes (a sale: a fresh process per sale on a
file SQLite station made once with the CLI itself; a sale logs in, so it includes the ~50 ms
scrypt of the password check). The machine may be shared: the CPU column and the ratios to
the floors hold better than the wall times.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")          # --root: another checkout's program (an older one, to compare)


def _env(tmp: Path) -> dict[str, str]:
    # with bytecode caches, as an installed program has them (the station's setup runs first and
    # writes them; PYTHONDONTWRITEBYTECODE would compile every module of the station each run)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return dict(env, METERSTATION_CONFIG_DIR=str(tmp / "cfg"),
                METERSTATION_DB=f"sqlite:///{tmp / 'station.db'}", PYTHONPATH=str(ROOT),
                METERSTATION_OPERATOR="root", METERSTATION_PASSWORD="secret-12", QT_QPA_PLATFORM="offscreen")


def _run(env: dict[str, str], *args: str, stdin: str | None = None) -> None:
    r = subprocess.run([sys.executable, *args], env=env, input=stdin, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{args}: exit {r.returncode}: {r.stderr}")


def _station(env: dict[str, str]) -> None:
    steps = [("db", "upgrade"), ("tariff", "add", "flat", "--flat", "0.5"), ("customer", "add", "c1"),
             ("link", "add", "bus", "tcp://127.0.0.1:9"),
             ("meter", "add", "M1", "--protocol", "dlt645-2007", "--address", "000000000001", "--link", "bus"),
             ("account", "open", "--customer", "c1", "--meter", "M1=0", "--tariff", "flat")]
    _run(env, APP, *steps[0])
    _run(dict(env, METERSTATION_OPERATOR="", METERSTATION_PASSWORD=""),
         APP, "operator", "add", "root", "--role", "super-admin", stdin="secret-12\n")
    for step in steps[1:]:
        _run(env, APP, *step)


def _median(env: dict[str, str], runs: int, *args: str) -> tuple[float, float]:
    """Median wall and median CPU (user + system of the child) seconds of runs fresh processes."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        _run(env, *args)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    global ROOT, APP
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--root", default=str(ROOT))
    opts = ap.parse_args()
    ROOT, APP = Path(opts.root), str(Path(opts.root) / "app.py")
    with tempfile.TemporaryDirectory() as tmp:
        env = _env(Path(tmp))
        _station(env)
        rows = [
            ("python -c pass (floor)", ("-c", "pass"), None),
            ("python -c 'import sqlalchemy' (floor)", ("-c", "import sqlalchemy"), None),
            ("meterstation --help", (APP, "--lang", "en", "--help"), 0.3),
            ("meterstation sell --help", (APP, "--lang", "en", "sell", "--help"), 0.3),
            ("meterstation sell 000001 1 --method cash", (APP, "sell", "000001", "1", "--method", "cash"), 0.5),
        ]
        print(f"{ROOT}: median of {opts.runs} runs each ({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, "
              f"Python {sys.version.split()[0]}); CPU = user + system of the process")
        floor = None
        for label, args, aim in rows:
            wall, cpu = _median(env, opts.runs, *args)
            if args == ("-c", "import sqlalchemy"):
                floor = (wall, cpu)
            ratio = f"  = {wall / floor[0]:.1f}x / {cpu / floor[1]:.1f}x import sqlalchemy" if aim and floor else ""
            print(f"  {label:<42} wall {wall * 1000:6.0f} ms  CPU {cpu * 1000:6.0f} ms"
                  + (f"   (aim wall <= {aim * 1000:.0f} ms){ratio}" if aim else ""))


if __name__ == "__main__":
    main()
