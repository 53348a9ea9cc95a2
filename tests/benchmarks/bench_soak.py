"""Soak benchmark (not a test; issue 11 "Done when"): 8 cashier processes selling, refunding and
reversing through the services while the polling service (`meterstation poll`, a subprocess)
reads simulated meters, settles and delivers the outbox - on SQLite or PostgreSQL.

    python -m tests.benchmarks.bench_soak [--seconds 300] [--db sqlite|postgres] [--cashiers 8]

Reports: operations, lost (accounts whose balance is not the sum of their ledger entries, sales
a cashier was told of but not in the ledger; receipt numbers not gapless), doubled (ledger
entries beyond what the cashiers were told of), errors a cashier saw (any exception of a sale,
refund or reversal other than the expected refusal of a refund beyond the refundable balance), p95
latency per operation, deadlocks retried: deadlocks and serialization failures run again by
models.db @retrying, counted in every process (models.db.retried_total: each cashier reports its
own, the polling service prints its total when it stops) - and the units of work that gave up after
the bounded retries.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def cashier(n: int, url: str, accounts: list[str], seconds: float, out: str) -> None:
    """One cashier process: sells (80%), refunds (10%) and reverses its own sales (10%)."""
    from access import login as auth
    from billing.refunds import refund, reverse
    from billing.sales import sell
    from models.db import Database
    from models.errors import Conflict, StationError

    rng = random.Random(n)
    db = Database.open(url)
    actor = auth.login(db, f"cas{n}", "pass-123", f"S{n}")
    stats = {"ops": 0, "sales_fen": {}, "refunds_fen": {}, "reversed": [], "errors": [], "refused": 0,
             "latency": [], "sales": 0, "refunds": 0, "reversals": 0}
    mine: list[tuple[str, str, int]] = []          # (receipt, account, fen) of own sales
    cpu0 = time.process_time()                   # the loop's CPU, not the imports and the login
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        account = rng.choice(accounts)
        roll = rng.random()
        t0 = time.perf_counter()
        try:
            if roll < 0.8 or not mine:
                fen = rng.randrange(100, 5000)
                r = sell(db, actor, account, Decimal(fen) / 100, method="cash", idempotency_key=uuid.uuid4().hex)
                mine.append((r.receipt, account, fen))
                stats["sales_fen"][account] = stats["sales_fen"].get(account, 0) + fen
                stats["sales"] += 1
            elif roll < 0.9:
                fen = rng.randrange(1, 300)
                refund(db, actor, account, Decimal(fen) / 100, method="cash", idempotency_key=uuid.uuid4().hex)
                stats["refunds_fen"][account] = stats["refunds_fen"].get(account, 0) + fen
                stats["refunds"] += 1
            else:
                receipt, acc, fen = mine.pop(rng.randrange(len(mine)))
                reverse(db, actor, receipt, reason="soak")
                stats["reversed"].append([receipt, acc, fen])
                stats["reversals"] += 1
            stats["ops"] += 1
        except StationError as e:
            if isinstance(e, Conflict) and 0.8 <= roll < 0.9:
                stats["refused"] += 1              # a refund beyond the balance: the expected refusal
            else:
                stats["errors"].append(f"{type(e).__name__}: {e}")
        except Exception as e:  # noqa: BLE001 - every other failure is an error the cashier saw
            stats["errors"].append(f"{type(e).__name__}: {e}")
        stats["latency"].append(time.perf_counter() - t0)
    from models.db import retry_counts

    counts = retry_counts()
    stats["retries"] = sum(counts["retried"].values())
    stats["retried_by_unit"] = counts["retried"]
    stats["gave_up"] = sum(counts["gave_up"].values())
    stats["cpu_s"] = time.process_time()         # this cashier's CPU (wall time is noisy under load)
    stats["cpu_loop_s"] = stats["cpu_s"] - cpu0
    db.dispose()
    Path(out).write_text(json.dumps(stats), encoding="utf-8")


def _setup(url: str, cashiers: int, meters: int, sim_url: str) -> list[str]:
    import sqlalchemy as sa

    from access import login as auth
    from access import operators as operator_service
    from billing.accounts_open import MeterOpening, open_account
    from billing.tariffs.plan_store import add_version
    from models import settings
    from models.archive import Customer, Link, Meter
    from models.db import Database

    db = Database.open(url, upgrade=True)
    operator_service.create_first_operator(db, "root", "secret-1", "BENCH")
    root = auth.login(db, "root", "secret-1", "BENCH")
    operator_service.define_role(db, root, "counter", "counter", ["sell", "refund", "reverse", "shift", "meter_read"])
    for n in range(cashiers):                   # a cashier who may also refund and reverse
        operator_service.add_operator(db, root, f"cas{n}", "pass-123", "counter")
    add_version(db, root, "flat", {"kind": "flat", "price": "1.00"})
    settings.put(db, root, "automation.default_read_minutes", "1")
    settings.put(db, root, "automation.quiet_hours", "")
    fast = json.dumps({"timeout": "0.5", "retries": "1", "confirm_interval": "0.05"})
    with db.write() as s:
        link = Link(name="bus1", url=sim_url)
        s.add(link)
        s.flush()
        for i in range(meters):
            s.add(Customer(name=f"c{i}"))
            s.add(Meter(number=f"E{i}", protocol="dlt645-2007", address=f"{i + 1:012d}", link_id=link.id,
                        options=fast))
    accounts = [open_account(db, root, f"c{i}", [MeterOpening(f"E{i}", Decimal("0"))], tariff="flat",
                             mode="station-prepaid", arrears="trip-now").number for i in range(meters)]
    with db.read() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(Meter)).scalar_one() == meters
    db.dispose()
    return accounts


def _check(url: str, results: list[dict]) -> dict:
    import sqlalchemy as sa

    from models.accounts import Account
    from models.db import Database
    from models.ledger import LedgerEntry, Receipt

    db = Database.open(url)
    with db.read() as s:
        sums = dict(s.execute(sa.select(LedgerEntry.account_id, sa.func.sum(LedgerEntry.amount_fen))
                              .group_by(LedgerEntry.account_id)).all())
        balances = {a.id: (a.number, a.balance_fen) for a in s.execute(sa.select(Account)).scalars()}
        purchases = s.execute(sa.select(sa.func.count()).select_from(LedgerEntry)
                              .where(LedgerEntry.kind == "purchase")).scalar_one()
        refunds = s.execute(sa.select(sa.func.count()).select_from(LedgerEntry)
                            .where(LedgerEntry.kind == "refund")).scalar_one()
        reversals = s.execute(sa.select(sa.func.count()).select_from(LedgerEntry)
                              .where(LedgerEntry.kind == "reversal")).scalar_one()
        numbers = sorted(int(re.sub(r"\D", "", n)) for n in s.execute(sa.select(Receipt.number)).scalars())
    db.dispose()
    mismatched = [num for aid, (num, bal) in balances.items() if (sums.get(aid) or 0) != bal]
    told = {k: sum(r[k] for r in results) for k in ("sales", "refunds", "reversals")}
    gaps = (numbers[-1] - numbers[0] + 1 - len(numbers)) if numbers else 0
    return {"mismatched_accounts": len(mismatched), "receipt_gaps": gaps, "receipts": len(numbers),
            "lost": max(0, told["sales"] - purchases) + max(0, told["refunds"] - refunds)
            + max(0, told["reversals"] - reversals),
            "doubled": max(0, purchases - told["sales"]) + max(0, refunds - told["refunds"])
            + max(0, reversals - told["reversals"]), "told": told}


def _poller_retries(text: str) -> int | None:
    """The total the polling service printed when it stopped (None: it did not stop cleanly)."""
    found = re.findall(r"failures retried: (\d+)", text)
    return int(found[-1]) if found else None


def _by_unit(results: list[dict]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in results:
        for unit, n in r.get("retried_by_unit", {}).items():
            out[unit] = out.get(unit, 0) + n
    return out


def run(seconds: float, backend: str, cashiers: int = 8, meters: int = 24) -> dict:
    os.environ["METERSTATION_TEST_MODE"] = "1"           # the simulator runs only in test mode
    from comms.simulator import Bus, TcpSimulator
    from comms.simulator.spec import SimulatorSpec

    tmp = Path(tempfile.mkdtemp(prefix="soak-"))
    os.environ["METERSTATION_CONFIG_DIR"] = str(tmp / "cfg")
    os.environ["METERSTATION_BILL_DIR"] = str(tmp / "bills")
    schema = None
    if backend == "postgres":
        from tests.dbs import PgSchema

        schema = PgSchema()
        url = schema.url
    else:
        url = f"sqlite:///{tmp / 'station.db'}"
    spec = f"dlt645-2007:{1:012d}-{meters:012d}/prepaid=0/kw=2"
    sim = TcpSimulator(Bus(SimulatorSpec.parse(spec).build(), baud=9600, latency=0.01))
    poller = None
    try:
        accounts = _setup(url, cashiers, meters, sim.url)
        from tests.service_ids import service_env

        env = {**os.environ, "PYTHONPATH": str(ROOT), **service_env(url)}     # polls as the service identity
        plog = open(tmp / "poll.log", "w")
        poller = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--lang", "en", "--db", url, "poll"],
                                  env=env, cwd=tmp, stdout=plog, stderr=subprocess.STDOUT)
        ctx = mp.get_context("spawn")
        procs = [ctx.Process(target=cashier, args=(n, url, accounts, seconds, str(tmp / f"c{n}.json")))
                 for n in range(cashiers)]
        t0 = time.monotonic()
        for p in procs:
            p.start()
        for p in procs:
            p.join(seconds + 600)
        wall = time.monotonic() - t0
        poller.send_signal(signal.SIGTERM)
        poller.wait(60)
        import resource

        children_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)       # cashiers and the poller
        children_cpu = children_cpu.ru_utime + children_cpu.ru_stime
        plog.close()
        results = [json.loads((tmp / f"c{n}.json").read_text()) for n in range(cashiers)
                   if (tmp / f"c{n}.json").exists()]
        check = _check(url, results)
        poll_text = (tmp / "poll.log").read_text(errors="replace")
        lat = sorted(x for r in results for x in r["latency"])
        ops = sum(r["ops"] for r in results)
        errors = [e for r in results for e in r["errors"]]
        return {"backend": backend, "seconds": seconds, "wall": round(wall, 1), "cashiers": len(results),
                "operations": ops, "ops_per_s": round(ops / seconds, 1), **check["told"],
                "refused_as_expected": sum(r["refused"] for r in results),
                "lost": check["lost"] + check["mismatched_accounts"], "receipt_gaps": check["receipt_gaps"],
                "doubled": check["doubled"], "errors_seen": len(errors), "first_errors": errors[:3],
                "p95_ms": round(lat[int(0.95 * (len(lat) - 1))] * 1000, 1) if lat else None,
                "p50_ms": round(lat[len(lat) // 2] * 1000, 1) if lat else None,
                "deadlocks_retried": sum(r["retries"] for r in results) + (_poller_retries(poll_text) or 0),
                "retries_cashiers": sum(r["retries"] for r in results),
                "retries_poller": _poller_retries(poll_text),
                "retries_by_unit": _by_unit(results),
                "retries_gave_up": sum(r.get("gave_up", 0) for r in results) + poll_text.count("gave up after"),
                "cpu_ms_per_op_cashiers": round(sum(r.get("cpu_loop_s", 0) for r in results) * 1000 / max(ops, 1), 2),
                "cpu_s_poller": round(children_cpu - sum(r.get("cpu_s", 0) for r in results), 1),
                "poller_cycles": poll_text.count(" cycle: "), "poller_exit": poller.returncode,
                "poller_tracebacks": poll_text.count("Traceback"),
                "poller_first_traceback": (poll_text[poll_text.find("Traceback"):][:1500]
                                           if "Traceback" in poll_text else "")}
    finally:
        if poller is not None and poller.poll() is None:
            poller.kill()
            poller.wait()
        sim.stop()
        if schema is not None:
            schema.drop()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=300)
    ap.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--cashiers", type=int, default=8)
    ap.add_argument("--meters", type=int, default=24)
    opts = ap.parse_args(argv)
    out = run(opts.seconds, opts.db, opts.cashiers, opts.meters)
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0 if out["lost"] == 0 and out["doubled"] == 0 and out["errors_seen"] == 0 and not out["receipt_gaps"] else 1


if __name__ == "__main__":
    sys.exit(main())
