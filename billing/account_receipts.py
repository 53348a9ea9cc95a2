"""The account-opening receipt (开户凭证), issued right after billing.accounts_open.open_account.

Opening an account moves no money, so the opening service takes no receipt number; the counter
prints an opening receipt for the customer, and this takes its number (gapless counter, same
transaction as the Receipt row and the log row). Idempotent: an account has at most one
opening receipt; asking again returns the number it already has (print it as a reprint).
"""
from __future__ import annotations

import sqlalchemy as sa

from billing import receipts
from billing.lookup import account_building, find_account
from models.audit import audited, record
from models.db import Database, retrying
from models.ledger import Receipt
from models.rights import Actor


@retrying
def issue_open_receipt(db: Database, actor: Actor, account_ref: str | int) -> str:
    """The number of the account's opening receipt (issued now if it has none)."""
    with audited(db, actor, "receipt.account_open", str(account_ref)) as s:
        actor.require("account_open")            # first: a refusal says nothing of what exists
        account = find_account(s, account_ref)
        actor.require("account_open", account_building(s, account))
        found = s.execute(sa.select(Receipt.number).where(Receipt.account_id == account.id,
                                                          Receipt.kind == "account_open")).scalar_one_or_none()
        if found is not None:
            return found
        number = receipts.next_receipt_number(s)
        receipts.issue(s, account, None, "account_open", number, amount_fen=account.balance_fen, actor=actor)
        record(s, actor, "receipt.account_open", account.number, {"receipt": number})
        return number
