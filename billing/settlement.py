"""Station-side settlement (系统计费): a meter reading's consumption priced and charged.

    settle_reading(db, actor, "M-0001", Decimal("1234.56"), at)

The consumption of a bound meter is charged from how far it was settled (last_settled_milli,
starting at the binding's opening reading) to the new reading, priced by the account's tariff
over that time span, with period_key "m<meter>:<from>-<to>" so the same interval can never be
charged twice. Consumption before the opening reading is never charged; a binding opened with
no reading takes the first reading as its opening and charges nothing for it. A reading below
the settled one (meter replaced, reset, misread) charges nothing and moves nothing.

Station- and meter-side prepaid accounts are charged "consumption" (for meter-side prepaid the
entry mirrors what the meter deducted, so the station's balance follows the meter's); postpaid
accounts are left for the bill (billing/postpaid.py). Subsidy money is spent first.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from billing.ledger import EntryBatch, lock_account, post, split_debit
from billing.lookup import account_building, binding_of_meter, find_meter
from billing.money import from_fen
from billing.pricing import TierStore, price_interval
from billing.units import to_milli
from models.accounts import Account, AccountMeter
from models.archive import Meter, Reading
from models.audit import audited, record
from models.base import utcnow
from models.db import Database, retrying
from models.errors import NotFound
from models.ledger import LedgerEntry
from models.rights import Actor
from resources.i18n import _


def record_reading(session: Session, meter_id: int, milli: int, at: datetime, source: str) -> None:
    session.add(Reading(meter_id=meter_id, at=at, source=source, energy_milli=milli))


def charge_binding(session: Session, account: Account, binding: AccountMeter, reading_milli: int,
                   at: datetime, *, actor: Actor, kind: str = "consumption",
                   period_key: str | None = None, batch: EntryBatch | None = None,
                   tiers: TierStore | None = None) -> LedgerEntry | None:
    """Charge the binding's consumption up to reading_milli (account locked by the caller).
    A history generated in bulk passes `batch` (the entry posted in memory, written by the
    batch: billing.ledger.EntryBatch) and `tiers` (the tier cycles in memory:
    billing.tier_state.Memory); the charge is the same."""
    if binding.opening_milli is None:
        binding.opening_milli, binding.opening_source = reading_milli, "first-poll"
        binding.last_settled_milli, binding.last_settled_at = reading_milli, at
        return None
    start = binding.last_settled_milli if binding.last_settled_milli is not None else binding.opening_milli
    if reading_milli <= start:
        if reading_milli == start:                       # no use: the span restarts here
            binding.last_settled_at = at
        return None
    meter = session.get(Meter, binding.meter_id)
    ct = meter.ct_ratio if meter else 1
    used = (reading_milli - start) * ct
    since = binding.last_settled_at or binding.opened_at
    fen = price_interval(session, account, since, at, used, tiers=tiers)
    key = period_key or f"m{binding.meter_id}:{start}-{reading_milli}"
    if batch is not None:
        entry = batch.post(account, kind, -fen, subsidy_fen=-split_debit(account, fen), actor=actor,
                           period_key=key, meter_id=binding.meter_id, energy_milli=used, at=at)
    else:
        entry = post(session, account, kind, -fen, subsidy_fen=-split_debit(account, fen), actor=actor,
                     period_key=key, meter_id=binding.meter_id, energy_milli=used, at=at)
    binding.last_settled_milli, binding.last_settled_at = reading_milli, at
    return entry


@retrying
def settle_reading(db: Database, actor: Actor, meter_ref: str | int, reading: Decimal | str,
                   at: datetime | None = None) -> LedgerEntry | None:
    """Record one reading of a bound meter and charge its consumption (one transaction)."""
    at = at or utcnow()
    milli = to_milli(reading)
    with audited(db, actor, "settle", str(meter_ref)) as s:
        actor.require("meter_read")
        meter = find_meter(s, meter_ref)
        found = binding_of_meter(s, meter.id)
        if found is None:
            raise NotFound(_("Meter {meter} is not bound to an account").format(meter=meter.number))
        account = lock_account(s, found.account_id)
        actor.require("meter_read", account_building(s, account))     # area rights, as every account service
        binding = binding_of_meter(s, meter.id)          # re-read under the account lock
        if binding is None or binding.account_id != account.id:
            raise NotFound(_("Meter {meter} is not bound to an account").format(meter=meter.number))
        record_reading(s, meter.id, milli, at, "poll")
        if account.mode == "postpaid" and binding.opening_milli is not None:
            return None
        entry = charge_binding(s, account, binding, milli, at, actor=actor)
        if entry is not None:
            record(s, actor, "settle", account.number,
                   {"meter": meter.number, "reading": str(reading), "amount": str(from_fen(entry.amount_fen)),
                    "balance": str(from_fen(account.balance_fen))})
        return entry
