"""Building the poller's plans from the archive: enabled links, their installed meters, and
what to read from each meter (by kind and by the billing mode of its account)."""
from __future__ import annotations

import json

import sqlalchemy as sa

from comms.driver import MeterConfig
from comms.schedule import DEFAULT_INTERVAL, LinkPlan, MeterPlan
from models.accounts import Account, AccountMeter
from models.archive import Link, Meter
from models.db import Database


LIVE = ("voltage", "current", "power")     # the monitor board's V/A/kW columns


def quantities_for(kind: str, mode: str | None) -> tuple[str, ...]:
    """What a routine poll reads. Electricity meters also give their live values (V, A, kW:
    DL/T 645-2007 DI 02010100/02020100/02030000, -1997 B611/B621/B630, a Modbus profile's
    registers). A DL/T 645 meter without them answers "no data" (one short exchange each) and
    the driver leaves them out; a Modbus profile without them is not asked."""
    if kind in ("water", "gas"):
        return ("volume", "valve")
    if kind == "heat":
        return ("volume",)
    if mode == "meter-prepaid":
        return ("energy", "balance", "relay") + LIVE
    if mode == "station-prepaid":
        return ("energy", "relay") + LIVE
    return ("energy",) + LIVE


def meter_config(m: Meter) -> MeterConfig:
    try:
        options = {str(k): str(v) for k, v in json.loads(m.options or "{}").items()}
    except ValueError:
        options = {}
    return MeterConfig(m.protocol, m.address, m.profile or None, options)


def load_plans(db: Database, *, link_names: set[str] | None = None, quantities: tuple[str, ...] | None = None,
               interval: float = DEFAULT_INTERVAL) -> list[LinkPlan]:
    with db.read() as s:
        links = s.execute(sa.select(Link).where(Link.enabled.is_(True)).order_by(Link.id)).scalars().all()
        modes = dict(s.execute(sa.select(AccountMeter.meter_id, Account.mode)
                               .join(Account, Account.id == AccountMeter.account_id)
                               .where(AccountMeter.closed_at.is_(None))).all())
        meters = s.execute(sa.select(Meter).where(Meter.state == "installed", Meter.link_id.is_not(None))
                           .order_by(Meter.link_id, Meter.id)).scalars().all()
    plans: dict[int, LinkPlan] = {}
    for link in links:
        if link_names is None or link.name in link_names:
            plans[link.id] = LinkPlan(link.id, link.name, link.url)
    for m in meters:
        plan = plans.get(m.link_id or 0)
        if plan is None:
            continue
        plan.meters.append(MeterPlan(m.id, m.number, meter_config(m),
                                     quantities or quantities_for(m.kind, modes.get(m.id)),
                                     interval, fail_streak=m.fail_streak, lost=m.comm_state == "lost"))
    return list(plans.values())
