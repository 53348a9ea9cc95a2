"""Monthly subsidies (月补): granted per account type, spent before paid money, expired or
carried at month end; never refunded.

A grant is a subsidy_grant entry with period_key = the month ("2026-11"); the unique index on
(account, kind, period_key) makes a second grant for the same month impossible, whatever two
stations do at once: the batch skips such accounts, a single grant reports a Conflict. The
grant does not depend on any meter being online. Expiry is a subsidy_expiry entry taking the
whole subsidy part of the balance away, once per month (same index); carried types keep it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.orm import Session

from billing.ledger import lock_account, post
from billing.lookup import account_building, find_account, require_open
from billing.money import check_amount, from_fen, to_fen
from models.accounts import Account
from models.audit import audited, record
from models.db import Database, retrying
from models.errors import Conflict, InvalidInput
from models.ledger import LedgerEntry
from models.rights import Actor
from resources.i18n import _

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass
class SubsidyRun:
    month: str
    done: list[str] = field(default_factory=list)       # account numbers
    skipped: list[str] = field(default_factory=list)    # already granted / expired this month
    total: Decimal = Decimal("0.00")


def check_month(month: str) -> str:
    if not _MONTH.match(month):
        raise InvalidInput(_("{month} is not a month (YYYY-MM)").format(month=month))
    return month


def _already(s: Session, account_id: int, kind: str, month: str) -> bool:
    return s.execute(sa.select(LedgerEntry.id).where(
        LedgerEntry.account_id == account_id, LedgerEntry.kind == kind,
        LedgerEntry.period_key == month)).first() is not None


def _grant_one(s: Session, actor: Actor, account_id: int, month: str, fen: int) -> bool:
    """Grant in a savepoint; False when this month's grant exists (index or pre-check)."""
    try:
        with s.begin_nested():
            account = lock_account(s, account_id)
            if _already(s, account.id, "subsidy_grant", month):
                return False
            post(s, account, "subsidy_grant", fen, subsidy_fen=fen, actor=actor, period_key=month)
        return True
    except exc.IntegrityError:
        return False


@retrying
def grant_monthly(db: Database, actor: Actor, month: str, amounts: dict[str, Decimal]) -> SubsidyRun:
    """Grant each open account of a listed type its monthly amount (one transaction)."""
    check_month(month)
    fens = {t: to_fen(check_amount(a)) for t, a in amounts.items() if a > 0}
    run = SubsidyRun(month)
    with audited(db, actor, "subsidy.grant", month) as s:
        actor.require("subsidy")
        rows = s.execute(sa.select(Account.id, Account.number, Account.account_type)
                         .where(Account.state == "open", Account.account_type.in_(list(fens)))
                         .order_by(Account.id)).all()
        for account_id, number, kind in rows:
            if _grant_one(s, actor, account_id, month, fens[kind]):
                run.done.append(number)
                run.total += from_fen(fens[kind])
            else:
                run.skipped.append(number)
        record(s, actor, "subsidy.grant", month, {"accounts": len(run.done), "skipped": len(run.skipped),
                                                  "total": str(run.total)})
    return run


@retrying
def grant(db: Database, actor: Actor, account_ref: str | int, month: str, amount: Decimal) -> Decimal:
    """Grant one account its subsidy for `month`; a second grant is a Conflict."""
    check_month(month)
    fen = to_fen(check_amount(amount))
    with audited(db, actor, "subsidy.grant", str(account_ref)) as s:
        actor.require("subsidy")                 # first: a refusal says nothing of what exists
        account = find_account(s, account_ref)
        actor.require("subsidy", account_building(s, account))
        require_open(account)
        if not _grant_one(s, actor, account.id, month, fen):
            raise Conflict(_("Account {account} already has its subsidy for {month}")
                           .format(account=account.number, month=month))
        record(s, actor, "subsidy.grant", account.number, {"month": month, "amount": str(amount)})
        return from_fen(account.subsidy_fen)


@retrying
def expire_month(db: Database, actor: Actor, month: str, *, carry_types: tuple[str, ...] = ()) -> SubsidyRun:
    """Month end: take away the unspent subsidy of every account (types in carry_types keep it)."""
    check_month(month)
    run = SubsidyRun(month)
    with audited(db, actor, "subsidy.expire", month) as s:
        actor.require("subsidy")
        ids = list(s.execute(sa.select(Account.id).where(Account.subsidy_fen > 0,
                                                         Account.account_type.not_in(list(carry_types) or [""]))
                             .order_by(Account.id)).scalars())
        for account_id in ids:
            try:
                with s.begin_nested():
                    account = lock_account(s, account_id)
                    left = account.subsidy_fen
                    if left <= 0 or _already(s, account.id, "subsidy_expiry", month):
                        run.skipped.append(account.number)
                        continue
                    post(s, account, "subsidy_expiry", -left, subsidy_fen=-left, actor=actor, period_key=month)
                    run.done.append(account.number)
                    run.total += from_fen(left)
            except exc.IntegrityError:
                run.skipped.append(str(account_id))
        record(s, actor, "subsidy.expire", month, {"accounts": len(run.done), "total": str(run.total),
                                                   "carried": list(carry_types)})
    return run
