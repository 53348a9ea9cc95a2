"""A worker process for the concurrency test: sells (with duplicate submissions), settles
readings and reverses its own sales on shared accounts, then writes what it did to a file."""
from __future__ import annotations

import json
import random
from datetime import timedelta
from decimal import Decimal


def work(url: str, worker: int, accounts: list[str], meters: list[str], rounds: int, out: str) -> None:
    from access import login as auth
    from billing.refunds import reverse
    from billing.sales import sell
    from billing.settlement import settle_reading
    from models.base import utcnow
    from models.db import Database
    from models.errors import Conflict

    db = Database(url)
    actor = auth.login(db, "root", "secret-1", f"W{worker}")
    rnd = random.Random(worker)
    done: dict[str, list] = {"sold": [], "reversed": [], "charged": 0}
    start = utcnow()
    try:
        for i in range(rounds):
            key = f"w{worker}-{i}"
            acc = rnd.choice(accounts)
            r = sell(db, actor, acc, Decimal(rnd.randint(100, 5000)).scaleb(-2), idempotency_key=key)
            again = sell(db, actor, acc, r.amount, idempotency_key=key)        # a double click
            assert again.replayed and again.receipt == r.receipt
            done["sold"].append([key, r.receipt])
            m = rnd.randrange(len(meters))
            reading = Decimal(100 + i * 10 + worker).scaleb(0)
            if settle_reading(db, actor, meters[m], reading, start + timedelta(seconds=i * 60 + worker)):
                done["charged"] += 1
            if i % 5 == 0:
                try:
                    reverse(db, actor, r.receipt)
                    done["reversed"].append(r.receipt)
                except Conflict:
                    pass                      # already spent by consumption: refused, fine
    finally:
        db.dispose()
        with open(out, "w", encoding="utf-8") as f:
            json.dump(done, f)
