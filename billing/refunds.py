"""Refunds (退费) and reversals (冲正).

Refund: only the account's own money (balance minus subsidy) comes back — subsidy money is never
refunded. A meter-side prepaid refund queues "meter.refund" so the meter's balance is taken
down by the same amount.

Reversal of a sale (or a refund, or a bill payment): a new entry, linked by reverses_id, that
exactly cancels it; with its own receipt naming the original. Only once (a unique index). The
rules where the issue left us to decide:
* a sale whose money has already been spent is not reversed: if the account's own money is
  less than the sale, the reversal is refused (take the rest back with a refund instead) — a
  reversal never pushes an account into arrears;
* a meter-side prepaid sale whose recharge is already in (or being written to) the meter is
  not reversed (refund instead); a recharge still waiting in the outbox is withdrawn (expired);
* reversals themselves, consumption and other system entries are not reversible here.
"""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.orm import Session

from billing import outbox, receipts
from billing.idempotency import Binding, new_key
from billing.ledger import lock_account, paid_balance_fen, post
from billing.lookup import account_building, amount_arg, find_account, open_shift_id, require_open
from billing.money import from_fen, to_fen
from billing.results import MoneyResult
from billing.sales import check_method, check_reference, replay_or_conflict, result_of
from models.accounts import Account
from models.audit import audited, record
from models.base import utcnow
from models.db import Database, retrying
from models.errors import Conflict, NotFound
from models.ledger import LedgerEntry, Receipt
from models.rights import Actor
from resources.i18n import _

REVERSIBLE = ("purchase", "bill_payment", "refund")


@retrying
def refund(db: Database, actor: Actor, account_ref: str | int, amount: Decimal | str, *,
           method: str = "cash", reference: str = "", idempotency_key: str | None = None) -> MoneyResult:
    """Pay `amount` of the account's own money back to the customer."""
    check_method(method)
    key = new_key(idempotency_key)
    reference = check_reference(reference)
    binding: Binding | None = None
    try:
        with audited(db, actor, "refund", str(account_ref)) as s:
            actor.require("refund")              # first: a refusal says nothing of what exists
            account = find_account(s, account_ref)
            actor.require("refund", account_building(s, account))
            account = lock_account(s, account.id)
            fen = to_fen(amount_arg(s, amount))
            binding = Binding("refund", account.id, method, fen=fen)
            replay = replay_or_conflict(s, key, binding)
            if replay is not None:
                record(s, actor, "refund.replay", account.number, {"key": key, "receipt": replay.receipt})
                return replay
            require_open(account)
            refundable = max(paid_balance_fen(account), 0)
            if fen > refundable:
                raise Conflict(_("At most {refundable} yuan can be refunded (subsidy money is never refunded)")
                               .format(refundable=from_fen(refundable)))
            number = receipts.next_receipt_number(s)
            entry = post(s, account, "refund", -fen, actor=actor, method=method, reference=reference,
                         receipt_no=number, idempotency_key=key, shift_id=open_shift_id(s, actor.station))
            queue_meter_refund(s, account, entry.id, fen)
            receipts.issue(s, account, entry, "refund", number, amount_fen=fen)
            record(s, actor, "refund", account.number,
                   {"receipt": number, "amount": str(from_fen(fen)), "method": method,
                    "balance": str(from_fen(account.balance_fen))})
            return result_of(s, entry)
    except exc.IntegrityError:
        if binding is None:
            raise
        with db.read() as s:
            replay = replay_or_conflict(s, key, binding)
        if replay is None:
            raise
        return replay


def queue_meter_refund(s: Session, account: Account, entry_id: int, fen: int) -> None:
    from billing.lookup import active_bindings
    from models import capabilities
    from models.archive import Meter

    bindings = active_bindings(s, account.id)
    if account.mode == "meter-prepaid" and bindings and fen > 0:
        meter_id = bindings[0].meter_id   # a meter that cannot take it: refused, no cash paid out
        meter = s.get_one(Meter, meter_id)
        capabilities.of_meter(meter).require("refund", meter.number)
        outbox.enqueue(s, outbox.REFUND, account_id=account.id, meter_id=meter_id, entry_id=entry_id,
                       payload={"amount": str(from_fen(fen)),
                                "purchase_count": outbox.next_purchase_number(s, meter_id)})


@retrying
def reverse(db: Database, actor: Actor, receipt_no: str, *, reason: str = "") -> MoneyResult:
    """Cancel the entry of receipt `receipt_no` with a linked, exactly opposite entry."""
    number = receipt_no.strip()
    try:
        with audited(db, actor, "reversal", number) as s:
            actor.require("reverse")             # first: a refusal says nothing of what exists
            original = s.execute(sa.select(LedgerEntry).join(Receipt, Receipt.entry_id == LedgerEntry.id)
                                 .where(Receipt.number == number)).scalar_one_or_none()
            if original is None:
                raise NotFound(_("There is no receipt {number}").format(number=number))
            account = s.get(Account, original.account_id)
            assert account is not None
            actor.require("reverse", account_building(s, account))
            account = lock_account(s, account.id)
            if original.kind not in REVERSIBLE:
                raise Conflict(_("Receipt {number} cannot be reversed").format(number=number))
            done = s.execute(sa.select(LedgerEntry.receipt_no).where(LedgerEntry.reverses_id == original.id)).first()
            if done is not None:
                raise Conflict(_("Receipt {number} was already reversed (receipt {reversal})")
                               .format(number=number, reversal=done[0]))
            require_open(account)
            if original.amount_fen > 0 and paid_balance_fen(account) < original.amount_fen:
                raise Conflict(_("The money of receipt {number} has already been spent; refund what is left instead")
                               .format(number=number))
            _withdraw_recharge(s, original.id, number)
            new_no = receipts.next_receipt_number(s)
            entry = post(s, account, "reversal", -original.amount_fen, subsidy_fen=-original.subsidy_fen,
                         actor=actor, method=original.method, reference=number, receipt_no=new_no,
                         reverses_id=original.id, shift_id=open_shift_id(s, actor.station),
                         energy_milli=None if original.energy_milli is None else -original.energy_milli,
                         note=reason)
            if original.kind == "refund":
                from billing.sales import queue_after_credit

                queue_after_credit(s, account, entry, account.balance_fen + original.amount_fen)
            receipts.issue(s, account, entry, "reversal", new_no, amount_fen=entry.amount_fen, original=number)
            record(s, actor, "reversal", account.number, {"receipt": new_no, "reverses": number,
                                                          "amount": str(from_fen(entry.amount_fen)),
                                                          "reason": reason})
            return result_of(s, entry)
    except exc.IntegrityError:
        raise Conflict(_("Receipt {number} was already reversed").format(number=number)) from None


def _withdraw_recharge(s: Session, entry_id: int, number: str) -> None:
    for item in outbox.pending_for_entry(s, entry_id):
        if item.kind != outbox.RECHARGE:
            continue
        if item.state in ("done", "sending"):
            raise Conflict(_("The sale of receipt {number} is already in the meter; refund it instead")
                           .format(number=number))
        item.state, item.last_error, item.done_at = "expired", "reversed", utcnow()
