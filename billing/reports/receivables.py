"""Money reports: receivable against received, and the refunds and reversals of a period.

Receivable vs received (应收/实收), per month, building or billing mode, over local days:

- receivable = what was charged to accounts in the period: consumption (station-side prepaid),
  bills (postpaid) and apportioned common consumption, as a positive amount;
- received = what the counter took in: sales and bill payments, less refunds, plus reversals
  (signed) — the same net as the sales report;
- difference = received - receivable (positive: customers paid ahead, negative: owed).

Meter-side prepaid accounts are charged inside the meter, so they show received money only.
An account in no room is grouped under building "" (shown as "—"). Operators limited to some
buildings see only those buildings' accounts.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Session

from billing.ledger_words import note_text
from billing.money import from_fen
from billing.reports.takings import MONEY_KINDS, check_range, local_month
from models.accounts import Account
from models.archive import Customer, Floor, Room
from models.areas import Building
from models.db import Database
from models.errors import InvalidInput
from models.ledger import LedgerEntry
from models.rights import Actor
from resources.i18n import _

CHARGE_KINDS = ("consumption", "bill", "apportion", "adjustment")   # adjustment: billing/recompute.py
RECEIVABLE_GROUPS = ("month", "building", "mode")


@dataclass(frozen=True)
class ReceivableRow:
    key: str
    accounts: int
    receivable: Decimal
    received: Decimal
    difference: Decimal


@dataclass(frozen=True)
class CorrectionRow:
    at: datetime
    kind: str                 # refund | reversal
    receipt_no: str
    original_receipt: str     # the reversed receipt ("" for a refund)
    account: str
    customer: str
    operator: str
    method: str
    amount: Decimal           # as posted: a refund is negative, a reversal has the opposite sign of its original
    note: str


_Q = TypeVar("_Q", bound="sa.Select[*tuple[Any, ...]]")   # any select


def _building_filter(q: _Q, actor: Actor) -> _Q:
    visible = actor.visible_buildings()
    if visible is not None:
        q = q.where(Building.id.in_(sorted(visible) or [-1]))
    return q


def receivable_vs_received(db: Database, start: date, end: date, group: str = "month", *,
                           actor: Actor) -> list[ReceivableRow]:
    if group not in RECEIVABLE_GROUPS:
        raise InvalidInput(_("Unknown grouping {group}; choose one of {choices}").format(
            group=group, choices=", ".join(RECEIVABLE_GROUPS)))
    lo, hi = check_range(start, end, actor)
    e = LedgerEntry
    key: sa.ColumnElement[Any] | InstrumentedAttribute[str]
    if group == "month":
        key = local_month(db.dialect, e.at)
    elif group == "building":
        key = sa.func.coalesce(Building.name, "")
    else:
        key = Account.mode
    key = key.label("key")
    charged = sa.func.sum(sa.case((e.kind.in_(CHARGE_KINDS), -e.amount_fen), else_=0))
    taken = sa.func.sum(sa.case((e.kind.in_(MONEY_KINDS), e.amount_fen), else_=0))
    q = (sa.select(key, sa.func.count(sa.distinct(e.account_id)), charged, taken)
         .join(Account, Account.id == e.account_id)
         .outerjoin(Room, Room.id == Account.room_id).outerjoin(Floor, Floor.id == Room.floor_id)
         .outerjoin(Building, Building.id == Floor.building_id)
         .where(e.kind.in_(CHARGE_KINDS + MONEY_KINDS), e.at >= lo, e.at < hi)
         .group_by(key).order_by(key))
    q = _building_filter(q, actor)
    with db.read() as s:
        rows = s.execute(q).all()
    return [ReceivableRow(str(k or ""), int(n), from_fen(int(r or 0)), from_fen(int(g or 0)),
                          from_fen(int(g or 0) - int(r or 0))) for k, n, r, g in rows]


def _corrections_query(start: date, end: date, actor: Actor) -> Any:
    lo, hi = check_range(start, end, actor)
    e = LedgerEntry
    orig = sa.orm.aliased(LedgerEntry)
    q = (sa.select(e.at, e.kind, e.receipt_no, orig.receipt_no, Account.number, Customer.name, e.operator, e.method,
                   e.amount_fen, e.note)
         .join(Account, Account.id == e.account_id).join(Customer, Customer.id == Account.customer_id)
         .outerjoin(orig, orig.id == e.reverses_id)
         .outerjoin(Room, Room.id == Account.room_id).outerjoin(Floor, Floor.id == Room.floor_id)
         .outerjoin(Building, Building.id == Floor.building_id)
         .where(e.kind.in_(("refund", "reversal")), e.at >= lo, e.at < hi).order_by(e.at, e.id))
    return _building_filter(q, actor)


def _correction_rows(rows: Iterable[Any]) -> Iterator[CorrectionRow]:
    for at, kind, receipt, orig, acc, cust, operator, method, fen, note in rows:
        yield CorrectionRow(at, kind, receipt or "", orig or "", acc, cust, operator, method, from_fen(fen),
                            note_text(note))


def corrections(db: Database, start: date, end: date, *, actor: Actor) -> list[CorrectionRow]:
    """Refunds and reversals posted on local days start..end, oldest first."""
    q = _corrections_query(start, end, actor)
    with db.read() as s:
        return list(_correction_rows(s.execute(q)))


def iter_corrections(s: Session, start: date, end: date, *, actor: Actor,
                     batch: int = 2000) -> Iterator[CorrectionRow]:
    """corrections() as a stream inside the caller's read transaction (exports): rows from the
    cursor `batch` at a time, a server-side cursor on PostgreSQL."""
    q = _corrections_query(start, end, actor)
    with s.connection().execute(q, execution_options={"yield_per": batch}) as result:
        yield from _correction_rows(result)
