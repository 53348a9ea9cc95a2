"""Daily totals (models/ledger_daily.py) kept with every entry: equal to the entries after
threads sell, refund and reverse at once (SQLite file and PostgreSQL), untouched by a sale that
rolls back, and the sales report read from them equals the report grouped from the entries."""
from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from billing.refunds import refund, reverse
from billing.reports import takings as reports
from billing.sales import sell
from models.base import utcnow
from models.errors import StationError
from models.ledger import LedgerEntry
from models.ledger_daily import LedgerDaily, local_day
from tests.billing import factories as f
from tests.billing.helpers import check_books, check_daily

THREADS, ROUNDS = 4, 6


def _daily(db) -> list[tuple]:
    with db.read() as s:
        return sorted((d.day, d.operator, d.method, d.kind, d.n, d.amount_fen)
                      for d in s.execute(sa.select(LedgerDaily)).scalars())


def test_threads_selling_refunding_and_reversing_keep_the_totals(db, root, cashier):
    if db.url.endswith(":memory:"):
        pytest.skip("needs a file or a server: threads share it")
    accs = [f.account(db, root, reading=None).number for _i in range(2)]
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        actor = root if i % 2 else cashier
        try:
            for k in range(ROUNDS):
                acc = accs[(i + k) % 2]
                method = ("cash", "wechat", "card")[k % 3]
                r = sell(db, actor, acc, D(10 + k), method=method, idempotency_key=f"t{i}-{k}")
                again = sell(db, actor, acc, D(10 + k), method=method, idempotency_key=f"t{i}-{k}")
                assert again.replayed and again.receipt == r.receipt
                if k % 3 == 1 and actor is root:
                    refund(db, actor, acc, D("1.00"), method="cash")
                if k % 3 == 2:
                    reverse(db, root, r.receipt)
        except BaseException as e:   # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors, errors
    check_books(db)                  # includes check_daily: the totals equal the entries
    rows = _daily(db)
    kinds = {r[3] for r in rows}
    assert {"purchase", "refund", "reversal"} <= kinds
    today = local_day(utcnow())
    span = (today - timedelta(days=1), today + timedelta(days=1))
    assert reports.sales(db, *span, actor=root) == reports.sales_from_entries(db, *span, actor=root)
    with db.read() as s:
        money = s.execute(sa.select(sa.func.count()).select_from(LedgerEntry)
                          .where(LedgerEntry.kind.in_(reports.MONEY_KINDS))).scalar()
    assert sum(r.count for r in reports.sales(db, *span, actor=root)) == money


def test_a_sale_that_fails_leaves_the_totals_alone(db, root):
    acc = f.account(db, root, reading=None).number
    sell(db, root, acc, D("5.00"), method="cash", idempotency_key="k1")
    before = _daily(db)
    assert [(r[3], r[4], r[5]) for r in before if r[3] == "purchase"] == [("purchase", 1, 500)]
    with pytest.raises(StationError):
        sell(db, root, acc, D("6.00"), method="cash", idempotency_key="k1")   # key conflict: rolled back
    assert sell(db, root, acc, D("5.00"), method="cash", idempotency_key="k1").replayed
    assert _daily(db) == before
    with db.read() as s:
        check_daily(s)


def test_report_from_totals_equals_the_report_from_entries(db, root):
    from tests.billing.reports import data

    data.money_data(db, root)
    span = (date(2025, 9, 1), date(2025, 12, 31))
    assert reports.sales(db, *span, actor=root) == reports.sales_from_entries(db, *span, actor=root)
    assert len(reports.sales(db, *span, actor=root)) == 4


def test_migration_0011_back_fills_the_totals_from_existing_entries(db, root):
    from alembic import command

    from models import migrate
    from tests.billing.reports import data

    data.money_data(db, root)
    f.account(db, root, reading=None)
    kept = _daily(db)
    assert kept
    cfg = migrate._config()
    with db.writer.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0010")              # drops ledger_daily
    migrate.upgrade(db)                             # 0011 creates it and back-fills it
    assert _daily(db) == kept
