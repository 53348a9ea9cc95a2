"""A cashier process for the sales-records test: logs in as its own operator at its own station
and sells, refunds and reverses on shared accounts, then writes the receipts it made to a file."""
from __future__ import annotations

import json
import random
from decimal import Decimal


def cashier(url: str, worker: int, accounts: list[str], rounds: int, out: str) -> None:
    from access import login as auth
    from billing.refunds import refund, reverse
    from billing.sales import sell
    from models.db import Database

    db = Database(url)
    actor = auth.login(db, f"cas{worker}", "pass-123", f"W{worker}")
    rnd = random.Random(worker)
    methods = ["cash", "card", "wechat", "alipay"]
    receipts: list[str] = []
    try:
        for i in range(rounds):
            acc = rnd.choice(accounts)
            r = sell(db, actor, acc, Decimal(rnd.randint(100, 5000)).scaleb(-2), method=methods[i % 4],
                     reference=f"w{worker}-{i}")
            receipts.append(r.receipt)
            if i % 4 == 1:
                receipts.append(reverse(db, actor, r.receipt).receipt)
            elif i % 4 == 2:
                receipts.append(refund(db, actor, acc, Decimal("0.50")).receipt)
    finally:
        db.dispose()
    with open(out, "w", encoding="utf-8") as f:
        json.dump(receipts, f)
