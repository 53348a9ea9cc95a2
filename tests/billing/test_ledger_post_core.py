"""billing.ledger.post writes the balance and the entry with Core statements; what the unit of
work used to give for free must still hold (both backends):

- a savepoint rolled back after a post leaves the account's cached balance at the database's
  value, not at the rolled-back one;
- the entry a post wrote is covered by the transaction's log row (log verify passes; the
  daily totals count it), and a rolled-back savepoint's entry is neither stored nor covered.
"""
from __future__ import annotations

from decimal import Decimal as D

import sqlalchemy as sa

from billing.ledger import lock_account, post
from models import oplog
from models.accounts import Account
from models.ledger import LedgerEntry
from tests.billing import factories as f
from tests.billing.helpers import check_books


class _Undo(Exception):
    pass


def test_rolled_back_savepoint_leaves_no_stale_balance(db, root):
    number = f.account(db, root).number
    with db.write() as s:
        account_id = s.execute(sa.select(Account.id).where(Account.number == number)).scalar_one()
        account = lock_account(s, account_id)
        post(s, account, "purchase", 1000, actor=root, method="cash")
        try:
            with s.begin_nested():
                post(s, lock_account(s, account_id), "purchase", 500, actor=root, method="cash")
                raise _Undo
        except _Undo:
            pass
        assert account.balance_fen == 1000          # read again after the savepoint's rollback
        post(s, account, "purchase", 200, actor=root, method="cash")
    with db.read() as s:
        amounts = sorted(s.execute(sa.select(LedgerEntry.amount_fen)
                                   .where(LedgerEntry.account_id == account_id)).scalars())
        assert amounts == [200, 1000]
        assert s.get(Account, account_id).balance_fen == 1200
        assert oplog.verify(s).ok
    check_books(db)


def test_core_entries_are_covered_by_the_log(db, root):
    from billing.sales import sell
    from models.base import utcnow

    a = f.account(db, root)
    sell(db, root, a.number, D("3.00"))
    sell(db, root, a.number, D("4.00"))
    with db.read() as s:
        assert oplog.verify(s).ok
    with db.writer.begin() as c:                   # an entry behind the station's back
        account_id = c.execute(sa.select(Account.id).where(Account.number == a.number)).scalar_one()
        c.execute(sa.insert(LedgerEntry.__table__).values(
            account_id=account_id, kind="purchase", amount_fen=1, subsidy_fen=0, balance_after_fen=0,
            subsidy_after_fen=0, at=utcnow(), operator="x", station="", method="cash", reference="", note=""))
    with db.read() as s:
        assert oplog.verify(s).problem == "ledger-unlogged"
