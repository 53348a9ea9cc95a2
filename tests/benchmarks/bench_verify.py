"""Benchmark (not a test): how long `log verify` takes on a large log.

    python -m tests.benchmarks.bench_verify [--rows 100000] [--ledger 30000] [--db sqlite|postgres]

Builds a keyed chain of ROWS log rows (the station key in a temporary config folder), a third
of them covering one ledger entry each (like sales), through the same digest the station
uses, bulk-inserted; then times oplog.verify over all of it (chain + ledger coverage + rights).
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta


def build(db, rows: int, ledger: int) -> None:
    import sqlalchemy as sa

    from models import oplog, oplog_cover, station_key
    from models.accounts import Account
    from models.archive import Customer
    from models.ledger import LedgerEntry

    key = station_key.load()
    with db.write() as s:
        s.add(Customer(name="bench"))
        s.flush()
        cust = s.execute(sa.select(Customer.id)).scalar_one()
        s.add(Account(number="B1", customer_id=cust, balance_fen=0))
    with db.read() as s:
        aid = s.execute(sa.select(Account.id)).scalar_one()
        head = oplog.head_anchor(s)
        rights = oplog_cover.rights_digest(s)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    every = max(1, rows // max(ledger, 1))
    prev, seq, balance, entry_id = head.hash, head.seq, 0, 0
    log_rows, entries = [], []
    for i in range(rows):
        seq += 1
        at = t0 + timedelta(seconds=i)
        covers = ""
        if i % every == 0 and entry_id < ledger:
            entry_id += 1
            balance += 100
            e = {"id": entry_id, "account_id": aid, "kind": "purchase", "amount_fen": 100, "subsidy_fen": 0,
                 "balance_after_fen": balance, "subsidy_after_fen": 0, "energy_milli": None, "at": at,
                 "operator": "root", "station": "B", "method": "cash", "reference": "", "receipt_no": None,
                 "reverses_id": None, "idempotency_key": None, "period_key": None, "shift_id": None,
                 "meter_id": None, "note": ""}
            entries.append(e)
            covers = oplog_cover.covers_json([(entry_id, oplog_cover.entry_digest(e))],
                                             rights if i == 0 else None)
        details = '{"amount": "1.00"}'
        h = oplog.digest(key, seq, at, "root", "B", "sale", "B1", details, prev, covers)
        log_rows.append({"seq": seq, "at": at, "operator": "root", "station": "B", "action": "sale",
                         "target": "B1", "details": details, "prev_hash": prev, "hash": h, "covers": covers})
        prev = h
    with db.write() as s:
        for i in range(0, len(entries), 5000):
            s.execute(sa.insert(LedgerEntry.__table__), entries[i:i + 5000])
        for i in range(0, len(log_rows), 5000):
            s.execute(sa.insert(oplog.OpLogEntry.__table__), log_rows[i:i + 5000])
        s.execute(sa.update(oplog.OpLogHead.__table__).values(seq=seq, hash=prev))
        s.execute(sa.update(Account.__table__).values(balance_fen=balance))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--ledger", type=int, default=33_000)
    ap.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    args = ap.parse_args()
    folder = tempfile.mkdtemp(prefix="bench-verify-")
    os.environ["METERSTATION_CONFIG_DIR"] = os.path.join(folder, "cfg")
    from models import oplog
    from models.db import Database

    schema = None
    if args.db == "sqlite":
        url = f"sqlite:///{folder}/bench.db"
    else:
        from tests.dbs import PgSchema
        schema = PgSchema()
        url = schema.url
    db = Database.open(url, upgrade=True)
    try:
        t = time.perf_counter()
        build(db, args.rows, args.ledger)
        print(f"built {args.rows} log rows, {args.ledger} ledger entries in {time.perf_counter() - t:.1f} s")
        for _ in range(2):
            t = time.perf_counter()
            with db.read() as s:
                r = oplog.verify(s)
            took = time.perf_counter() - t
            print(f"{args.db}: log verify of {r.rows} rows: ok={r.ok} {r.problem} in {took:.2f} s "
                  f"({r.rows / took:,.0f} rows/s)")
    finally:
        db.dispose()
        if schema is not None:
            schema.drop()


if __name__ == "__main__":
    main()
