"""Issue 11 item 11: SQLite writers queue instead of failing. Eight cashier processes sell while
another program holds the write lock longer than SQLite's busy timeout (10 s): every sale
goes through once the lock is free, none fails with "database is busy"."""
from __future__ import annotations

import json
import multiprocessing as mp
import sqlite3
import time

import pytest
import sqlalchemy as sa

from models import db as dbmod
from models.ledger import LedgerEntry
from tests.billing import factories as f
from tests.billing.helpers import check_books
from tests.evidence.queue_worker import sell_loop

WORKERS, ROUNDS = 8, 12


@pytest.mark.slow
def test_eight_writer_processes_queue_past_the_busy_timeout(tmp_path, monkeypatch):
    from access import login as auth
    from access import operators as operator_service
    from models.db import Database

    url = f"sqlite:///{tmp_path / 'station.db'}"
    db = Database.open(url, upgrade=True)
    try:
        operator_service.create_first_operator(db, "root", "secret-1", "TEST")
        root = auth.login(db, "root", "secret-1", "TEST")
        accounts = [f.account(db, root).number for _i in range(4)]
        ctx = mp.get_context("spawn")
        outs = [tmp_path / f"w{i}.json" for i in range(WORKERS)]
        holder = sqlite3.connect(tmp_path / "station.db", timeout=60, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")          # another program holds the write lock ...
        procs = [ctx.Process(target=sell_loop, args=(url, i, accounts, ROUNDS, str(outs[i])))
                 for i in range(WORKERS)]
        for p in procs:
            p.start()
        end = time.monotonic() + 120
        while not all(o.with_name(o.name + ".ready").exists() for o in outs) and time.monotonic() < end:
            time.sleep(0.1)
        time.sleep(dbmod.BUSY_TIMEOUT_MS / 1000 + 2)  # ... longer than the busy timeout
        holder.execute("COMMIT")
        holder.close()
        for p in procs:
            p.join(240)
        assert [p.exitcode for p in procs] == [0] * WORKERS
        results = [json.loads(o.read_text()) for o in outs]
        errors = [e for r in results for e in r["errors"]]
        assert errors == [], errors[:3]
        receipts = [x for r in results for x in r["sold"]]
        assert len(receipts) == len(set(receipts)) == WORKERS * ROUNDS
        with db.read() as s:
            assert s.execute(sa.select(sa.func.count()).where(LedgerEntry.kind == "purchase")).scalar() \
                == WORKERS * ROUNDS
        check_books(db)
    finally:
        db.dispose()
