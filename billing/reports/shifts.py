"""Shift reports (交班报表): every cashier shift opened on local days start..end, with its
takings per payment method (net of refunds and reversals made in the shift), the cash the
drawer should hold, the cash counted at close and the difference (counted - expected).

One grouped query over the ledger's shift_id index for all shifts of the range.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa

from billing.money import from_fen, from_fen_or_none
from billing.reports.takings import MONEY_KINDS, check_range
from models.db import Database
from models.ledger import LedgerEntry, Shift
from models.rights import Actor

METHODS = ("cash", "card", "wechat", "alipay", "transfer")


@dataclass(frozen=True)
class ShiftRow:
    shift_id: int
    operator: str
    station: str
    state: str
    opened_at: datetime
    closed_at: datetime | None
    count: int
    takings: dict[str, Decimal] = field(default_factory=dict)   # method -> net
    total: Decimal = Decimal(0)
    expected_cash: Decimal | None = None
    counted_cash: Decimal | None = None
    difference: Decimal | None = None

    def method(self, name: str) -> Decimal:
        return self.takings.get(name, Decimal(0))


def shift_report(db: Database, start: date, end: date, *, actor: Actor) -> list[ShiftRow]:
    lo, hi = check_range(start, end, actor)
    e = LedgerEntry
    sums = (sa.select(e.shift_id, e.method, sa.func.sum(e.amount_fen), sa.func.count())
            .join(Shift, Shift.id == e.shift_id)
            .where(Shift.opened_at >= lo, Shift.opened_at < hi, e.kind.in_(MONEY_KINDS))
            .group_by(e.shift_id, e.method))
    with db.read() as s:
        shifts = s.execute(sa.select(Shift).where(Shift.opened_at >= lo, Shift.opened_at < hi)
                           .order_by(Shift.opened_at, Shift.id)).scalars().all()
        taken: dict[int, dict[str, int]] = {}
        counts: dict[int, int] = {}
        for sid, method, total, n in s.execute(sums):
            if sid is None:
                continue                   # the query joins shifts: every entry has one
            by = taken.setdefault(sid, {})
            by[method or "cash"] = by.get(method or "cash", 0) + int(total)
            counts[sid] = counts.get(sid, 0) + int(n)
    out = []
    for sh in shifts:
        by = taken.get(sh.id, {})
        closed = sh.state == "closed"
        expected = sh.expected_cash_fen if closed else by.get("cash", 0)
        out.append(ShiftRow(sh.id, sh.operator, sh.station, sh.state, sh.opened_at, sh.closed_at,
                            counts.get(sh.id, 0), {k: from_fen(v) for k, v in sorted(by.items())},
                            from_fen(sum(by.values())), from_fen_or_none(expected),
                            from_fen_or_none(sh.counted_cash_fen), from_fen_or_none(sh.difference_fen)))
    return out
