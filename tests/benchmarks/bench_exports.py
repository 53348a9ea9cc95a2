"""Benchmark (not a test): the large-table exports (issue 12, "streaming exports everywhere") at
100,000 and 300,000 rows - each command's wall time, CPU time and peak memory - beside a floor
measured in the same run: a bare SELECT of the same rows through the driver (sqlite3 / psycopg).
Memory is flat when the 300,000-row peak is the 100,000-row peak.

    python -m tests.benchmarks.bench_exports [--rows 100000,300000] [--db sqlite|postgres]
                                             [--only sale-records,archive-xlsx,archive-csv]
                                             [--root OTHER_CHECKOUT]

What is measured, each a `meterstation` command in a child process acting as a super admin
(its login, one scrypt check, and its log row are part of it):

    sale-records   report sale-records --from --to --xlsx FILE   (ledger entries, joined)
    archive-xlsx   archive export FILE.xlsx    (meters with room/link/tags, and customers)
    archive-csv    archive export FOLDER       (the same, one CSV per kind)

(`log export` has its own benchmark, bench_log_export.) Seeded in bulk (Core executemany):
200 accounts in rooms, N sales/refunds/reversals over one month; N meters (every 10th with a
tag) in those rooms and N customers. Peak memory is the child's ru_maxrss (os.wait4 through a
wrapper), so it includes the interpreter and the libraries (≈ 60 MB for a command that imports
SQLAlchemy and openpyxl). `--root` runs another checkout's program on the same database (the
code before this change, for the figures beside it).
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
N_ACCOUNTS = 200
DAY0 = date(2026, 10, 1)

# the floors: the same rows and columns as the commands read, bare, through the driver
SALES_SQL = ("SELECT e.receipt_no, e.at, e.kind, e.amount_fen, e.energy_milli, e.method, e.reference, e.operator, "
             "e.station, e.account_id, a.number, c.name, b.name, f.name, r.number, r.name, m.number, o.receipt_no "
             "FROM ledger_entries e JOIN accounts a ON a.id = e.account_id JOIN customers c ON c.id = a.customer_id "
             "LEFT JOIN rooms r ON r.id = a.room_id LEFT JOIN floors f ON f.id = r.floor_id "
             "LEFT JOIN buildings b ON b.id = f.building_id LEFT JOIN meters m ON m.id = e.meter_id "
             "LEFT JOIN ledger_entries o ON o.id = e.reverses_id "
             "WHERE e.kind IN ('purchase', 'bill_payment', 'refund', 'reversal') ORDER BY e.at, e.id")
ARCHIVE_SQL = ("SELECT m.id, m.number, m.kind, m.protocol, m.address, m.profile, k.name, m.ct_ratio, m.initial_milli, "
               "m.install_date, m.state, m.comm_state, s.name, b.name, b.id, f.name, r.number, m.options "
               "FROM meters m LEFT JOIN links k ON k.id = m.link_id LEFT JOIN rooms r ON r.id = m.room_id "
               "LEFT JOIN floors f ON f.id = r.floor_id LEFT JOIN buildings b ON b.id = f.building_id "
               "LEFT JOIN sites s ON s.id = b.site_id ORDER BY m.number;"
               "SELECT mt.meter_id, t.kind, t.name FROM meter_tags mt JOIN tags t ON t.id = mt.tag_id;"
               "SELECT name, phone, id_number, type FROM customers ORDER BY id")
FLOOR = """
import sys
url, sql = sys.argv[1], sys.argv[2]
if url.startswith("sqlite"):
    import sqlite3
    con = sqlite3.connect(url.split("///", 1)[1])
    cur = con.cursor()
else:
    import psycopg
    plain = url.replace("postgresql+psycopg", "postgresql").split("?")[0]
    schema = url.split("search_path%3D", 1)[1]
    con = psycopg.connect(plain, options=f"-csearch_path={schema}")
    con.autocommit = False
    cur = con.cursor(name="floor")            # a server-side cursor, as the export's yield_per
n = 0
for statement in sql.split(";"):
    if not url.startswith("sqlite"):
        cur = con.cursor(name=f"floor{n}")
    cur.execute(statement)
    while True:
        rows = cur.fetchmany(2000)
        if not rows:
            break
        n += len(rows)
