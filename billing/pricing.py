"""An account's tariff applied: sale previews (energy for money and back) and the price of a
reading interval, with the consumption already counted in the running tier cycle.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Literal, Protocol, overload

from sqlalchemy.orm import Session

from billing import tier_state
from billing.lookup import find_account
from billing.money import to_fen
from billing.span_charges import CycleState, charge_span, cycle_start_of
from billing.tariffs.api import TariffPlan as PlanModel
from billing.tariffs.api import amount_for_energy, energy_for_amount
from billing.tariffs.plan_store import load_plan
from billing.units import from_milli
from models import station_time
from models.accounts import Account
from models.base import utcnow
from models.db import Database
from models.errors import Conflict
from resources.i18n import _


class TierStore(Protocol):
    """Where an account's tier cycles are read and moved: billing.tier_state (the table, the
    default) or a billing.tier_state.Memory (a history generated in bulk)."""

    def load(self, session: Session, account: Account, cycle: datetime, upto: datetime) -> CycleState | None: ...

    def save(self, session: Session, account: Account, state: CycleState) -> None: ...


@overload
def account_plan(session: Session, account: Account, *, required: Literal[True]) -> PlanModel: ...
@overload
def account_plan(session: Session, account: Account, *, required: bool = False) -> PlanModel | None: ...


def account_plan(session: Session, account: Account, *, required: bool = False) -> PlanModel | None:
    if account.tariff_plan_id is None:
        if required:
            raise Conflict(_("Account {account} has no tariff").format(account=account.number))
        return None
    cache: dict[int, PlanModel] = session.info.setdefault("billing.plans", {})
    if account.tariff_plan_id not in cache:
        cache[account.tariff_plan_id] = load_plan(session, account.tariff_plan_id, keep=True)
    return cache[account.tariff_plan_id]


def _local(when: datetime) -> datetime:
    return station_time.wall(when)


def cycle_consumption(session: Session, account: Account, plan: PlanModel, when: datetime,
                      tiers: TierStore | None = None) -> Fraction:
    """Energy already charged to the account in the tier cycle running at `when` (UTC aware),
    including a charge made exactly at `when` (billing/tier_state.py)."""
    if not any(v.tiers is not None for v in plan.versions):
        return Fraction(0)
    store: TierStore = tiers if tiers is not None else tier_state
    state = store.load(session, account, cycle_start_of(plan, _local(when)), when)
    return state.energy if state is not None else Fraction(0)


@dataclass(frozen=True)
class Preview:
    amount: Decimal
    energy: Decimal | None


def preview_in(session: Session, account: Account, *, amount: Decimal | None = None,
               energy: Decimal | None = None, when: datetime | None = None,
               tiers: TierStore | None = None) -> Preview:
    """Energy `amount` buys, or the amount `energy` costs, under the account's tariff now."""
    when = when or utcnow()
    plan = account_plan(session, account, required=energy is not None)
    if plan is None:
        return Preview(amount or Decimal("0.00"), None)
    used = cycle_consumption(session, account, plan, when, tiers)
    if energy is not None:
        return Preview(amount_for_energy(plan, _local(when), energy, used), energy)
    assert amount is not None
    return Preview(amount, energy_for_amount(plan, _local(when), amount, used))


def preview(db: Database, account_ref: str, *, amount: Decimal | None = None,
            energy: Decimal | None = None) -> Preview:
    with db.read() as s:
        return preview_in(s, find_account(s, account_ref), amount=amount, energy=energy)


def price_interval(session: Session, account: Account, start: datetime, end: datetime,
                   milli: int, *, tiers: TierStore | None = None) -> int:
    """The charge in fen for `milli` thousandths consumed in [start, end) (UTC aware), priced from
    the account's tier cycles as they stand (every earlier charge counted) and moving them on:
    call it only to post the charge (billing/span_charges.py has the rules). `tiers`: where
    the cycles are kept (default: the table)."""
    plan = account_plan(session, account, required=True)
    assert plan is not None
    store: TierStore = tiers if tiers is not None else tier_state
    if end <= start:                      # clock trouble: price it as one second's use
        start = end - timedelta(seconds=1)
    charge = charge_span(plan, _local(start), _local(end), from_milli(milli),
                         lambda cycle: store.load(session, account, cycle, start))
    for part in charge.parts:
        store.save(session, account, part.after)
    return to_fen(charge.amount)
