"""More demo meters for scale (`meterstation --demo-meters N`): the 144 planned meters keep their
accounts and history (ui/demo.py); the rest are plain DL/T 645-2007 meters without accounts,
PER_LINK to a link, each link served by its own loopback simulator. Those simulators run in one
child process (`python -m ui.demo_bulk`), as real meters are not in the station's process: a
hundred simulator threads sharing the window's interpreter lock would stall the window for
seconds, which no real station sees. They are written in one
transaction with SQLAlchemy Core executemany (a few hundred ms for 10,000 meters), with one
operation-log row "demo.meters" for the lot.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import sqlalchemy as sa

from models import station_time
from models.db import Database

PER_LINK = 100
FIRST_NUMBER = 250000000000


def bulk_numbers(extra: int) -> list[str]:
    return [f"{FIRST_NUMBER + i + 1:012d}" for i in range(extra)]


def add_bulk_meters(db: Database, admin, demo, extra: int, *, days: int, latency: float = 0.03,
                    simulate: bool = True) -> int:
    """Add `extra` meters on ceil(extra / PER_LINK) links; start their simulators (appended to
    demo.simulators) when simulate. Returns how many meters were added."""
    from models.archive import Link, Meter
    from models.audit import record

    if extra <= 0:
        return 0
    numbers = bulk_numbers(extra)
    groups = [numbers[i:i + PER_LINK] for i in range(0, extra, PER_LINK)]
    specs = [",".join(f"dlt645-2007:{n}/kw=0.{(k + j) % 9 + 1}/energy={1000 + j}" for j, n in enumerate(group))
             for k, group in enumerate(groups)]
    if simulate:
        child = ChildSimulators(specs, latency)
        demo.simulators.append(child)
        urls = [f"{u}?baud=9600" for u in child.urls]
    else:
        urls = [f"tcp://127.0.0.1:{k + 1}" for k in range(len(groups))]
    installed = station_time.today() - timedelta(days=days + 30)
    with db.write() as s:
        s.execute(sa.insert(Link), [{"name": f"演示扩展总线{k + 1:03d}", "url": url, "protocol": "dlt645-2007",
                                     "enabled": True, "state": "unknown"} for k, url in enumerate(urls)])
        ids = dict(s.execute(sa.select(Link.name, Link.id).where(Link.name.like("演示扩展总线%"))).all())
        rows = []
        for k, group in enumerate(groups):
            link_id = ids[f"演示扩展总线{k + 1:03d}"]
            for j, n in enumerate(group):
                rows.append({"number": n, "kind": "electricity", "protocol": "dlt645-2007", "address": n,
                             "link_id": link_id, "profile": "", "options": "{}", "ct_ratio": 1,
                             "initial_milli": (1000 + j) * 1000, "install_date": installed, "state": "installed",
                             "is_common": False, "comm_state": "unknown", "fail_streak": 0,
                             "relay_state": "unknown", "keep_power": False, "last_values": "{}"})
        s.execute(sa.insert(Meter), rows)
        record(s, admin, "demo.meters", "", {"meters": extra, "links": len(groups)})
    return extra


class ChildSimulators:
    """The bulk links' simulators in one child process; stop() ends it (closing its stdin)."""

    def __init__(self, specs: list[str], latency: float) -> None:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = dict(os.environ, METERSTATION_DEMO="1", PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
        self.proc = subprocess.Popen([sys.executable, "-m", "ui.demo_bulk"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env, cwd=root)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"specs": specs, "latency": latency}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            self.stop()
            raise RuntimeError("the demo's simulator process did not start")
        self.urls: list[str] = json.loads(line)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.close()
                self.proc.wait(timeout=20)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def _serve() -> None:                   # the child: start, say where, run until stdin closes
    from comms.simulator import start_simulator

    job = json.loads(sys.stdin.readline())
    sims = [start_simulator(spec, baud=9600, latency=job["latency"], demo=True) for spec in job["specs"]]
    print(json.dumps([s.url for s in sims]), flush=True)
    try:
        sys.stdin.read()
    finally:
        for s in sims:
            s.stop()


if __name__ == "__main__":
    _serve()