print(n)
"""


def _seed_places(db) -> list[tuple[int, int]]:
    """200 accounts with a customer and a room each; [(account id, room id)]."""
    from models.accounts import Account
    from models.archive import Customer, Floor, Room
    from models.areas import Building, Site

    out = []
    with db.write() as s:
        site = Site(name="园区")
        s.add(site)
        s.flush()
        rooms = []
        for b in range(2):
            bld = Building(site_id=site.id, name=f"{b + 1}号楼")
            s.add(bld)
            s.flush()
            fl = Floor(building_id=bld.id, name="1F", level=1)
            s.add(fl)
            s.flush()
            for r in range(N_ACCOUNTS // 2):
                room = Room(floor_id=fl.id, number=f"{r + 101}")
                s.add(room)
                rooms.append(room)
        s.flush()
        for i, room in enumerate(rooms):
            c = Customer(name=f"住户{i}")
            s.add(c)
            s.flush()
            a = Account(number=f"{i + 1:06d}", customer_id=c.id, room_id=room.id)
            s.add(a)
            s.flush()
            out.append((a.id, room.id))
    return out


def seed_sales(db, accounts: list[tuple[int, int]], start: int, n: int) -> None:
    """n sales (every 10th a refund or reversal) over October 2026, receipt numbers from start."""
    import sqlalchemy as sa

    from models.ledger import LedgerEntry

    rnd = random.Random(start)
    lo = datetime.combine(DAY0, datetime.min.time()).astimezone(UTC)
    rows = []
    for i in range(start, start + n):
        kind = "purchase" if i % 10 else ("refund" if i % 20 else "reversal")
        fen = rnd.randint(100, 50_000) * (1 if kind == "purchase" else -1)
        rows.append({"account_id": accounts[i % len(accounts)][0], "kind": kind, "amount_fen": fen, "subsidy_fen": 0,
                     "balance_after_fen": 0, "subsidy_after_fen": 0, "operator": f"op{i % 5}",
                     "station": "收费窗口1", "method": ("cash", "card", "wechat", "alipay")[i % 4],
                     "reference": "=cmd" if i % 997 == 0 else "", "note": "", "receipt_no": f"R{i:09d}",
                     "at": lo + timedelta(seconds=rnd.randrange(30 * 86400)),
                     "energy_milli": abs(fen) * 2 if kind == "purchase" else None})
        if len(rows) == 10_000:
            with db.write() as s:
                s.execute(sa.insert(LedgerEntry), rows)
            rows.clear()
    if rows:
        with db.write() as s:
            s.execute(sa.insert(LedgerEntry), rows)


def seed_archive(db, rooms: list[int], start: int, n: int) -> None:
    """n meters (every 10th tagged, every 3rd in a room) and n customers, numbered from start."""
    import sqlalchemy as sa

    from models.archive import Customer, Meter, MeterTag, Tag

    with db.write() as s:
        tag = s.execute(sa.select(Tag.id).where(Tag.kind == "line", Tag.name == "A线")).scalar()
        if tag is None:
            t = Tag(kind="line", name="A线")
            s.add(t)
            s.flush()
            tag = t.id
    for k in range(start, start + n, 10_000):
        upto = min(start + n, k + 10_000)
        meters = [{"number": f"{i:012d}", "protocol": "dlt645-2007", "address": f"{i:012d}",
                   "room_id": rooms[i % len(rooms)] if i % 3 == 0 else None,
                   "options": '{"password": "000000", "timeout": "2"}' if i % 7 == 0 else "{}",
                   "initial_milli": i * 17} for i in range(k, upto)]
        customers = [{"name": f"客户{i}", "phone": f"138{i:08d}", "id_number": "", "type": "resident"}
                     for i in range(k, upto)]
        with db.write() as s:
            s.execute(sa.insert(Meter), meters)
            s.execute(sa.insert(Customer), customers)
            ids = s.execute(sa.select(Meter.id).where(Meter.number >= f"{k:012d}", Meter.number < f"{upto:012d}")
                            .order_by(Meter.id)).scalars().all()
            s.execute(sa.insert(MeterTag), [{"meter_id": mid, "tag_id": tag} for mid in ids[::10]])


def _measured(args: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MB) and CPU seconds (user + system) of args, run as a child of a small wrapper."""
    wrapper = ("import resource, subprocess, sys, time\n"
               "t0 = time.perf_counter(); r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
               "wall = time.perf_counter() - t0\n"
               "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
               "sys.stderr.write(r.stderr)\n"
               "print(r.returncode, wall, u.ru_maxrss / 1024, u.ru_utime + u.ru_stime)\n")
    r = subprocess.run([sys.executable, "-c", wrapper, *args], env=env, capture_output=True, text=True)
    rc, wall, mb, cpu = r.stdout.split()
    if int(rc):
        raise SystemExit(f"{args}: exit {rc}: {r.stderr}")
    return float(wall), float(mb), float(cpu)


def _head_of(root: Path) -> str:
    """The newest migration revision of a checkout (its file names sort by number)."""
    import re

    newest = sorted((root / "models" / "migrations" / "versions").glob("0*.py"))[-1]
    found = re.search(r"^revision = ['\"]([^'\"]+)['\"]", newest.read_text(encoding="utf-8"), re.M)
    assert found, newest
    return found.group(1)


