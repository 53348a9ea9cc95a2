"""Selling (售电/充值): by amount or by energy, in one transaction with its receipt number, its
operation-log row, and the meter commands it needs (outbox).

    result = sell(db, actor, "000012", Decimal("100.00"), method="wechat", reference="4200...")

Each sale carries an idempotency key (generated when the caller gives none). A retry with the
same key returns the original result (replayed=True) and sells nothing; the same key for a
different account, amount, method or operation is a KeyConflict (billing/idempotency.py). A postpaid account's
payment is a bill_payment entry;
otherwise a purchase. Meter-side prepaid: a "meter.recharge" (amount, purchase number) is queued
for the account's first meter. An account in arrears whose balance becomes positive gets a
"meter.close" for each of its meters. Both are priority 0 so they jump the polling queue.
"""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.orm import Session

from billing import alarm_log, outbox, receipts, sale_reads
from billing.alarms import level, level_for
from billing.idempotency import Binding, check, new_key
from billing.ledger import post
from billing.lookup import active_bindings, active_meters, amount_arg, require_open
from billing.money import from_fen, parse_quantity, to_fen
from billing.pricing import preview_in
from billing.results import MoneyResult
from billing.units import from_milli, to_milli
from models.accounts import Account
from models.audit import audited, record
from models.db import Database, retrying
from models.errors import InvalidInput
from models.ledger import LedgerEntry, OutboxItem
from models.rights import Actor
from resources.i18n import N_, _

REFERENCE_MAX = 100
METHODS = {"cash": N_("Cash"), "card": N_("Bank card"), "wechat": N_("WeChat Pay"),
           "alipay": N_("Alipay"), "transfer": N_("Bank transfer")}


def check_method(method: str) -> str:
    if method not in METHODS:
        raise InvalidInput(_("Unknown payment method {method}; use one of {methods}")
                           .format(method=method, methods=", ".join(METHODS)))
    return method


def result_of(session: Session, entry: LedgerEntry, *, replayed: bool = False,
              items: list[int] | None = None) -> MoneyResult:
    """The result of `entry`; `items`: its outbox ids when the caller just queued them."""
    account = session.get(Account, entry.account_id)
    assert account is not None
    if items is None:
        items = list(session.execute(sa.select(OutboxItem.id).where(OutboxItem.entry_id == entry.id)
                                     .order_by(OutboxItem.id)).scalars())
    return MoneyResult(account=account.number, kind=entry.kind, entry_id=entry.id,
                       receipt=entry.receipt_no, amount=from_fen(entry.amount_fen),
                       balance=from_fen(entry.balance_after_fen),
                       subsidy=from_fen(entry.subsidy_after_fen),
                       energy=None if entry.energy_milli is None else from_milli(entry.energy_milli),
                       replayed=replayed, outbox=tuple(items), alarm=level(account))


def replay_or_conflict(session: Session, key: str, binding: Binding) -> MoneyResult | None:
    """The original result when `key` was used for exactly this operation (billing/idempotency.py),
    None when the key is new; KeyConflict when it was used for anything else."""
    entry = check(session, key, binding)
    return None if entry is None else result_of(session, entry, replayed=True)


def check_reference(reference: str) -> str:
    """A payment reference fits its column (100 characters) and is one line — refused, not cut."""
    reference = reference.strip()
    if len(reference) > REFERENCE_MAX:
        raise InvalidInput(_("A payment reference has at most {n} characters").format(n=REFERENCE_MAX))
    if any(ord(c) < 32 or ord(c) == 127 for c in reference):
        raise InvalidInput(_("A payment reference cannot hold tabs, line breaks or control characters"))
    return reference


def credit_commands(account: Account, entry: LedgerEntry, before_fen: int, meter_ids: list[int],
                    purchase_number: Callable[[int], int]) -> list[tuple[str, int, dict[str, Any]]]:
    """The meter commands a credit needs, as (kind, meter id, payload): recharge (meter-side
    prepaid; purchase_number(meter id) gives its purchase number), close (out of arrears).
    `meter_ids`: the meters of the account's active bindings, in binding order."""
    out: list[tuple[str, int, dict[str, Any]]] = []
    if account.mode == "meter-prepaid" and meter_ids and entry.amount_fen > 0:
        meter_id = meter_ids[0]
        out.append((outbox.RECHARGE, meter_id, {"amount": str(from_fen(entry.amount_fen)),
                                                "purchase_count": purchase_number(meter_id),
                                                "receipt": entry.receipt_no}))
    if account.mode != "postpaid" and before_fen <= 0 < account.balance_fen:
        for m in meter_ids:
            out.append((outbox.CLOSE, m, {"reason": "balance positive"}))
    return out


