"""Benchmark (not a test): `meterstation log export` of 100,000 and 300,000 operation-log rows to
.xlsx and .csv — wall time and peak memory of the command's process — beside the floor, a bare
SELECT of the same rows and columns through the sqlite3 module, measured in the same run. Each
line gives the process's wall time, its CPU time (user + system: what holds on a loaded machine)
and its peak memory.

    python -m tests.benchmarks.bench_log_export [--rows 100000,300000] [--formats xlsx,csv]

The rows are seeded in bulk on a file SQLite station (Core executemany; the chain is not
computed — export does not verify it): logins, sales with details, settings changes, and
every 50th target a text a spreadsheet would run as a formula. The command acts as a super
admin (`log export` needs an operator with log_view since access/log_view): its login (one
scrypt check) and the export's own log row are part of what is measured. Peak memory is the child
process's ru_maxrss (os.wait4), so it includes the interpreter and the libraries.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FLOOR = """
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
n = 0
for row in con.execute("SELECT seq, at, operator, station, action, target, details FROM oplog ORDER BY seq DESC"):
    n += 1
print(n)
"""


def _seed(url: str, rows: int) -> None:
    import sqlalchemy as sa

    from models.counters import Counter
    from models.db import Database
    from models.oplog import OpLogEntry

    db = Database.open(url, upgrade=True)
    start = datetime(2025, 11, 1, tzinfo=UTC)
    actions = ["login", "sale", "setting.change", "meter.read", "logout"]
    batch = []
    with db.writer.begin() as conn:
        first = conn.execute(sa.select(sa.func.coalesce(sa.func.max(OpLogEntry.seq), 0))).scalar_one() + 1
        for i in range(rows):
            action = actions[i % len(actions)]
            details = ({"account": f"{i % 5000:06d}", "amount": "100.00", "method": "cash", "receipt": f"{i:08d}"}
                       if action == "sale" else {"old": "收费窗口1", "new": "收费窗口2"} if action == "setting.change"
                       else {})
            batch.append({"seq": first + i, "at": start + timedelta(seconds=30 * i), "operator": f"op{i % 7}",
                          "station": "收费窗口1", "action": action,
                          "target": '=HYPERLINK("http://x","y")' if i % 50 == 0 else f"{i % 5000:06d}",
                          "details": json.dumps(details, ensure_ascii=False, sort_keys=True),
                          "prev_hash": "0" * 64, "hash": "0" * 64, "covers": ""})
            if len(batch) == 5000:
                conn.execute(sa.insert(OpLogEntry), batch)
                batch.clear()
        if batch:
            conn.execute(sa.insert(OpLogEntry), batch)
        # the log's counter past the seeded rows, so the command's own rows (its login, the
        # export's log row) are numbered after them
        last = first + rows - 1
        if conn.execute(sa.update(Counter).where(Counter.name == "oplog").values(value=last)).rowcount == 0:
            conn.execute(sa.insert(Counter).values(name="oplog", value=last))
    db.dispose()


def _operator(url: str) -> dict[str, str]:
    """The operator the command acts as (reading the log is the log_view right): a super admin."""
    from access import operators
    from models.db import Database

    db = Database.open(url, upgrade=True)
    operators.create_first_operator(db, "bench", "bench-secret-1", "收费窗口1")
    db.dispose()
    return {"METERSTATION_OPERATOR": "bench", "METERSTATION_PASSWORD": "bench-secret-1"}


def _measured(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds and peak RSS (MB) of args run as a child of a small wrapper process."""
    wrapper = ("import resource, subprocess, sys, time\n"
               "t0 = time.perf_counter(); r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
               "wall = time.perf_counter() - t0\n"
               "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
               "sys.stderr.write(r.stderr)\n"
               "print(r.returncode, wall, u.ru_maxrss / 1024, u.ru_utime + u.ru_stime)\n")
    r = subprocess.run([sys.executable, "-c", wrapper, *args], env=env, capture_output=True, text=True)
    rc, wall, mb, cpu = r.stdout.split()
    if int(rc):
        raise SystemExit(f"{args}: exit {rc}: {r.stderr}")
    return float(wall), float(mb), float(cpu)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", default="100000,300000")
    ap.add_argument("--formats", default="xlsx,csv")
    ap.add_argument("--root", default=str(ROOT), help="the checkout whose program is measured (e.g. an older one)")
    opts = ap.parse_args()
    root = Path(opts.root)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        os.environ["METERSTATION_CONFIG_DIR"] = str(tmp_path / "cfg")
        env = {k: v for k, v in os.environ.items() if not k.startswith("METERSTATION_")}
        env.update(METERSTATION_CONFIG_DIR=str(tmp_path / "cfg"), PYTHONPATH=str(root))
        file = tmp_path / "station.db"
        url = f"sqlite:///{file}"
        env.update(_operator(url))           # its login and the export's log row are in the measured command
        seeded = 0
        print(f"{root}: log export on file SQLite ({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}); "
              "wall and peak RSS of the process")
        for n in (int(x) for x in opts.rows.split(",")):
            _seed(url, n - seeded)
            seeded = n
            wall, mb, cpu = _measured([sys.executable, "-c", FLOOR, str(file)], env)
            print(f"  {n:>7} rows  floor: bare SELECT (sqlite3)         {wall:6.2f} s  {cpu:6.2f} s CPU  {mb:6.0f} MB")
            for fmt in opts.formats.split(","):
                out = tmp_path / f"log-{n}.{fmt}"
                wall, mb, cpu = _measured([sys.executable, str(root / "app.py"), "--lang", "en", "--db", url,
                                           "log", "export", str(out)], env)
                size = out.stat().st_size / 1e6
                print(f"  {n:>7} rows  meterstation log export .{fmt:<4}     {wall:6.2f} s  {cpu:6.2f} s CPU  "
                      f"{mb:6.0f} MB  ({size:.1f} MB file)", flush=True)


if __name__ == "__main__":
    main()
