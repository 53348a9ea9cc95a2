"""Building the poller's plans from the archive: enabled links, their installed meters, and
what to read from each meter (by kind and by the billing mode of its account)."""
from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy.orm import Session

from comms.interfaces import MeterConfig
from comms.polling.read_schedule import DEFAULT_INTERVAL, LinkPlan, MeterPlan
from models.accounts import Account, AccountMeter
from models.archive import Link, Meter
from models.db import Database
from models.meter_options import CJT188_TYPE_BY_KIND

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
    """The driver's view of an archive meter: its options, and for CJ/T 188 the meter type of its
    kind (gas and heat meters are not addressed as cold-water meters) unless an option names one."""
    try:
        options = {str(k): str(v) for k, v in json.loads(m.options or "{}").items()}
    except ValueError:
        options = {}
    if m.protocol == "cjt188" and not options.get("meter_type") and m.kind in CJT188_TYPE_BY_KIND:
        options["meter_type"] = CJT188_TYPE_BY_KIND[m.kind]
    return MeterConfig(m.protocol, m.address, m.profile or None, options)


def serial_defaults_url(url: str, profiles: list[str]) -> str:
    """The link URL with its meters' profile serial settings filled in where the URL gives none
    (SDM120: 2400 8N1 per its profile, see resources/profiles/*.json "serial"): a `baud` or
    `parity` the URL names is kept; a setting the profiles disagree on, or leave open (null), is
    not filled. A serial or TCP-converter link only; other URLs come back unchanged."""
    from urllib.parse import parse_qs, urlsplit

    from comms.protocols.modbus_profile_schema import load_profile
    from models.errors import StationError

    parts = urlsplit(url.strip())
    if parts.scheme not in ("serial", "tcp") or not profiles:
        return url
    given = parse_qs(parts.query)
    wanted: dict[str, str] = {}
    for key in ("baud", "parity"):
        if key in given:
            continue
        values = set()
        for name in dict.fromkeys(profiles):
            try:
                p = load_profile(name)
            except StationError:
                return url
            values.add(p.baud if key == "baud" else p.parity)
        if len(values) == 1 and None not in values:
            wanted[key] = str(values.pop())
    if not wanted:
        return url
    extra = "&".join(f"{k}={v}" for k, v in wanted.items())
    return url + ("&" if parts.query else "?" if not url.endswith("?") else "") + extra


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
    profiles: dict[int, list[str]] = {}
    for m in meters:
        plan = plans.get(m.link_id or 0)
        if plan is None:
            continue
        plan.meters.append(MeterPlan(m.id, m.number, meter_config(m),
                                     quantities or quantities_for(m.kind, modes.get(m.id)),
                                     interval, fail_streak=m.fail_streak, lost=m.comm_state == "lost"))
        profiles.setdefault(plan.link_id, []).append(m.profile if m.protocol == "modbus" else "")
    for plan in plans.values():
        names = profiles.get(plan.link_id, [])
        if names and all(names):            # only a bus of profiled (Modbus) meters takes their settings
            plan.url = serial_defaults_url(plan.url, names)
    return list(plans.values())


def link_url_for(s: Session, link: Link) -> str:
    """The URL a link is opened with (serial_defaults_url over its installed meters' profiles)."""
    rows = s.execute(sa.select(Meter.protocol, Meter.profile).where(
        Meter.link_id == link.id, Meter.state == "installed")).all()
    names = [prof if proto == "modbus" else "" for proto, prof in rows]
    return serial_defaults_url(link.url, names) if names and all(names) else link.url
