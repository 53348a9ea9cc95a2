"""What the station's time zone costs where billing and reports turn instants into local time.

    python -m tests.benchmarks.bench_station_time [--calls N]

The floor, measured first in the same run: calling a function that returns its argument. Then
the computer-zone conversions the code used before (astimezone() to the local zone) beside
their models.station_time replacements (zoneinfo, the database setting station.timezone, read
once from a fresh SQLite station database as a station reads it), each as CPU time per call
(time.process_time, best of 5 over 1,000 instants 7 hours apart).
"""
from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from models import station_time

INSTANTS = [datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=7 * i) for i in range(1000)]


def per_call_ns(fn: Callable[[datetime], Any], calls: int) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        for _round in range(max(1, calls // len(INSTANTS))):
            for at in INSTANTS:
                fn(at)
        best = min(best, time.process_time() - start)
    return best / (max(1, calls // len(INSTANTS)) * len(INSTANTS)) * 1e9


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200_000)
    calls = parser.parse_args(argv).calls
    import os
    import tempfile

    from models.db import Database

    with tempfile.TemporaryDirectory() as folder:
        os.environ.setdefault("METERSTATION_CONFIG_DIR", folder)        # the migration's station key
        db = Database.open(f"sqlite:///{folder}/station.db", upgrade=True)    # the zone is read from it
        try:
            return _measure(calls)
        finally:
            db.dispose()


def _measure(calls: int) -> int:
    print(f"station zone {station_time.zone()}; CPU time per call, best of 5 x {calls} calls")
    floor = per_call_ns(lambda at: at, calls)
    print(f"  {'floor (a call returning its argument)':42} {floor:7.0f} ns")
    for name, fn in [("computer zone: astimezone().replace(None)", lambda at: at.astimezone().replace(tzinfo=None)),
                     ("station_time.wall()", station_time.wall),
                     ("computer zone: astimezone().date()", lambda at: at.astimezone().date()),
                     ("station_time.day_of()", station_time.day_of),
                     ("station_time.at(day, 00:00)", lambda at: station_time.at(at.date(), at.time()))]:
        ns = per_call_ns(fn, calls)
        print(f"  {name:42} {ns:7.0f} ns  {ns / floor:6.1f}x floor")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
