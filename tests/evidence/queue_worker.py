"""A cashier process for the write-queue test: sells to shared accounts and writes what happened
(receipts, errors a cashier would have seen, latencies) to a JSON file."""
from __future__ import annotations

import json
import random
import time
from decimal import Decimal


def sell_loop(url: str, worker: int, accounts: list[str], rounds: int, out: str) -> None:
    from access import login as auth
    from billing.sales import sell
    from models.db import Database
    from models.errors import StationError

    db = Database(url)
    open(out + ".ready", "w").close()            # imports done: about to write
    actor = auth.login(db, "root", "secret-1", f"W{worker}")
    rnd = random.Random(worker)
    done: dict[str, list] = {"sold": [], "errors": [], "latency": []}
    try:
        for i in range(rounds):
            t0 = time.monotonic()
            try:
                r = sell(db, actor, rnd.choice(accounts), Decimal("1.00"), method="cash",
                         idempotency_key=f"q{worker}-{i}")
                done["sold"].append(r.receipt)
            except StationError as e:
                done["errors"].append(str(e))
            done["latency"].append(time.monotonic() - t0)
    finally:
        db.dispose()
        with open(out, "w", encoding="utf-8") as f:
            json.dump(done, f)
