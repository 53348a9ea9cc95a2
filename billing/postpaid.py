"""Postpaid (后付费) settlement: on the settlement day each meter's consumption since the last
bill is priced into a 'bill' entry (period_key "<month>/m<meter>": one bill per meter and
month, whatever happens twice); the customer pays with a sale, which for a postpaid account is
posted as a bill_payment (billing/sales.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import exc

from billing.ledger import lock_account
from billing.lookup import account_building, active_bindings, find_account, require_open
from billing.money import from_fen
from billing.settlement import charge_binding, record_reading
from billing.subsidies import check_month
from billing.units import to_milli
from models.accounts import Account, AccountMeter
from models.archive import Meter
from models.audit import audited, record
from models.base import utcnow
from models.db import Database, retrying
from models.errors import Conflict, InvalidInput
from models.ledger import LedgerEntry
from models.rights import Actor
from resources.i18n import _


@dataclass(frozen=True)
class Bill:
    account: str
    month: str
    amount: Decimal            # what this bill charges
    balance: Decimal           # the account balance after it (negative: owed)
    lines: dict[str, Decimal]  # meter number -> amount


@retrying
def bill_account(db: Database, actor: Actor, account_ref: str | int, month: str,
                 readings: dict[str, Decimal | str], at: datetime | None = None) -> Bill:
    """Bill a postpaid account for `month` from each meter's reading on the settlement day."""
    check_month(month)
    at = at or utcnow()
    try:
        return _bill(db, actor, account_ref, month, readings, at)
    except exc.IntegrityError:
        raise Conflict(_("Account {account} was already billed for {month}")
                       .format(account=account_ref, month=month)) from None


def _bill(db: Database, actor: Actor, account_ref: str | int, month: str,
          readings: dict[str, Decimal | str], at: datetime) -> Bill:
    with audited(db, actor, "bill", str(account_ref)) as s:
        actor.require("account_edit")            # first: a refusal says nothing of what exists
        found = find_account(s, account_ref)
        actor.require("account_edit", account_building(s, found))
        account: Account = lock_account(s, found.id)
        require_open(account)
        if account.mode != "postpaid":
            raise Conflict(_("Account {account} is not postpaid").format(account=account.number))
        if s.execute(sa.select(LedgerEntry.id).where(LedgerEntry.account_id == account.id,
                                                     LedgerEntry.kind == "bill",
                                                     LedgerEntry.period_key.like(f"{month}/%"))).first():
            raise Conflict(_("Account {account} was already billed for {month}")
                           .format(account=account.number, month=month))
        lines: dict[str, Decimal] = {}
        spans: dict[str, dict[str, object]] = {}
        for b in active_bindings(s, account.id):
            meter = s.get(Meter, b.meter_id)
            assert meter is not None
            if meter.number not in readings:
                raise InvalidInput(_("Give the reading of meter {meter}").format(meter=meter.number))
            milli = to_milli(readings[meter.number])
            record_reading(s, meter.id, milli, at, "manual")
            span = _span(b, meter, account, milli)
            entry = charge_binding(s, account, b, milli, at, actor=actor, kind="bill",
                                   period_key=f"{month}/m{meter.id}")
            lines[meter.number] = from_fen(-entry.amount_fen) if entry else Decimal("0.00")
            if entry is not None and span is not None:
                spans[meter.number] = span
        total = sum(lines.values(), Decimal("0.00"))
        record(s, actor, "bill", account.number, {"month": month, "amount": str(total),
                                                  "lines": {k: str(v) for k, v in lines.items()},
                                                  "spans": spans})
        return Bill(account.number, month, total, from_fen(account.balance_fen), lines)


def _span(binding: AccountMeter, meter: Meter, account: Account, milli: int) -> dict[str, object] | None:
    """What the bill document needs to show and explain the charge (billing/bill_documents.py):
    the span charge_binding is about to price, as it stands before it moves on."""
    start = binding.last_settled_milli if binding.last_settled_milli is not None else binding.opening_milli
    if start is None:
        return None
    since = binding.last_settled_at or binding.opened_at
    return {"since": since.isoformat(), "from": start, "to": milli, "ct": meter.ct_ratio or 1,
            "plan": account.tariff_plan_id}
