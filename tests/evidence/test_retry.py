"""@retrying runs a unit of work again after a real PostgreSQL deadlock: two transactions lock
two accounts in opposite orders (what the one lock order forbids); the server aborts one, the
helper runs it again, and both callers succeed without seeing an error."""
from __future__ import annotations

import logging
import threading

import pytest
import sqlalchemy as sa

from models.accounts import Account
from models.db import retrying
from tests.billing import factories as f


def test_a_real_deadlock_is_retried_and_never_reaches_the_caller(db, superadmin, caplog):
    if db.dialect != "postgresql":
        pytest.skip("SQLite writers are serialised by BEGIN IMMEDIATE: no deadlock to make")
    caplog.set_level(logging.WARNING, logger="models.db")
    a, b = (f.account(db, superadmin).number for _i in range(2))
    with db.read() as s:
        ids = dict(s.execute(sa.select(Account.number, Account.id)).all())
    barrier = threading.Barrier(2, timeout=30)
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