def queue_after_credit(session: Session, account: Account, entry: LedgerEntry, before_fen: int,
                       meter_ids: list[int] | None = None) -> list[int]:
    """The meter commands a credit needs (credit_commands), queued in the outbox. Returns the
    ids of the queued items. `meter_ids`: the meters of the account's active bindings in
    binding order, if read."""
    if meter_ids is None:
        meter_ids = [b.meter_id for b in active_bindings(session, account.id)]
    commands = credit_commands(account, entry, before_fen, meter_ids,
                               lambda meter_id: outbox.next_purchase_number(session, meter_id))
    return [outbox.enqueue(session, kind, account_id=account.id, meter_id=meter_id, entry_id=entry.id,
                           payload=payload).id for kind, meter_id, payload in commands]


@retrying
def sell(db: Database, actor: Actor, account_ref: str | int, amount: Decimal | str | None = None, *,
         energy: Decimal | str | None = None, method: str = "cash", reference: str = "",
         idempotency_key: str | None = None) -> MoneyResult:
    """Sell `amount` yuan (or `energy` kWh priced by the tariff) to an account."""
    check_method(method)
    if (amount is None) == (energy is None):
        raise InvalidInput(_("Give either an amount or an energy to sell"))
    key = new_key(idempotency_key)
    reference = check_reference(reference)
    binding: Binding | None = None
    try:
        with audited(db, actor, "sale", str(account_ref)) as s:
            actor.require("sell")                # first: a refusal says nothing of what exists
            # the account locked with all the sale reads about it: one statement (billing/sale_reads.py)
            reads = sale_reads.lock(s, account_ref, key=key, station=actor.station)
            account = reads.account
            actor.require("sell", reads.building_id)
            if energy is not None:
                kwh = parse_quantity(energy) if isinstance(energy, str) else energy
                binding = Binding("sale", account.id, method, energy_milli=to_milli(kwh))
            else:
                value = amount_arg(s, amount, limit=reads.max_amount)   # type: ignore[arg-type]
                binding = Binding("sale", account.id, method, fen=to_fen(value))
            if reads.keyed_entry_id is not None:
                replay = replay_or_conflict(s, key, binding)
                if replay is not None:
                    record(s, actor, "sale.replay", account.number, {"key": key, "receipt": replay.receipt})
                    return replay
            require_open(account)
            if energy is not None:
                quote = preview_in(s, account, energy=kwh)
                value = amount_arg(s, quote.amount, limit=reads.max_amount)
            else:
                quote = preview_in(s, account, amount=value)
            before = account.balance_fen
            kind = "bill_payment" if account.mode == "postpaid" else "purchase"
            # the receipt number from its gapless counter, taken by the ledger with the entry
            entry = post(s, account, kind, to_fen(value), actor=actor, method=method,
                         reference=reference, receipt_no=receipts.NEXT, idempotency_key=key,
                         shift_id=reads.shift_id,
                         energy_milli=None if quote.energy is None else to_milli(quote.energy))
            number = entry.receipt_no
            assert number is not None
            # the purchase lifted the balance: the alarm of the level it left clears now, not at the next reading
            alarm_log.after_credit(s, account, level_for(before, account.alarm1_fen, account.alarm2_fen, account.mode))
            meters = reads.meters if reads.meters is not None else active_meters(s, account.id)
            items = queue_after_credit(s, account, entry, before, [m for m, _n in meters])
            receipts.insert(s, account, entry, "sale", number, amount_fen=entry.amount_fen,
                            energy=quote.energy,
                            header=receipts.header_of(s, account, reads.place, [n for _m, n in meters]),
                            count_daily=True)
            record(s, actor, "sale", account.number,
                   {"receipt": number, "amount": str(value), "method": method, "reference": reference,
                    "balance": str(from_fen(account.balance_fen)), "key": key})
            return result_of(s, entry, items=items)
    except exc.IntegrityError:
        # a concurrent twin with the same key won the race (on PostgreSQL also a twin that
        # committed while this sale waited for the account's lock: billing/sale_reads.py):
        # answer with the original only when it is the same operation; otherwise a KeyConflict.
        # The replay is logged, as one found under the lock is.
        if binding is None:
            raise
        with db.read() as s:
            replay = replay_or_conflict(s, key, binding)
        if replay is None:
            raise
        with db.write() as s:
            record(s, actor, "sale.replay", replay.account, {"key": key, "receipt": replay.receipt})
        return replay
