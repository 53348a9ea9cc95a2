"""@retrying runs a unit of work again after a real PostgreSQL deadlock: two transactions lock
two accounts in opposite orders (what the one lock order forbids); the server aborts one, the
helper runs it again, and both callers succeed without seeing an error."""
from __future__ import annotations

import logging
import threading

import pytest
import sqlalchemy as sa

from models.accounts import Account
from models.db import retry_counts, retrying
from tests.billing import factories as f


def test_a_real_deadlock_is_retried_and_never_reaches_the_caller(db, superadmin, caplog):
    if db.dialect != "postgresql":
        pytest.skip("SQLite writers are serialised by BEGIN IMMEDIATE: no deadlock to make")
    caplog.set_level(logging.WARNING, logger="models.db")
    a, b = (f.account(db, superadmin).number for _i in range(2))
    with db.read() as s:
        ids = dict(s.execute(sa.select(Account.number, Account.id)).all())
    barrier = threading.Barrier(2, timeout=30)
    before = retry_counts()["retried"]
    attempts: list[str] = []
    errors: list[BaseException] = []

    @retrying
    def lock_both(name: str, first: int, second: int) -> None:
        first_try = name not in attempts
        attempts.append(name)
        with db.write() as s:
            s.execute(sa.select(Account.id).where(Account.id == first).with_for_update())
            if first_try:
                barrier.wait()                  # both hold their first account: a cycle
            s.execute(sa.select(Account.id).where(Account.id == second).with_for_update())

    def run(name, first, second):
        try:
            lock_both(name, first, second)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=run, args=("x", ids[a], ids[b]), name="x"),
               threading.Thread(target=run, args=("y", ids[b], ids[a]), name="y")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(attempts) == 3                   # one of them ran twice
    assert any("retrying" in r.getMessage() for r in caplog.records)
    after = retry_counts()["retried"]               # counted, per unit of work (the soak reports it)
    unit = lock_both.__qualname__
    assert after.get(unit, 0) - before.get(unit, 0) == 1


def test_giving_up_is_bounded_logged_and_counted(caplog):
    """A unit of work that keeps meeting conflicts runs RETRY_ATTEMPTS times, then the conflict
    reaches the caller; each retry and the giving up are counted."""
    from models.db import RETRY_ATTEMPTS, RetryableConflict

    runs = []

    @retrying
    def always_conflicts() -> None:
        runs.append(1)
        raise RetryableConflict("deadlock")

    caplog.set_level(logging.WARNING, logger="models.db")
    before = retry_counts()
    with pytest.raises(RetryableConflict):
        always_conflicts()
    after = retry_counts()
    unit = always_conflicts.__qualname__
    assert len(runs) == RETRY_ATTEMPTS
    assert after["retried"].get(unit, 0) - before["retried"].get(unit, 0) == RETRY_ATTEMPTS - 1
    assert after["gave_up"].get(unit, 0) - before["gave_up"].get(unit, 0) == 1
    assert any("gave up" in r.getMessage() for r in caplog.records)


def test_every_service_that_locks_accounts_or_counters_retries():
    """Every public service that takes an account lock (lock_account/lock_accounts) or a counter
    (next_value) in its transaction is wrapped in @retrying - found in the source, so a new one
    cannot be added without it."""
    import ast
    import importlib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    missing = []
    for path in sorted((root / "billing").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef) or node.name.startswith("_") and node.name != "_record_issue":
                continue
            args = [a.arg for a in node.args.args]
            if not args or args[0] != "db":                  # a service opens its own transaction
                continue
            calls = {n.func.id if isinstance(n.func, ast.Name) else getattr(n.func, "attr", "")
                     for n in ast.walk(node) if isinstance(n, ast.Call)}
            if not calls & {"lock_account", "lock_accounts", "next_value", "next_receipt_number", "post"}:
                continue
            decorated = {d.id if isinstance(d, ast.Name) else getattr(d, "attr", "") for d in node.decorator_list}
            if "retrying" not in decorated:
                missing.append(f"{path.relative_to(root)}:{node.name}")
    assert missing == [], missing
    module = importlib.import_module("billing.transfers")
    assert getattr(module.transfer, "__wrapped__", None) is not None
