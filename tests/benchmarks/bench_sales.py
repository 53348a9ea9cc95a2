"""Benchmark (not a test): counter sales per second through the real service on a file-backed
SQLite database, and the month's sales report over 100,000 sales.

    python -m tests.benchmarks.bench_sales [--sales 1000] [--report-rows 100000]

Sales go through billing.sales.sell (rights, account lock, receipt counter, ledger entry,
receipt snapshot, operation-log row, commit with WAL + synchronous=FULL). The report's 100,000
rows are seeded in bulk (as 30 days of purchases by 5 operators and 5 methods), then
billing.reports.sales runs over that month.
"""
from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sales", type=int, default=1000)
    ap.add_argument("--report-rows", type=int, default=100_000)
    opts = ap.parse_args()
    from billing import reports
    from billing.accounts_open import MeterOpening, open_account
    from billing.sales import sell
    from billing.plan_store import add_version
    from models import auth, operator_service
    from models.archive import Customer, Meter
    from models.db import Database
    from models.ledger import LedgerEntry

    with tempfile.TemporaryDirectory() as tmp:
        db = Database.open(f"sqlite:///{Path(tmp) / 'bench.db'}", upgrade=True)
        operator_service.create_first_operator(db, "root", "secret-1", "BENCH")
        actor = auth.login(db, "root", "secret-1", "BENCH")
        add_version(db, actor, "flat", {"kind": "flat", "price": "0.5"})
        with db.write() as s:
            for i in range(50):
                s.add(Customer(name=f"c{i}"))
                s.add(Meter(number=f"m{i}", protocol="dlt645-2007", address=f"{i:012d}"))
        accounts = [open_account(db, actor, f"c{i}", [MeterOpening(f"m{i}", Decimal("0"))], tariff="flat").number
                    for i in range(50)]
        t0 = time.perf_counter()
        for i in range(opts.sales):
            sell(db, actor, accounts[i % 50], Decimal("10.00"), method="cash")
        rate = opts.sales / (time.perf_counter() - t0)
        print(f"sales through billing.sales.sell on SQLite (file, WAL, synchronous=FULL): {rate:.0f}/s "
              f"({opts.sales} sales)")

        start = date.today().replace(day=1) - timedelta(days=40)
        base = datetime.combine(start, datetime.min.time()).astimezone(timezone.utc)
        rnd = random.Random(1)
        rows = [{"account_id": 1 + i % 50, "kind": "purchase", "amount_fen": 1000, "subsidy_fen": 0,
                 "balance_after_fen": 0, "subsidy_after_fen": 0, "operator": f"op{rnd.randrange(5)}",
                 "station": "BENCH", "method": rnd.choice(["cash", "card", "wechat", "alipay", "transfer"]),
                 "reference": "", "note": "", "at": base + timedelta(seconds=rnd.randrange(30 * 86400))}
                for i in range(opts.report_rows)]
        t1 = time.perf_counter()
        with db.write() as s:
            for k in range(0, len(rows), 10_000):
                s.execute(sa.insert(LedgerEntry), rows[k:k + 10_000])
        seeded = time.perf_counter() - t1
        t2 = time.perf_counter()
        result = reports.sales(db, start, start + timedelta(days=29))
        took = time.perf_counter() - t2
        count = sum(r.count for r in result)
        print(f"monthly sales report (by day/operator/method) over {count} sales: {took:.3f} s "
              f"({len(result)} rows; seeding took {seeded:.1f} s)")
        db.dispose()


if __name__ == "__main__":
    main()
