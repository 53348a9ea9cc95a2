"""More demo meters for scale (`meterstation --demo-meters N`): the 144 planned meters keep their
accounts and history (ui/demo.py); the rest are plain DL/T 645-2007 meters without accounts,
PER_LINK to a link, each link a simulator of its own (bulk_plans). ui/demo.py serves them with
the demo's other links, in the demo's simulator process (comms/simulator/process.py). They are
written in one transaction with SQLAlchemy Core executemany (a few hundred ms for 10,000
meters), with one operation-log row "demo.meters" for the lot.
"""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from comms.simulator.plan import LinkPlan
from models import station_time
from models.db import Database

PER_LINK = 100
FIRST_NUMBER = 250000000000


def bulk_numbers(extra: int) -> list[str]:
    return [f"{FIRST_NUMBER + i + 1:012d}" for i in range(extra)]


def bulk_plans(extra: int, latency: float = 0.03) -> list[LinkPlan]:
    """The simulated links of `extra` bulk meters, PER_LINK to a link (none for extra <= 0)."""
    numbers = bulk_numbers(max(extra, 0))
    groups = [numbers[i:i + PER_LINK] for i in range(0, len(numbers), PER_LINK)]
    return [LinkPlan(",".join(f"dlt645-2007:{n}/kw=0.{(k + j) % 9 + 1}/energy={1000 + j}"
                              for j, n in enumerate(group)), 9600, latency)
            for k, group in enumerate(groups)]


def add_bulk_meters(db: Database, admin, extra: int, *, days: int, urls: list[str] | None = None) -> int:
    """Add `extra` meters on ceil(extra / PER_LINK) links, the links at `urls` (their simulators'
    addresses, bulk_plans' order; placeholders when not simulated). Returns how many were added."""
    from models.archive import Link, Meter
    from models.audit import record

    if extra <= 0:
        return 0
    numbers = bulk_numbers(extra)
    groups = [numbers[i:i + PER_LINK] for i in range(0, extra, PER_LINK)]
    urls = [f"{u}?baud=9600" for u in urls] if urls is not None else \
        [f"tcp://127.0.0.1:{k + 1}" for k in range(len(groups))]
    assert len(urls) == len(groups)
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
