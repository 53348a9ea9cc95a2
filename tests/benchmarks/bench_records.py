"""Benchmark (not a test): the sales-records query over 100,000 receipts of one day.

    python -m tests.benchmarks.bench_records [--day-rows 100000] [--other-rows 100000] [--url URL]

Seeds 200 accounts in rooms of two buildings (one meter each), then --day-rows sales, refunds
and reversals on one day and --other-rows on the 30 days before it (so the index has to skip
them), in bulk. Times billing.reports.records.sale_records for the whole day, with an operator
filter, for an operator who sees one building, and the Excel export of the whole day.
Without --url a temporary SQLite file is used; with a PostgreSQL URL, use an empty schema.
"""
from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

N_ACCOUNTS = 200


def _seed(db, day: date, day_rows: int, other_rows: int) -> None:
    from models.accounts import Account, AccountMeter
    from models.archive import Customer, Floor, Meter, Room
    from models.areas import Building, Site
    from models.ledger import LedgerEntry

    with db.write() as s:
        site = Site(name="s")
        s.add(site)
        s.flush()
        rooms = []
        for b in range(2):
            bld = Building(site_id=site.id, name=f"B{b}")
            s.add(bld)
            s.flush()
            fl = Floor(building_id=bld.id, name="1F")
            s.add(fl)
            s.flush()
            for r in range(N_ACCOUNTS // 2):
                room = Room(floor_id=fl.id, number=f"{r:03d}")
                s.add(room)
                rooms.append(room)
        s.flush()
        for i, room in enumerate(rooms):
            c = Customer(name=f"客户{i}")
            m = Meter(number=f"M{i:012d}", protocol="dlt645-2007", address=f"{i:012d}")
            s.add_all([c, m])
            s.flush()
            a = Account(number=f"{i + 1:06d}", customer_id=c.id, room_id=room.id)
            s.add(a)
            s.flush()
            s.add(AccountMeter(account_id=a.id, meter_id=m.id, opening_milli=0))
    rnd = random.Random(1)
    lo = datetime.combine(day, datetime.min.time()).astimezone(UTC)

    def row(i: int, at: datetime) -> dict:
        kind = "purchase" if i % 10 else rnd.choice(["refund", "reversal"])
        fen = rnd.randint(100, 50_000) * (1 if kind == "purchase" else -1)
        return {"account_id": 1 + i % N_ACCOUNTS, "kind": kind, "amount_fen": fen, "subsidy_fen": 0,
                "balance_after_fen": 0, "subsidy_after_fen": 0, "operator": f"op{rnd.randrange(5)}",
                "station": f"S{rnd.randrange(3)}", "method": rnd.choice(["cash", "card", "wechat", "alipay"]),
                "reference": "", "note": "", "receipt_no": f"R{i:09d}", "at": at,
                "energy_milli": abs(fen) * 2 if kind == "purchase" else None}
    rows = [row(i, lo + timedelta(seconds=rnd.randrange(86400))) for i in range(day_rows)]
    rows += [row(day_rows + i, lo - timedelta(seconds=rnd.randrange(1, 30 * 86400))) for i in range(other_rows)]
    with db.write() as s:
        for k in range(0, len(rows), 10_000):
            s.execute(sa.insert(LedgerEntry), rows[k:k + 10_000])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--day-rows", type=int, default=100_000)
    ap.add_argument("--other-rows", type=int, default=100_000)
    ap.add_argument("--url", default="")
    opts = ap.parse_args()
    from access import login as auth
    from access import operators as operator_service
    from billing.reports import records as rr
    from billing.reports.catalog import export_xlsx
    from models.db import Database
    from models.rights import Actor

    with tempfile.TemporaryDirectory() as tmp:
        db = Database.open(opts.url or f"sqlite:///{Path(tmp) / 'bench.db'}", upgrade=True)
        operator_service.create_first_operator(db, "root", "secret-1", "BENCH")
        actor = auth.login(db, "root", "secret-1", "BENCH")
        day = date.today() - timedelta(days=1)
        t = time.perf_counter()
        _seed(db, day, opts.day_rows, opts.other_rows)
        print(f"{db.dialect}: seeded {opts.day_rows} receipts on {day} and {opts.other_rows} before it "
              f"in {time.perf_counter() - t:.1f} s")

        def timed(label, fn):
            t = time.perf_counter()
            out = fn()
            print(f"  {label}: {time.perf_counter() - t:.3f} s")
            return out
        rows = timed("sale_records, the whole day", lambda: rr.sale_records(db, day, day, actor=actor))
        totals = timed("record_totals", lambda: rr.record_totals(rows))
        print(f"    {len(rows)} rows, {totals.count} counted, net {totals.net}")
        timed("sale_records, one operator", lambda: rr.sale_records(db, day, day, rr.RecordFilter(operator="op1"),
                                                                     actor=actor))
        one = Actor(name="v", role="viewer", rights=frozenset({"report_view"}), station="B", all_areas=False,
                    areas=frozenset({1}))
        timed("sale_records, one building's operator", lambda: rr.sale_records(db, day, day, actor=one))
        timed("Excel export of the whole day",
              lambda: export_xlsx(Path(tmp) / "day.xlsx", "sale_records", rows, day, day))
        db.dispose()


if __name__ == "__main__":
    main()
