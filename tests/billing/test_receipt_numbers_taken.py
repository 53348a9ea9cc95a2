"""A sale's receipt number is taken by the ledger with its entry (billing.ledger.Numbered; on
PostgreSQL in the entry's own statement): the same numbers as receipts.format_number on both
backends — past eight digits too — and a database without the counter's row gets it (issue 12)."""
from __future__ import annotations

from decimal import Decimal as D

import sqlalchemy as sa

from billing import receipts
from billing.ledger import lock_account, post
from billing.sales import sell
from models.accounts import Account
from models.counters import Counter, peek
from models.ledger import LedgerEntry, Receipt
from tests.billing import factories as f
from tests.billing.helpers import check_books


def _counter(db, value: int | None) -> None:
    t = Counter.__table__
    with db.writer.begin() as c:
        if value is None:
            c.execute(sa.delete(t).where(t.c.name == "receipt"))
        else:
            c.execute(sa.update(t).where(t.c.name == "receipt").values(value=value))


def test_numbers_past_eight_digits(db, root):
    acc = f.account(db, root)
    _counter(db, 99_999_998)
    a = sell(db, root, acc.number, D("1"))
    b = sell(db, root, acc.number, D("1"))
    assert (a.receipt, b.receipt) == (receipts.format_number(99_999_999), receipts.format_number(100_000_000))
    assert (a.receipt, b.receipt) == ("99999999", "100000000")
    with db.read() as s:
        assert s.execute(sa.select(Receipt.number).order_by(Receipt.issued_at.desc())).scalars().first() == b.receipt


def test_a_missing_counter_row_is_made(db, root):
    acc = f.account(db, root)
    _counter(db, None)
    r = sell(db, root, acc.number, D("2"))
    assert r.receipt == "00000001"
    assert sell(db, root, acc.number, D("2")).receipt == "00000002"
    with db.read() as s:
        assert peek(s, "receipt") == 2
    check_books(db)


def test_numbered_inside_a_savepoint(db, root):
    acc = f.account(db, root)
    sell(db, root, acc.number, D("1"))
    with db.write() as s:
        account = lock_account(s, s.execute(sa.select(Account.id).where(Account.number == acc.number)).scalar_one())
        with s.begin_nested():
            entry = post(s, account, "purchase", 100, actor=root, method="cash", receipt_no=receipts.NEXT)
        assert entry.receipt_no == "00000002"
    with db.read() as s:
        assert s.get(LedgerEntry, entry.id).receipt_no == "00000002"
        assert peek(s, "receipt") == 2
    check_books(db)
