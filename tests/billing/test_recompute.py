"""The correction of issue 14's undercharges: on a database whose charges were made by the OLD
tiered pricing (posted here exactly as the old price_interval did: the month's consumption
counted strictly before the span's start, each span rounded alone), `recompute --dry-run`
lists the difference per account, the real run posts one adjustment per account whose sum is
that list, a second run posts nothing, and the books still balance. SQLite and PostgreSQL.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal as D
from fractions import Fraction
from pathlib import Path

import pytest
import sqlalchemy as sa

from billing.ledger import lock_account, post, split_debit
from billing.lookup import binding_of_meter, find_account, find_meter
from billing.money import to_fen
from billing.pricing import account_plan
from billing.recompute import recompute
from billing.tariffs import plan_store
from billing.tariffs.api import price_consumption
from models.accounts import Account
from models.archive import Reading
from models.errors import InvalidInput, PermissionDenied
from models.ledger import LedgerEntry
from models.oplog import OpLogEntry
from models.rights import system_actor
from tests.billing import factories as f
from tests.billing.helpers import check_books, entries
from tests.billing.test_tiered_settlement import REAL, SMALL, local

ROOT = Path(__file__).resolve().parents[2]


def old_price(s, account, start, end, milli) -> int:
    """billing.pricing.price_interval before the fix (commit ed96232), verbatim in substance."""
    plan = account_plan(s, account, required=True)
    lstart, lend = start.astimezone().replace(tzinfo=None), end.astimezone().replace(tzinfo=None)
    v = plan.version_at(lstart)
    cs = datetime(lstart.year, 1, 1) if v.tiers is not None and v.tiers.basis == "yearly" \
        else datetime(lstart.year, lstart.month, 1)
    used = s.execute(sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.energy_milli), 0)).where(
        LedgerEntry.account_id == account.id, LedgerEntry.kind.in_(("consumption", "bill")),
        LedgerEntry.at >= cs.astimezone(UTC), LedgerEntry.at < start)).scalar()
    used = Fraction(int(used), 1000)
    if used and cs == lstart:
        used = Fraction(0)
    return to_fen(price_consumption(plan, lstart, lend, D(milli) / 1000, cumulative_before=used).amount)


def old_read(db, meter, at, kwh) -> None:
    """A poll reading settled by the old rule (what charge_binding did then)."""
    actor = system_actor("system")
    milli = int(D(kwh) * 1000)
    with db.write() as s:
        m = find_meter(s, meter)
        s.add(Reading(meter_id=m.id, at=at, energy_milli=milli, source="poll"))
        b = binding_of_meter(s, m.id)
        account = lock_account(s, b.account_id)
        b = binding_of_meter(s, m.id)
        if milli <= b.last_settled_milli:
            b.last_settled_at = at
            return
        fen = old_price(s, account, b.last_settled_at, at, milli - b.last_settled_milli)
        post(s, account, "consumption", -fen, subsidy_fen=-split_debit(account, fen), actor=actor,
             period_key=f"m{m.id}:{b.last_settled_milli}-{milli}", meter_id=m.id,
             energy_milli=milli - b.last_settled_milli, at=at)
        b.last_settled_milli, b.last_settled_at = milli, at


@pytest.fixture
def old_books(db, root):
    """Three accounts charged by the old engine in March and April 2027."""
    plan_store.add_version(db, root, "small", {"kind": "tiered", "tiers": {"basis": "monthly", "steps": SMALL}})
    plan_store.add_version(db, root, "real", {"kind": "tiered", "tiers": {"basis": "monthly", "steps": REAL}})
    small = f.account(db, root, tariff="small", reading="0")
    real = f.account(db, root, tariff="real", reading="0")
    flat = f.account(db, root, tariff="flat", reading="0")
    for view in (small, real, flat):
        old_read(db, view.meters[0], local(2027, 3, 1), "0")
    for i in (1, 2, 3, 4):                                     # 4.50 charged; 5.10 due
        old_read(db, small.meters[0], local(2027, 3, 1 + i, 9), str(i))
        old_read(db, flat.meters[0], local(2027, 3, 1 + i, 9), str(i))
    for d, kwh in ((5, "150"), (12, "300"), (20, "450")):      # 75 + 75 + 80; 75 + 80 + 95 due
        old_read(db, real.meters[0], local(2027, 3, d, 12), kwh)
    old_read(db, real.meters[0], local(2027, 4, 1), "460")      # 5.50 charged (300 counted); 8.00 due
    old_read(db, real.meters[0], local(2027, 4, 2), "470")      # 5.00, right
    return small.number, real.number, flat.number


def _adjustments(db) -> list[tuple[str, int]]:
    with db.read() as s:
        return s.execute(sa.select(Account.number, LedgerEntry.amount_fen).join(Account)
                         .where(LedgerEntry.kind == "adjustment").order_by(Account.number)).all()


def test_dry_run_lists_then_posts_the_same_once(db, root, old_books):
    small, real, flat = old_books
    charged = {n: sum(-e.amount_fen for e in entries(db, n) if e.kind == "consumption") for n in old_books}
    assert charged == {small: 450, real: 23000 + 550 + 500, flat: 200}
    plan = recompute(db, root, date(2027, 3, 1), date(2027, 4, 30), dry_run=True)
    listed = {r.account: (r.status, r.charged, r.recomputed, r.difference) for r in plan}
    assert listed == {small: ("would-post", D("4.50"), D("5.10"), D("0.60")),
                      real: ("would-post", D("240.50"), D("263.00"), D("22.50")),   # 230+5.50+5; 250+8+5
                      flat: ("nothing", D("2.00"), D("2.00"), D("0.00"))}
    assert _adjustments(db) == []                               # the dry run posted nothing

    done = recompute(db, root, date(2027, 3, 1), date(2027, 4, 30))
    assert [(r.account, r.status, r.difference) for r in done] == [(r.account, "posted" if r.status == "would-post"
                                                                    else r.status, r.difference) for r in plan]
    posted = _adjustments(db)
    assert posted == [(small, -60), (real, -2250)]
    assert -sum(fen for _n, fen in posted) == to_fen(sum(r.difference for r in plan))
    check_books(db)
    with db.read() as s:
        logged = s.execute(sa.select(OpLogEntry.target).where(OpLogEntry.action == "adjustment")).scalars().all()
        assert sorted(logged) == sorted([small, real])

    again = recompute(db, root, date(2027, 3, 1), date(2027, 4, 30))
    assert {r.account: r.status for r in again} == {small: "already-adjusted", real: "already-adjusted",
                                                    flat: "nothing"}
    assert _adjustments(db) == posted                          # nothing new
    with pytest.raises(InvalidInput):                          # overlaps the adjusted period in part
        recompute(db, root, date(2027, 4, 15), date(2027, 5, 31), account=real)
    wider = recompute(db, root, date(2027, 2, 1), date(2027, 5, 31), dry_run=True)
    assert {r.account: r.difference for r in wider} == {small: D("0.00"), real: D("0.00"), flat: D("0.00")}


def test_balances_after_the_correction(db, root, old_books):
    small, real, _flat = old_books
    recompute(db, root, date(2027, 3, 1), date(2027, 4, 30))
    with db.read() as s:
        assert find_account(s, small).balance_fen == -510            # 5.10, as one reading would charge
        assert find_account(s, real).balance_fen == -(25000 + 800 + 500)


def test_a_cashier_may_not_correct(db, root, cashier, old_books):
    with pytest.raises(PermissionDenied):
        recompute(db, cashier, date(2027, 3, 1), date(2027, 4, 30), dry_run=True)
    assert _adjustments(db) == []


def test_the_command_line(db, root, old_books, tmp_path):
    if db.dialect != "sqlite":
        pytest.skip("the command line is exercised once, on SQLite")
    small, real, _flat = old_books
    env = {k: v for k, v in os.environ.items() if not k.startswith("METERSTATION_")}
    env.update(METERSTATION_CONFIG_DIR=str(tmp_path / "cfg"), METERSTATION_TEST_MODE="1", HOME=str(tmp_path),
               METERSTATION_OPERATOR="root", METERSTATION_PASSWORD="secret-1")

    def cli(*args):
        return subprocess.run([sys.executable, str(ROOT / "app.py"), "--lang", "en", "--db", db.url, *args],
                              capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)

    dry = cli("recompute", "--from", "2027-03-01", "--to", "2027-04-30", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    listed = json.loads(dry.stdout)
    assert listed["dry_run"] is True and listed["total"] == "23.10"
    assert {a["account"]: a["difference"] for a in listed["accounts"] if a["status"] == "would-post"} == \
        {small: "0.60", real: "22.50"}
    run = cli("recompute", "--from", "2027-03-01", "--to", "2027-04-30")
    assert run.returncode == 0 and "23.10" in run.stdout, run.stderr
    assert -sum(fen for _n, fen in _adjustments(db)) == 2310
    twice = cli("recompute", "--from", "2027-03-01", "--to", "2027-04-30", "--json")
    assert json.loads(twice.stdout)["total"] == "0.00"
    bad = cli("recompute", "--from", "2027-04-30", "--to", "2027-03-01")
    lines = [x for x in bad.stderr.splitlines() if x.strip()]
    assert bad.returncode == 1 and len(lines) == 1 and "Traceback" not in bad.stderr
    assert cli("recompute", "--from", "March", "--to", "2027-03-01").returncode == 2
