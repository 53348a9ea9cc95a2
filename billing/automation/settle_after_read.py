"""Station-side settlement after each reading (系统计费), then alarms and arrears.

The poll store calls settle_readings(ids) after it committed a batch of readings. For each
bound meter, its newest unflagged reading of the batch is charged from how far the binding was
settled (billing.settlement.charge_binding: the interval's period_key and last_settled_milli
make a second charge of the same span impossible), priced by the account's tariff. Flagged
readings (backwards, jump) are never billed. A station that was off charges exactly what the
meter measured meanwhile — the span from the last settled reading to the new one — nothing more.

Prepaid accounts (station- and meter-side) are charged; postpaid ones only take their first
reading as the opening (they are billed on the settlement day, billing/postpaid.py). Each
account is settled in a savepoint of one transaction per batch, so one bad account (no tariff)
does not stop the others. Alarm levels follow (alarm_log.sync_account), then the arrears policy
(billing/automation/arrears.py).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from billing import alarm_log
from billing.automation import arrears
from billing.automation.calendar import quiet_now, utcnow
from billing.ledger import lock_account
from billing.lookup import binding_of_meter
from billing.money import from_fen
from billing.settlement import charge_binding
from models.accounts import Account, AccountMeter
from models.archive import Meter, Reading
from models.audit import audited, record
from models.db import Database, is_retryable, retrying
from models.rights import Actor, system_actor

log = logging.getLogger(__name__)


@dataclass
class SettleResult:
    charged: int = 0                                       # entries posted
    fen: int = 0                                           # total charged (positive)
    accounts: set[int] = field(default_factory=set)
    tripped: list[int] = field(default_factory=list)       # meters a trip was queued for
    failed: list[str] = field(default_factory=list)        # accounts whose settlement failed


def _newest_per_meter(session: Session, reading_ids: list[int]) -> dict[int, Reading]:
    rows = session.execute(sa.select(Reading).where(Reading.id.in_(reading_ids), Reading.flag == "")
                           .order_by(Reading.at, Reading.id)).scalars().all()
    newest: dict[int, Reading] = {}
    for r in rows:
        newest[r.meter_id] = r
    return newest


@retrying
def settle_readings(db: Database, reading_ids: list[int], *, actor: Actor | None = None,
                    now: datetime | None = None) -> SettleResult:
    """Charge what the readings measured, update alarms, apply arrears (one transaction)."""
    actor = actor or system_actor("system")
    now = now or utcnow()
    result = SettleResult()
    if not reading_ids:
        return result
    if not actor.can("settle"):                 # the service role may be configured without it
        with audited(db, actor, "settle"):
            actor.require("settle")
    with db.write() as s:
        newest = _newest_per_meter(s, list(reading_ids))
        if not newest:
            return result
        bound = dict(s.execute(sa.select(AccountMeter.meter_id, AccountMeter.account_id)
                               .where(AccountMeter.meter_id.in_(list(newest)),
                                      AccountMeter.closed_at.is_(None))).all())
        by_account: dict[int, list[Reading]] = {}
        for meter_id, reading in newest.items():
            if meter_id in bound:
                by_account.setdefault(bound[meter_id], []).append(reading)
        quiet = quiet_now(s, now)
        for account_id in sorted(by_account):
            try:
                with s.begin_nested():
                    _settle_account(s, account_id, by_account[account_id], actor, now, quiet, result)
            except Exception as e:  # noqa: BLE001 - one account's fault must not stop the batch
                if is_retryable(e):
                    raise                                   # the whole batch runs again (@retrying)
                log.exception("settling account %s failed", account_id)
                number = s.scalar(sa.select(Account.number).where(Account.id == account_id))
                result.failed.append(number or str(account_id))
    return result


def _settle_account(s: Session, account_id: int, readings: list[Reading], actor: Actor, now: datetime,
                    quiet: bool, result: SettleResult) -> None:
    account = lock_account(s, account_id)
    if account.state != "open":
        return
    for reading in readings:
        binding = binding_of_meter(s, reading.meter_id)         # re-read under the account lock
        if binding is None or binding.account_id != account.id:
            continue
        if account.mode == "postpaid" and binding.opening_milli is not None:
            continue
        if binding.last_settled_at is not None and reading.at <= binding.last_settled_at:
            continue                                            # older than what was settled
        entry = charge_binding(s, account, binding, reading.energy_milli, reading.at, actor=actor)
        if entry is not None:
            result.charged += 1
            result.fen += -entry.amount_fen
            number = s.scalar(sa.select(Meter.number).where(Meter.id == reading.meter_id))
            record(s, actor, "settle", account.number,
                   {"meter": number, "reading_milli": reading.energy_milli, "amount": str(from_fen(-entry.amount_fen)),
                    "balance": str(from_fen(account.balance_fen)), "period": entry.period_key})
    result.accounts.add(account.id)
    alarm_log.sync_account(s, account, at=now)
    result.tripped += arrears.check_account(s, account, now, actor, quiet=quiet).tripped
