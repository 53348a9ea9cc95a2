"""Moving money between accounts (transfer_out / transfer_in) and migrating a balance from the
old system (老表金额转入, opening_balance).

A transfer moves only the giver's own money (never subsidy), both entries in one transaction
with the two accounts locked in id order. An opening balance may be negative (arrears carried
over from the old system) and is taken once per account (period_key "opening").
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import exc

from billing.ledger import lock_accounts, paid_balance_fen, post
from billing.lookup import account_building, amount_arg, find_account, require_open
from billing.money import from_fen, parse_amount, to_fen
from billing.results import MoneyResult
from billing.sales import queue_after_credit
from models.audit import audited, record
from models.db import Database, retrying
from models.errors import Conflict, InvalidInput
from models.rights import Actor
from resources.i18n import _


@retrying
def transfer(db: Database, actor: Actor, from_ref: str | int, to_ref: str | int,
             amount: Decimal | str, *, note: str = "") -> tuple[MoneyResult, MoneyResult]:
    with audited(db, actor, "transfer", f"{from_ref}->{to_ref}") as s:
        actor.require("account_edit")            # first: a refusal says nothing of what exists
        giver, taker = find_account(s, from_ref), find_account(s, to_ref)
        if giver.id == taker.id:
            raise InvalidInput(_("An account cannot transfer to itself"))
        for a in (giver, taker):
            actor.require("account_edit", account_building(s, a))
        locked = lock_accounts(s, [giver.id, taker.id])
        giver, taker = locked[giver.id], locked[taker.id]
        require_open(giver)
        require_open(taker)
        fen = to_fen(amount_arg(s, amount))
        if fen > paid_balance_fen(giver):
            raise Conflict(_("Account {account} has only {amount} yuan of its own money to transfer")
                           .format(account=giver.number, amount=from_fen(max(paid_balance_fen(giver), 0))))
        out = post(s, giver, "transfer_out", -fen, actor=actor, reference=taker.number, note=note)
        before = taker.balance_fen
        into = post(s, taker, "transfer_in", fen, actor=actor, reference=giver.number, note=note)
        queue_after_credit(s, taker, into, before)
        record(s, actor, "transfer", giver.number, {"to": taker.number, "amount": str(from_fen(fen))})
        from billing.sales import result_of

        return result_of(s, out), result_of(s, into)


@retrying
def opening_balance(db: Database, actor: Actor, account_ref: str | int, amount: Decimal | str, *,
                    note: str = "") -> MoneyResult:
    """老表金额转入: the balance the old system held for this customer (may be negative)."""
    value = parse_amount(amount, allow_negative=True) if isinstance(amount, str) else amount
    if value == 0:
        raise InvalidInput(_("The amount must not be zero"))
    try:
        with audited(db, actor, "account.opening_balance", str(account_ref)) as s:
            actor.require("account_edit")        # first: a refusal says nothing of what exists
            account = find_account(s, account_ref)
            actor.require("account_edit", account_building(s, account))
            account = lock_accounts(s, [account.id])[account.id]
            require_open(account)
            before = account.balance_fen
            entry = post(s, account, "opening_balance", to_fen(value), actor=actor,
                         period_key="opening", note=note)
            queue_after_credit(s, account, entry, before)
            record(s, actor, "account.opening_balance", account.number, {"amount": str(value), "note": note})
            from billing.sales import result_of

            return result_of(s, entry)
    except exc.IntegrityError:
        raise Conflict(_("Account {account} already has its balance from the old system")
                       .format(account=account_ref)) from None
