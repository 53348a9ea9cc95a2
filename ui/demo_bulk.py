"""More demo meters for scale (`meterstation --demo-meters N`): the 144 planned meters keep their
accounts and history (ui/demo.py); the rest are plain DL/T 645-2007 meters without accounts,
PER_LINK to a link, each link served by its own loopback simulator. They are written in one
transaction with SQLAlchemy Core executemany (a few hundred ms for 10,000 meters), with one
operation-log row "demo.meters" for the lot.
"""
from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from models.db import Database

PER_LINK = 100
FIRST_NUMBER = 250000000000


def bulk_numbers(extra: int) -> list[str]:
    return [f"{FIRST_NUMBER + i + 1:012d}" for i in range(extra)]


def add_bulk_meters(db: Database, admin, demo, extra: int, *, days: int, latency: float = 0.03,
                    simulate: bool = True) -> int:
    """Add `extra` meters on ceil(extra / PER_LINK) links; start their simulators (appended to
    demo.simulators) when simulate. Returns how many meters were added."""
    from comms.simulator import start_simulator
    from models.archive import Link, Meter
    from models.audit import record

    if extra <= 0:
        return 0
    numbers = bulk_numbers(extra)
    groups = [numbers[i:i + PER_LINK] for i in range(0, extra, PER_LINK)]
    urls = []
    for k, group in enumerate(groups):
        if simulate:
            spec = ",".join(f"dlt645-2007:{n}/kw=0.{(k + j) % 9 + 1}/energy={1000 + j}" for j, n in enumerate(group))
            sim = start_simulator(spec, baud=9600, latency=latency, demo=True)
            demo.simulators.append(sim)
            urls.append(f"{sim.url}?baud=9600")
        else:
            urls.append(f"tcp://127.0.0.1:{k + 1}")
    installed = date.today() - timedelta(days=days + 30)
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
