"""Benchmark (not a test): the "Alarm history" report's export at 150,000+ alarms - CPU time and
peak Python heap (tracemalloc) of the export, beside a floor measured in the same run: the same
rows through a bare SELECT (sqlite3's cursor, fetchmany(2000), nothing kept).

    python -m tests.benchmarks.bench_alarm_report [--alarms 150000]

What is measured, in this process on a fresh SQLite station (seeded in bulk, Core executemany):

    floor    sqlite3: SELECT the export's columns and joins, fetchmany(2000) to the end
    stream   iter_alarm_history: every row built (AlarmRow), nothing written
    export   export_streamed(..., "alarms") - the `report alarms --xlsx` command's path
    run      the reports page's run(): the first SHOWN rows, held for the screen (its heap: what the
             screen costs; measured under tracemalloc, so its CPU is inflated)
    page     the reports page's Export: export_xlsx of the rows run() gave, which writes every alarm
             from the cursor (the held rows are not in its figures)

Each stage's CPU is measured in a plain run, its peak heap in a second run under tracemalloc.
`PYTHONPATH=OTHER_CHECKOUT python -m tests.benchmarks.bench_alarm_report` measures another
checkout's code (the code before: floor, run and page only).

The seed is also the tests' (tests/billing/reports/test_alarm_report_export.py).

150,000 alarms, SQLite, this shared 2-core machine at load 6-10 (2026-11-30), CPU s / peak heap MB:
floor 0.23 / 2.05; stream 0.94 / 1.10; export 3.24 / 3.45 (150,000 rows); page 3.41 / 3.44
(150,000 rows); run 100,000 rows held, 92 MB. The code before (the same run, same hour): page
1.70 s / 2.51 MB but 100,000 rows written of 150,000, without a word; run 197 MB (ORM objects).
"""
from __future__ import annotations

import argparse
import gc
import os
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

KINDS = ("arrears", "meter_lost", "alarm1", "over_voltage", "link_lost")
STATES = ("open", "acknowledged", "cleared")
START, END = date(2026, 10, 1), date(2026, 10, 31)       # the report's range: every seeded alarm is in it

FLOOR_SQL = ("SELECT a.id, a.kind, a.state, a.raised_at, a.message, ac.number, c.name, m.number, "
             "coalesce(l.name, ml.name), b.name, a.acked_by, a.acked_at, a.cleared_at, a.details "
             "FROM alarms a LEFT JOIN accounts ac ON ac.id = a.account_id "
             "LEFT JOIN customers c ON c.id = ac.customer_id LEFT JOIN meters m ON m.id = a.meter_id "
             "LEFT JOIN links l ON l.id = a.link_id LEFT JOIN links ml ON ml.id = m.link_id "
             "LEFT JOIN buildings b ON b.id = a.building_id ORDER BY a.id")


def seed_alarms(db: Any, n: int, *, start: int = 0, building_id: int | None = None) -> None:
    """n alarms numbered from start ("alarm {i}"), spread over October 2026 (local days 2-30,
    inside START..END in any station zone), kinds and states in turn; ids rise with i."""
    import sqlalchemy as sa

    from models.automation import Alarm

    first = datetime(2026, 10, 2, tzinfo=UTC)
    step = timedelta(days=28) / max(n + start, 1)
    for lo in range(start, start + n, 25_000):
        rows = [{"kind": KINDS[i % len(KINDS)], "state": STATES[i % 3], "message": f"alarm {i}",
                 "details": "{}", "raised_at": first + step * i, "acked_by": "root" if i % 3 == 1 else "",
                 "building_id": building_id}
                for i in range(lo, min(start + n, lo + 25_000))]
        with db.write() as s:
            s.execute(sa.insert(Alarm), rows)


def peak(fn: Callable[[], Any]) -> tuple[Any, int, float]:
    """fn()'s result, the peak of the Python heap it allocated (tracemalloc, bytes) and its CPU seconds."""
    gc.collect()
    tracemalloc.start()
    cpu = time.process_time()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1], time.process_time() - cpu
    finally:
        tracemalloc.stop()


def bare_select(path: str | os.PathLike[str]) -> int:
    """The floor: the export's rows through sqlite3, nothing kept."""
    import sqlite3

    con = sqlite3.connect(path)
    try:
        cur = con.execute(FLOOR_SQL)
        n = 0
        while rows := cur.fetchmany(2000):
            n += len(rows)
        return n
    finally:
        con.close()


def sheet_rows(path: str | os.PathLike[str]) -> tuple[int, bytes]:
    """The rows of an export's sheet (every <row>, title and header included) and its XML's last
    4 KB, read from the zip as a stream (openpyxl would take minutes at 150,000 rows)."""
    from zipfile import ZipFile

    n, tail = 0, b""
    with ZipFile(path) as z, z.open("xl/worksheets/sheet1.xml") as f:
        while chunk := f.read(1 << 20):
            joined = tail + chunk
            n += joined.count(b"</row>") - tail.count(b"</row>")
            tail = joined[-4096:]
    return n, tail


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--alarms", type=int, default=150_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for name in ("CONFIG", "DATA", "LOG", "BILL"):
            os.environ[f"METERSTATION_{name}_DIR"] = str(Path(folder) / name.lower())
        from access import login as auth
        from access import operators
        from billing.reports import field
        from billing.reports.catalog import REPORTS, export_streamed, export_xlsx
        from models.db import Database

        path = Path(folder) / "alarms.db"
        db = Database.open(f"sqlite:///{path}", upgrade=True)
        operators.create_first_operator(db, "root", "secret-1", "TEST")
        root = auth.login(db, "root", "secret-1", "TEST")
        seed_alarms(db, args.alarms)
        print(f"load: {os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} CPUs; {args.alarms} alarms")

        def stream() -> int:
            with db.read() as s:
                return sum(1 for _r in field.iter_alarm_history(s, START, END, actor=root))

        out = Path(folder) / "a.xlsx"
        export_xlsx(Path(folder) / "warm.xlsx", "alarms", [], START, END)     # imports outside the figures
        stages: list[tuple[str, Callable[[], Any]]] = [("floor", lambda: bare_select(path))]
        if REPORTS["alarms"].stream is not None:                             # (--root: the code before)
            stages += [("stream", stream),
                       ("export", lambda: export_streamed(db, out, "alarms", START, END, "", root))]
        for name, fn in stages:
            cpu = time.process_time()
            n = fn()
            cpu = time.process_time() - cpu
            _n, heap, _cpu = peak(fn)
            print(f"{name:7s} rows {n:7d}  CPU {cpu:6.2f} s  peak heap {heap / 1e6:7.2f} MB")
        shown, heap, cpu = peak(lambda: REPORTS["alarms"].run(db, START, END, "", root))
        print(f"run     rows {len(shown):7d}  CPU {cpu:6.2f} s  peak heap {heap / 1e6:7.2f} MB (tracemalloc on: "
              f"CPU x2-3) - the screen's rows, held; of {getattr(shown, 'total', '?')}")
        cpu = time.process_time()
        n = export_xlsx(out, "alarms", shown, START, END)
        cpu = time.process_time() - cpu
        _n, heap, _cpu = peak(lambda: export_xlsx(out, "alarms", shown, START, END))
        print(f"page    rows {n:7d}  CPU {cpu:6.2f} s  peak heap {heap / 1e6:7.2f} MB "
              "(the reports page's Export of the rows it shows; the run above not counted)")
        print("sheet rows (title and header included):", sheet_rows(out)[0])
        db.dispose()


if __name__ == "__main__":
    main()
