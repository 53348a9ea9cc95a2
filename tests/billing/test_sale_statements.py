"""How many SQL statements a sale sends (each one a round trip on PostgreSQL), so that a regression
shows here rather than only in tests/benchmarks/bench_sales.py (issue 12: PostgreSQL sales ≥ 300/s).

A counter sale of an account with a room, a tariff and a bound meter, after its first sales (which
also queue a relay close and confirm the database's time zone), under an open shift: BEGIN
(SQLite; psycopg sends PostgreSQL's itself, unseen here) and every statement up to the COMMIT,
which is not counted.
"""
from __future__ import annotations

import uuid
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from billing.sales import sell
from billing.shifts import open_shift
from models.ledger import LedgerEntry, Receipt
from tests.billing import factories as f

# before issue 12: SQLite 18, PostgreSQL 17 (16 + the building of an account with a room)
EXPECTED = {"sqlite": 12, "postgresql": 5}


def _count(db, fn) -> tuple[list[str], object]:
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(db.writer, "before_cursor_execute", note)
    try:
        out = fn()
    finally:
        event.remove(db.writer, "before_cursor_execute", note)
    return seen, out


def test_statements_a_sale(db, root):
    room = f.place(db)[0]
    acc = f.account(db, root, room_id=room)
    shift = open_shift(db, root)
    # the first sales queue a relay close, confirm the zone (ledger_daily.confirm_zone) and lift the
    # balance above its low-balance level (20.00), whose alarm a crossing sale clears (one UPDATE more)
    for _ in range(2):
        sell(db, root, acc.number, D("15.00"))
    seen, r = _count(db, lambda: sell(db, root, acc.number, D("10.00"), method="wechat",
                                      idempotency_key=uuid.uuid4().hex))
    assert len(seen) == EXPECTED[db.dialect], "\n".join(seen)
    with db.read() as s:                                   # what the merged reads still gave the sale
        payload = s.execute(sa.select(Receipt.payload).where(Receipt.number == r.receipt)).scalar_one()
        assert s.get(LedgerEntry, r.entry_id).shift_id == shift.shift_id
    assert acc.room in payload and acc.customer in payload and "B" in payload


def test_a_sale_out_of_a_low_balance_takes_one_statement_more(db, root):
    """The sale that crosses a level clears the alarm of the level left: one UPDATE."""
    acc = f.account(db, root, room_id=f.place(db)[0])
    open_shift(db, root)
    for _ in range(2):
        sell(db, root, acc.number, D("10.00"))          # 20.00: at the low-balance level
    seen, _r = _count(db, lambda: sell(db, root, acc.number, D("10.00")))
    assert len(seen) == EXPECTED[db.dialect] + 1, "\n".join(seen)


@pytest.mark.parametrize("by", ["energy", "name"])
def test_other_sales_take_no_more(db, root, by):
    """A sale by energy prices from the rows the lock read; an account named by its customer is
    found first (one statement more), then read and locked like any other."""
    room = f.place(db)[0]
    acc = f.account(db, root, room_id=room)
    open_shift(db, root)
    for _ in range(2):
        sell(db, root, acc.number, D("15.00"))          # above the low-balance level, as above
    if by == "energy":
        seen, r = _count(db, lambda: sell(db, root, acc.number, energy=D("4")))
        assert (r.amount, r.energy) == (D("2.00"), D("4"))
        assert len(seen) == EXPECTED[db.dialect], "\n".join(seen)
    else:
        seen, r = _count(db, lambda: sell(db, root, acc.customer, D("1.00")))
        assert r.account == acc.number
        assert len(seen) <= EXPECTED[db.dialect] + 3, "\n".join(seen)
