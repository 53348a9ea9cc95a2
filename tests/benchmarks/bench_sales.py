"""Benchmark (not a test): counter sales per second through the real service beside the raw
driver's floor, measured in the same run on the same database kind; then the year's sales report
by month from the daily totals beside the old grouping over the entries.

    python -m tests.benchmarks.bench_sales [--db sqlite|postgresql] [--sales 1000]
                                           [--report-sales 1000000 [10000000]] [--former-max 2000000]

Sales go through billing.sales.sell with a caller's idempotency key (rights, account lock, key
check, pricing, receipt counter, ledger entry, daily totals, receipt snapshot, operation-log
row, commit). SQLite: a file with WAL + synchronous=FULL (the station's settings). PostgreSQL:
127.0.0.1:5432 user postgres, in a database of its own (bench_sales_<pid>, dropped at the end),
synchronous_commit on (the server's default).

The floor is the minimal durable ledger write with the raw driver (sqlite3 / psycopg, no ORM):
one transaction per sale holding one INSERT of a ledger-shaped row, committed — what any sale
must at least cost on that database. Both print this process's CPU a sale over the run and in
their best batch of 100 (what a loaded machine disturbs least; wall-clock rates mean little there).

The report part seeds a year of sales in bulk (raw executemany / COPY, evenly over the days,
5 operators, 5 methods, 1 in 20 a refund), fills ledger_daily from them with the same GROUP BY
as migration 0010, then times billing.reports.takings.sales_summary(year, "month") (daily totals)
beside the same summary folded from reports.sales_from_entries (the former query), best of 3.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/"
METHODS = ["cash", "card", "wechat", "alipay", "transfer"]


# --- databases ----------------------------------------------------------------------------------
def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True) as c:
        c.execute(sql)


def open_station(kind: str, tmp: str):
    from models.db import Database

    # the station key and settings in the temporary folder, never the user's config folder
    os.environ["METERSTATION_CONFIG_DIR"] = str(Path(tmp) / "cfg")
    if kind == "sqlite":
        return Database.open(f"sqlite:///{Path(tmp) / 'bench.db'}", upgrade=True), None
    name = f"bench_sales_{os.getpid()}"
    pg_admin(f"DROP DATABASE IF EXISTS {name}")
    pg_admin(f"CREATE DATABASE {name}")
    return Database.open(PG + name, upgrade=True), name


# --- the raw floor ------------------------------------------------------------------------------
FLOOR_TABLE = ("CREATE TABLE floor_entries (id {pk}, account_id INTEGER NOT NULL, kind VARCHAR(16) NOT NULL, "
               "amount_fen BIGINT NOT NULL, balance_after_fen BIGINT NOT NULL, at TIMESTAMP NOT NULL, "
               "operator VARCHAR(40) NOT NULL, method VARCHAR(10) NOT NULL, receipt_no VARCHAR(20), "
               "idempotency_key VARCHAR(80) UNIQUE)")
FLOOR_INSERT = ("INSERT INTO floor_entries (account_id, kind, amount_fen, balance_after_fen, at, operator, method, "
                "receipt_no, idempotency_key) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})")


def floor_row(i: int) -> tuple:
    return (1 + i % 50, "purchase", 1000, 1000 * i, datetime.now().isoformat(sep=" "), "root", "cash", f"{i:08d}",
            uuid.uuid4().hex)


BATCH = 100          # CPU is also taken per batch of this many: the least-disturbed batch under load


class Clock:
    """CPU of this process per item over the whole run and in its best batch of BATCH items (on a
    loaded machine other processes only ever add to a batch's CPU: the best batch is the figure
    that moves least with the load)."""

    def __init__(self) -> None:
        self.t0, self.c0, self.best = time.perf_counter(), time.process_time(), float("inf")
        self._batch = self.c0

    def tick(self, i: int) -> None:
        if (i + 1) % BATCH == 0:
            now = time.process_time()
            self.best = min(self.best, (now - self._batch) / BATCH * 1000)
            self._batch = now

    def done(self, n: int) -> tuple[float, float, float]:
        """(items/s, CPU ms an item, CPU ms an item in the best batch)."""
        took, cpu = time.perf_counter() - self.t0, time.process_time() - self.c0
        return n / took, cpu / n * 1000, self.best if self.best != float("inf") else cpu / n * 1000


def raw_floor(kind: str, tmp: str, pg_name: str | None, n: int) -> tuple[float, float, float]:
    """(sales/s, CPU ms of this process a sale, the same in the best batch) of the minimal durable
    ledger write."""
    if kind == "sqlite":
        import sqlite3

        conn = sqlite3.connect(str(Path(tmp) / "floor.db"), isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute(FLOOR_TABLE.format(pk="INTEGER PRIMARY KEY"))
        sql = FLOOR_INSERT.format(p="?")
        clock = Clock()
        for i in range(n):
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(sql, floor_row(i))
            conn.execute("COMMIT")
            clock.tick(i)
        figures = clock.done(n)
        conn.close()
        return figures
    import psycopg

    with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={pg_name}") as conn:
        conn.execute(FLOOR_TABLE.format(pk="BIGSERIAL PRIMARY KEY"))
        conn.commit()
        sql = FLOOR_INSERT.format(p="%s")
        clock = Clock()
        for i in range(n):
            conn.execute(sql, floor_row(i))
            conn.commit()
            clock.tick(i)
        return clock.done(n)


# --- the station's sales ------------------------------------------------------------------------
def station_sales(db, n: int) -> tuple[float, int, float, float, object]:
    """(sales/s, SQL statements a sale, CPU ms of this process a sale, the same in the best batch,
    the actor)."""
    from access import login as auth
    from access import operators as operator_service
    from billing.accounts_open import MeterOpening, open_account
    from billing.sales import sell
    from billing.tariffs.plan_store import add_version
    from models.archive import Customer, Meter

    operator_service.create_first_operator(db, "root", "secret-1", "BENCH")
    actor = auth.login(db, "root", "secret-1", "BENCH")
    add_version(db, actor, "flat", {"kind": "flat", "price": "0.5"})
    with db.write() as s:
        for i in range(50):
            s.add(Customer(name=f"c{i}"))
            s.add(Meter(number=f"m{i}", protocol="dlt645-2007", address=f"{i:012d}"))
    accounts = [open_account(db, actor, f"c{i}", [MeterOpening(f"m{i}", Decimal("0"))], tariff="flat").number
                for i in range(50)]
    for a in accounts:                       # first sale of each account: it also queues a relay close
        sell(db, actor, a, Decimal("10.00"), method="cash", idempotency_key=uuid.uuid4().hex)
    statements = [0]

    def count(*_args) -> None:
        statements[0] += 1

    event.listen(db.writer, "before_cursor_execute", count)
    sell(db, actor, accounts[0], Decimal("10.00"), method="cash", idempotency_key=uuid.uuid4().hex)
    event.remove(db.writer, "before_cursor_execute", count)
    per_sale = statements[0]
    clock = Clock()
    for i in range(n):
        sell(db, actor, accounts[i % 50], Decimal("10.00"), method="cash", idempotency_key=uuid.uuid4().hex)
        clock.tick(i)
    rate, cpu, best = clock.done(n)
    return rate, per_sale, cpu, best, actor


# --- the year report ----------------------------------------------------------------------------
def seed_year(db, year: int, total: int, start_at: int) -> float:
    """`total` entries spread evenly over `year`, inserted with the raw driver in chunks; then
    ledger_daily rebuilt from all entries with migration 0010's GROUP BY. Returns seconds."""
    from billing.reports.takings import local_day
    from models.ledger_daily import LedgerDaily, utc_offset_minutes

    t0 = time.perf_counter()
    first = datetime(year, 1, 1) - timedelta(minutes=utc_offset_minutes())
    step = 365 * 86400 / total
    cols = ("account_id", "kind", "amount_fen", "subsidy_fen", "balance_after_fen", "subsidy_after_fen", "at",
            "operator", "station", "method", "reference", "note")

    def rows(lo: int, hi: int):
        for i in range(lo, hi):
            refund = i % 20 == 19
            yield (1 + i % 50, "refund" if refund else "purchase", -500 if refund else 1000, 0, 0, 0,
                   (first + timedelta(seconds=i * step)), f"op{i % 5}", "BENCH", METHODS[(i // 5) % 5], "", "")

    chunk = 200_000
    raw = db.writer.raw_connection()
    try:
        cur = raw.cursor()
        if db.dialect == "sqlite":
            cur.execute("BEGIN")
            sql = f"INSERT INTO ledger_entries ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
            for lo in range(0, total, chunk):
                cur.executemany(sql, [r[:6] + (r[6].strftime("%Y-%m-%d %H:%M:%S.%f"),) + r[7:]
                                      for r in rows(lo, min(total, lo + chunk))])
            cur.execute("COMMIT")
        else:
            with cur.copy(f"COPY ledger_entries ({', '.join(cols)}) FROM STDIN") as copy:
                for lo in range(0, total, chunk):
                    for r in rows(lo, min(total, lo + chunk)):
                        copy.write_row(r)
            raw.commit()
    finally:
        raw.close()
    e = sa.table("ledger_entries", sa.column("at", sa.DateTime()), sa.column("operator"), sa.column("method"),
                 sa.column("kind"), sa.column("amount_fen"))
    d = LedgerDaily.__table__
    day = local_day(db.dialect, e.c.at)
    grouped = (sa.select(day, e.c.operator, e.c.method, e.c.kind, sa.func.count(), sa.func.sum(e.c.amount_fen))
               .group_by(day, e.c.operator, e.c.method, e.c.kind))
    with db.writer.begin() as c:
        c.execute(sa.delete(d))
        c.execute(sa.insert(d).from_select(["day", "operator", "method", "kind", "n", "amount_fen"], grouped))
        if db.dialect == "postgresql":
            c.exec_driver_sql("ANALYZE ledger_entries")
            c.exec_driver_sql("ANALYZE ledger_daily")
    return time.perf_counter() - t0


def best_of(fn, runs: int = 3) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def by_month(rows) -> list[tuple[str, int, Decimal]]:
    acc: dict[str, list] = {}
    for r in rows:
        a = acc.setdefault(r.day.isoformat()[:7], [0, Decimal(0)])
        a[0] += r.count
        a[1] += r.net
    return [(k, v[0], v[1]) for k, v in sorted(acc.items())]


def entry_totals(db, span: tuple[date, date]) -> tuple[int, int]:
    """(count, net fen) of the money entries in the span's local days, straight from the entries
    (one aggregate, no grouping): the cheap check of the daily totals at sizes where the former
    grouped query would take minutes."""
    from billing.reports import takings as reports
    from models.ledger import LedgerEntry as E

    lo, hi = reports.utc_bounds(*span)
    with db.read() as s:
        n, net = s.execute(sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(E.amount_fen), 0))
                           .where(E.kind.in_(reports.MONEY_KINDS), E.at >= lo, E.at < hi)).one()
    return int(n), int(net)


def year_report(db, actor, sizes: list[int], label: str, former_max: int = 2_000_000) -> None:
    from billing.reports import takings as reports
    from models.ledger_daily import LedgerDaily

    year = date.today().year - 1
    seeded = 0
    for size in sizes:
        took = seed_year(db, year, size - seeded, seeded)
        seeded = size
        span = (date(year, 1, 1), date(year, 12, 31))
        new, summary = best_of(lambda span=span: reports.sales_summary(db, *span, "month", actor=actor))
        with db.read() as s:
            daily_rows = s.execute(sa.select(sa.func.count()).select_from(LedgerDaily)
                                   .where(LedgerDaily.day.between(*span))).scalar()
        sold = sum(r.count for r in summary)
        if size <= former_max:
            old, rows = best_of(lambda span=span: reports.sales_from_entries(db, *span, actor=actor), runs=3)
            same = [(r.key, r.count, r.net) for r in summary] == by_month(rows)
            if not same and os.environ.get("BENCH_DEBUG"):
                print([(r.key, r.count, r.net) for r in summary], by_month(rows))
            former = f"former query over entries {old * 1000:.0f} ms | same figures: {same}"
        else:
            t0 = time.perf_counter()
            n, net = entry_totals(db, span)
            same = (n, net) == (sold, int(sum(r.net for r in summary) * 100))
            former = (f"former grouped query skipped (> {former_max:,}); count and sum over the entries "
                      f"{(time.perf_counter() - t0) * 1000:.0f} ms | same totals: {same}")
        print(f"{label}: year report by month over {sold:,} entries: daily totals {new * 1000:.0f} ms "
              f"({daily_rows} rows read) | {former} (seeding {took:.0f} s)", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--sales", type=int, default=1000)
    ap.add_argument("--report-sales", type=int, nargs="*", default=[1_000_000],
                    help="year report sizes, cumulative (e.g. 1000000 10000000); none: skip")
    ap.add_argument("--former-max", type=int, default=2_000_000,
                    help="above this size the former grouped query is skipped (minutes at 10M); the daily "
                         "totals are checked against one count and sum over the entries instead")
    opts = ap.parse_args()
    label = ("SQLite (file, WAL, synchronous=FULL)" if opts.db == "sqlite"
             else "PostgreSQL (127.0.0.1, synchronous_commit=on)")
    with tempfile.TemporaryDirectory() as tmp:
        db, pg_name = open_station(opts.db, tmp)
        try:
            rate, per_sale, cpu, best, actor = station_sales(db, opts.sales)
            floor, floor_cpu, floor_best = raw_floor(opts.db, tmp, pg_name, opts.sales)
            print(f"{label}: billing.sales.sell {rate:.0f} sales/s, {cpu:.2f} ms CPU a sale (best batch of "
                  f"{BATCH}: {best:.2f}) ({per_sale} SQL statements a sale, BEGIN included, COMMIT not) | raw "
                  f"floor (one durable ledger-row INSERT + COMMIT a sale) {floor:.0f}/s, {floor_cpu:.2f} ms CPU "
                  f"(best batch: {floor_best:.2f}) | ratio {rate / floor:.0%} ({opts.sales} each; "
                  f"load {os.getloadavg()[0]:.1f})")
            if opts.report_sales:
                year_report(db, actor, sorted(opts.report_sales), label, opts.former_max)
        finally:
            db.dispose()
            if pg_name:
                pg_admin(f"DROP DATABASE IF EXISTS {pg_name}")


if __name__ == "__main__":
    main()
