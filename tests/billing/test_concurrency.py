"""Several OS processes sell to and charge the same accounts at once (SQLite file and
PostgreSQL): afterwards every sum holds and no entry is lost or doubled."""
from __future__ import annotations

import json
import multiprocessing as mp
from decimal import Decimal as D
from itertools import pairwise

import pytest
import sqlalchemy as sa

from billing.accounts_open import MeterOpening, bind_meter
from models.ledger import LedgerEntry, Receipt
from tests.billing import factories as f
from tests.billing.concurrency_worker import work
from tests.billing.helpers import check_books

WORKERS, ROUNDS = 4, 25


@pytest.mark.slow
def test_processes_selling_and_charging_at_once(db, root, tmp_path):
    accs = [f.account(db, root, reading="100") for _i in range(3)]
    extra = f.meter(db)
    bind_meter(db, root, accs[0].number, MeterOpening(extra, D("100")))
    meters = [a.meters[0] for a in accs] + [extra]
    ctx = mp.get_context("spawn")
    outs = [tmp_path / f"w{i}.json" for i in range(WORKERS)]
    procs = [ctx.Process(target=work, args=(db.url, i, [a.number for a in accs], meters, ROUNDS, str(outs[i])))
             for i in range(WORKERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * WORKERS
    results = [json.loads(o.read_text()) for o in outs]
    sold = {key: receipt for r in results for key, receipt in r["sold"]}
    reversed_ = {x for r in results for x in r["reversed"]}
    assert len(sold) == WORKERS * ROUNDS
    with db.read() as s:
        purchases = dict(s.execute(sa.select(LedgerEntry.idempotency_key, LedgerEntry.receipt_no)
                                   .where(LedgerEntry.kind == "purchase")).all())
        assert purchases == sold                                   # none lost, none doubled
        reversals = s.execute(sa.select(LedgerEntry.reference).where(LedgerEntry.kind == "reversal")).scalars().all()
        assert sorted(reversals) == sorted(reversed_)
        charges = s.execute(sa.select(LedgerEntry.period_key).where(LedgerEntry.kind == "consumption")).scalars().all()
        assert len(charges) == len(set(charges)) == sum(r["charged"] for r in results)
        spans: dict[str, list[tuple[int, int]]] = {}
        for key in charges:                               # "m<meter>:<from>-<to>"
            meter, span = key.split(":")
            lo, hi = span.split("-")
            spans.setdefault(meter, []).append((int(lo), int(hi)))
        for chain in spans.values():                      # contiguous: no overlap, no gap
            chain.sort()
            assert all(a[1] == b[0] for a, b in pairwise(chain))
        receipts = s.execute(sa.select(sa.func.count()).select_from(Receipt)).scalar()
        assert receipts == len(sold) + len(reversed_)
    check_books(db)
