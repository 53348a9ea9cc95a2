"""Cashier shifts (交班对账): open -> closed, one open shift per station.

Every sale, refund and reversal made at a station while its shift is open carries shift_id.
Closing sums the shift's takings by payment method; the cash expected is the cash taken minus
the cash paid out; the counted cash is entered and the difference (counted - expected) kept.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.orm import Session

from billing.money import check_amount, from_fen, from_fen_or_none, parse_amount, to_fen
from models import oplog
from models.audit import audited, record
from models.base import utcnow
from models.db import Database, retrying
from models.errors import Conflict
from models.ledger import LedgerEntry, Shift
from models.rights import Actor
from resources.i18n import _

MONEY_KINDS = ("purchase", "bill_payment", "refund", "reversal")


@dataclass(frozen=True)
class ShiftReport:
    shift_id: int
    operator: str
    station: str
    state: str
    opened_at: datetime
    closed_at: datetime | None
    takings: dict[str, Decimal] = field(default_factory=dict)    # method -> net amount
    count: int = 0
    expected_cash: Decimal | None = None
    counted_cash: Decimal | None = None
    difference: Decimal | None = None
    chain: str = ""        # the log's chain head after the close (SEQ:HASH): an anchor kept on paper

    def to_json(self) -> dict[str, Any]:
        return {"shift": self.shift_id, "operator": self.operator, "station": self.station,
                "state": self.state, "opened_at": self.opened_at.isoformat(),
                "closed_at": self.closed_at.isoformat() if self.closed_at else None,
                "takings": {k: str(v) for k, v in self.takings.items()}, "count": self.count,
                "expected_cash": _text(self.expected_cash), "counted_cash": _text(self.counted_cash),
                "difference": _text(self.difference), "chain": self.chain or None}


def _text(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


def takings(session: Session, shift_id: int) -> tuple[dict[str, int], int]:
    rows = session.execute(sa.select(LedgerEntry.method, sa.func.sum(LedgerEntry.amount_fen), sa.func.count())
                           .where(LedgerEntry.shift_id == shift_id, LedgerEntry.kind.in_(MONEY_KINDS))
                           .group_by(LedgerEntry.method).order_by(LedgerEntry.method)).all()
    return {m or "cash": int(t) for m, t, _n in rows}, sum(int(n) for _m, _t, n in rows)


def _report(session: Session, shift: Shift) -> ShiftReport:
    by_method, count = takings(session, shift.id)
    return ShiftReport(shift.id, shift.operator, shift.station, shift.state, shift.opened_at, shift.closed_at,
                       {k: from_fen(v) for k, v in by_method.items()}, count,
                       (from_fen_or_none(shift.expected_cash_fen) if shift.state == "closed"
                        else from_fen(by_method.get("cash", 0))),
                       from_fen_or_none(shift.counted_cash_fen), from_fen_or_none(shift.difference_fen))


def _open_shift(session: Session, station: str) -> Shift | None:
    return session.execute(sa.select(Shift).where(Shift.station == station, Shift.state == "open")
                           .with_for_update()).scalar_one_or_none()


@retrying
def open_shift(db: Database, actor: Actor) -> ShiftReport:
    try:
        with audited(db, actor, "shift.open", actor.station) as s:
            actor.require("shift")
            if _open_shift(s, actor.station) is not None:
                raise Conflict(_("A shift is already open at station {station}").format(station=actor.station))
            shift = Shift(operator=actor.name, station=actor.station, state="open", opened_at=utcnow())
            s.add(shift)
            s.flush()
            record(s, actor, "shift.open", actor.station, {"shift": shift.id})
            return _report(s, shift)
    except exc.IntegrityError:
        raise Conflict(_("A shift is already open at station {station}").format(station=actor.station)) from None


@retrying
def close_shift(db: Database, actor: Actor, counted: Decimal | str) -> ShiftReport:
    """Close this station's shift with the cash counted in the drawer."""
    value = parse_amount(counted) if isinstance(counted, str) else check_amount(counted)
    with audited(db, actor, "shift.close", actor.station) as s:
        actor.require("shift")
        shift = _open_shift(s, actor.station)
        if shift is None:
            raise Conflict(_("No shift is open at station {station}").format(station=actor.station))
        by_method, _count = takings(s, shift.id)
        shift.expected_cash_fen = by_method.get("cash", 0)
        shift.counted_cash_fen = to_fen(value)
        shift.difference_fen = shift.counted_cash_fen - shift.expected_cash_fen
        shift.state, shift.closed_at = "closed", utcnow()
        report = _report(s, shift)
        record(s, actor, "shift.close", actor.station, report.to_json())
    with db.read() as s:                      # the head now includes the close itself
        anchor = oplog.head_anchor(s)
    return replace(report, chain=str(anchor))


def current(db: Database, station: str) -> ShiftReport | None:
    with db.read() as s:
        shift = s.execute(sa.select(Shift).where(Shift.station == station, Shift.state == "open")).scalar_one_or_none()
        return None if shift is None else _report(s, shift)
