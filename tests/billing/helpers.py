"""Checks shared by billing tests: every sum holds, receipt numbers have no gap."""
from __future__ import annotations

import sqlalchemy as sa

from billing.ledger import entry_sums
from models.accounts import Account
from models.ledger import LedgerEntry, Receipt


def check_books(db) -> None:
    """Cached balances equal entry sums; subsidy never negative; balance_after chains hold;
    receipt numbers 1..N without gap or repeat."""
    with db.read() as s:
        for a in s.execute(sa.select(Account)).scalars():
            assert entry_sums(s, a.id) == (a.balance_fen, a.subsidy_fen), a.number
            assert a.subsidy_fen >= 0
            running = sub = 0
            for e in s.execute(sa.select(LedgerEntry).where(LedgerEntry.account_id == a.id)
                               .order_by(LedgerEntry.id)).scalars():
                running, sub = running + e.amount_fen, sub + e.subsidy_fen
                assert (e.balance_after_fen, e.subsidy_after_fen) == (running, sub), e.id
                assert sub >= 0
        numbers = sorted(int(n) for n in s.execute(sa.select(Receipt.number)).scalars())
        assert numbers == list(range(1, len(numbers) + 1))
        on_entries = [n for n in s.execute(sa.select(LedgerEntry.receipt_no)
                                           .where(LedgerEntry.receipt_no.is_not(None))).scalars()]
        assert len(on_entries) == len(set(on_entries))
        check_daily(s)
        from models import oplog

        result = oplog.verify(s)          # every entry and rights change is in the keyed chain
        assert result.ok, result


def check_daily(s) -> None:
    """The daily totals (models/ledger_daily.py) equal the entries grouped the same way."""
    from models.ledger_daily import LedgerDaily, totals

    stored = sorted((d.day, d.operator, d.method, d.kind, d.n, d.amount_fen)
                    for d in s.execute(sa.select(LedgerDaily)).scalars())
    grouped = [(t["day"], t["operator"], t["method"], t["kind"], t["n"], t["amount_fen"])
               for t in totals(s.execute(sa.select(LedgerEntry)).scalars())]
    assert stored == grouped


def entries(db, number: str) -> list[LedgerEntry]:
    with db.read() as s:
        aid = s.execute(sa.select(Account.id).where(Account.number == number)).scalar_one()
        return list(s.execute(sa.select(LedgerEntry).where(LedgerEntry.account_id == aid)
                              .order_by(LedgerEntry.id)).scalars())