class _Stamped:
    """The database stamped with `root`'s newest revision while that checkout's program runs:
    an older program refuses a newer schema. Only for a checkout whose missing migrations
    change rows, not tables (0013 gives a role a right) - checked by the caller."""

    def __init__(self, url: str, root: Path) -> None:
        import sqlalchemy as sa

        self.engine = sa.create_engine(url)
        self.want = _head_of(root)
        self.sa = sa

    def __enter__(self) -> None:
        with self.engine.begin() as c:
            self.was = c.execute(self.sa.text("SELECT version_num FROM alembic_version")).scalar_one()
            c.execute(self.sa.text("UPDATE alembic_version SET version_num = :v"), {"v": self.want})

    def __exit__(self, *exc: object) -> None:
        with self.engine.begin() as c:
            c.execute(self.sa.text("UPDATE alembic_version SET version_num = :v"), {"v": self.was})
        self.engine.dispose()


def _run(root: Path, url: str, args: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    import contextlib

    cm = contextlib.nullcontext() if root == ROOT else _Stamped(url, root)
    with cm:
        return _measured([sys.executable, str(root / "app.py"), "--lang", "en", "--db", url, *args],
                         {**env, "PYTHONPATH": str(root)})


def _size(path: Path) -> float:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.iterdir()) / 1e6
    return path.stat().st_size / 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", default="100000,300000")
    ap.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--only", default="sale-records,archive-xlsx,archive-csv")
    ap.add_argument("--root", action="append", default=[],
                    help="a checkout whose program is measured too (repeatable); this one always")
    opts = ap.parse_args()
    roots = [ROOT, *(Path(r) for r in opts.root)]
    only = opts.only.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        os.environ["METERSTATION_CONFIG_DIR"] = str(tmp_path / "cfg")
        schema = None
        if opts.db == "postgres":
            from tests.dbs import PgSchema

            schema = PgSchema()
            url = schema.url
        else:
            url = f"sqlite:///{tmp_path / 'station.db'}"
        from access import operators
        from models.db import Database

        db = Database.open(url, upgrade=True)
        operators.create_first_operator(db, "bench", "bench-secret-1", "收费窗口1")
        places = _seed_places(db)
        accounts = places
        rooms = [r for _a, r in places]
        env = {k: v for k, v in os.environ.items() if not k.startswith("METERSTATION_")}
        env.update(METERSTATION_CONFIG_DIR=str(tmp_path / "cfg"), METERSTATION_OPERATOR="bench",
                   METERSTATION_PASSWORD="bench-secret-1")
        print(f"exports on {opts.db} ({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}); "
              "wall, CPU (user+system) and peak RSS of each command's process", flush=True)
        seeded = 0
        try:
            for n in (int(x) for x in opts.rows.split(",")):
                seed_sales(db, accounts, seeded, n - seeded)
                seed_archive(db, rooms, seeded, n - seeded)
                seeded = n
                if "sale-records" in only:
                    wall, mb, cpu = _measured([sys.executable, "-c", FLOOR, url, SALES_SQL], env)
                    print(f"  {n:>7} rows  floor: bare SELECT of the records          {wall:6.2f} s "
                          f"{cpu:6.2f} s CPU {mb:6.0f} MB", flush=True)
                    for root in roots:
                        out = tmp_path / f"records-{n}-{roots.index(root)}.xlsx"
                        wall, mb, cpu = _run(root, url, ["report", "sale-records", "--from", "2026-09-30",
                                                         "--to", "2026-11-01", "--xlsx", str(out)], env)
                        print(f"  {n:>7} rows  report sale-records --xlsx {_tag(root):<14}{wall:6.2f} s "
                              f"{cpu:6.2f} s CPU {mb:6.0f} MB  ({_size(out):.1f} MB)", flush=True)
                if "archive-xlsx" in only or "archive-csv" in only:
                    wall, mb, cpu = _measured([sys.executable, "-c", FLOOR, url, ARCHIVE_SQL], env)
                    print(f"  {n:>7} rows  floor: bare SELECT meters+tags+customers {wall:6.2f} s "
                          f"{cpu:6.2f} s CPU {mb:6.0f} MB", flush=True)
                for what in ("archive-xlsx", "archive-csv"):
                    if what not in only:
                        continue
                    for root in roots:
                        out = tmp_path / (f"archive-{n}-{roots.index(root)}" + (".xlsx" if what == "archive-xlsx"
                                                                               else ""))
                        wall, mb, cpu = _run(root, url, ["archive", "export", str(out)], env)
                        print(f"  {n:>7} rows  archive export {what[8:]:<4} {_tag(root):<17}{wall:6.2f} s "
                              f"{cpu:6.2f} s CPU {mb:6.0f} MB  ({_size(out):.1f} MB)", flush=True)
        finally:
            db.dispose()
            if schema is not None:
                schema.drop()


def _tag(root: Path) -> str:
    return "(this tree)" if root == ROOT else f"({root.name})"


if __name__ == "__main__":
    main()
