"""Shared-cost apportionment (公摊): a common meter's consumption priced and split among the
accounts that share it, by floor area or by number of people.

The sharers are the open accounts bound to a sub-meter of the common meter (Meter.parent_id),
or the accounts the caller names. The interval runs from where the last apportionment of this
meter stopped (its entries carry meter_id and period_key "ap<meter>:<from>-<to>") — or the
meter's initial reading — to the new reading; the unique period key makes charging one interval
twice impossible. The cost is priced once with the given tariff and split in whole fen by the
largest-remainder method, so the parts add up to the cost exactly. Subsidy is spent first.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from billing.ledger import lock_accounts, post, split_debit
from billing.lookup import account_building, find_account, find_meter
from billing.money import from_fen, to_fen
from billing.tariffs.api import price_consumption
from billing.tariffs.plan_store import find_plan_id, load_plan
from billing.units import from_milli, to_milli
from models import station_time
from models.accounts import Account, AccountMeter
from models.archive import Meter, Room
from models.audit import audited, record
from models.base import utcnow
from models.db import Database, retrying
from models.errors import Conflict, InvalidInput
from models.ledger import LedgerEntry
from models.rights import Actor
from resources.i18n import _

BASES = ("area", "people")


@dataclass(frozen=True)
class Apportionment:
    meter: str
    energy: Decimal
    cost: Decimal
    parts: dict[str, Decimal]        # account number -> amount charged


def split_fen(total: int, weights: dict[int, int]) -> dict[int, int]:
    """total fen split by weights in whole fen (largest remainder; ties to the lower key)."""
    whole = sum(weights.values())
    if whole <= 0:
        raise Conflict(_("The sharing accounts have no area or people to apportion by"))
    base = {k: total * w // whole for k, w in weights.items()}
    left = total - sum(base.values())
    order = sorted(weights, key=lambda k: (-(total * weights[k] % whole), k))
    for k in order[:left]:
        base[k] += 1
    return base


def _sharers(s: Session, meter: Meter, accounts: list[str] | None) -> list[Account]:
    if accounts:
        return [find_account(s, a) for a in accounts]
    q = (sa.select(Account).join(AccountMeter, AccountMeter.account_id == Account.id)
         .join(Meter, Meter.id == AccountMeter.meter_id)
         .where(Meter.parent_id == meter.id, AccountMeter.closed_at.is_(None), Account.state == "open")
         .distinct().order_by(Account.id))
    return list(s.execute(q).scalars())


@retrying
def apportion(db: Database, actor: Actor, meter_ref: str, reading: Decimal | str, *, tariff: str,
              by: str = "area", accounts: list[str] | None = None,
              at: datetime | None = None) -> Apportionment:
    if by not in BASES:
        raise InvalidInput(_("Apportion by area or by people, not {by}").format(by=by))
    at = at or utcnow()
    end = to_milli(reading)
    with audited(db, actor, "apportion", str(meter_ref)) as s:
        actor.require("account_edit")
        meter = find_meter(s, meter_ref)
        if not meter.is_common:
            raise Conflict(_("Meter {meter} is not a common meter").format(meter=meter.number))
        last = s.execute(sa.select(LedgerEntry.period_key, LedgerEntry.at)
                         .where(LedgerEntry.kind == "apportion", LedgerEntry.meter_id == meter.id)
                         .order_by(LedgerEntry.id.desc()).limit(1)).first()
        start = int((last[0] or "").rsplit("-", 1)[1]) if last else meter.initial_milli
        since = last[1] if last else meter.created_at
        if end <= start:
            raise InvalidInput(_("The reading must be above the last apportioned reading {reading}")
                               .format(reading=from_milli(start)))
        sharers = _sharers(s, meter, accounts)
        if not sharers:
            raise Conflict(_("No open account shares meter {meter}").format(meter=meter.number))
        locked = lock_accounts(s, [a.id for a in sharers])
        for building in sorted({b for b in (account_building(s, a) for a in locked.values()) if b is not None}):
            actor.require("account_edit", building)     # each sharer is charged: its building's right
        rooms = {a.id: s.get(Room, a.room_id) if a.room_id else None for a in locked.values()}
        weights = {i: (r.area_centi_m2 if by == "area" else r.people) if r else 0 for i, r in rooms.items()}
        plan = load_plan(s, find_plan_id(s, tariff))
        energy = from_milli((end - start) * meter.ct_ratio)
        lstart, lend = station_time.wall(since), station_time.wall(at)
        if lend <= lstart:                        # clock trouble: price it as one second's use
            lstart = lend - timedelta(seconds=1)
        cost = price_consumption(plan, lstart, lend, energy).amount
        parts: dict[str, Decimal] = {}
        key = f"ap{meter.id}:{start}-{end}"
        for account_id, fen in split_fen(to_fen(cost), weights).items():
            account = locked[account_id]
            post(s, account, "apportion", -fen, subsidy_fen=-split_debit(account, fen), actor=actor,
                 period_key=key, meter_id=meter.id, at=at,
                 energy_milli=(end - start) * meter.ct_ratio * weights[account_id] // max(sum(weights.values()), 1))
            parts[account.number] = from_fen(fen)
        record(s, actor, "apportion", meter.number, {"from": str(from_milli(start)), "to": str(from_milli(end)),
                                                     "cost": str(cost), "by": by,
                                                     "parts": {k: str(v) for k, v in parts.items()}})
        return Apportionment(meter.number, energy, cost, parts)
