"""Problem 5: the failed-login counter is atomic (16 parallel wrong passwords leave 16) and the
security.lock_after setting is obeyed, on SQLite and PostgreSQL; names over 40 characters give
the ordinary refusal, not an internal error."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from access import login as auth
from models import settings
from models.errors import AuthenticationFailed
from models.operators import Operator
from tests.trust.conftest import one_error


def _failed(db, name="cas"):
    with db.read() as s:
        op = s.execute(sa.select(Operator).where(Operator.name == name)).scalar_one()
        return op.failed_logins, op.locked_until


def test_parallel_wrong_passwords_all_count(db, root, cashier):
    settings.put(db, root, "security.lock_after", 20)
    barrier = threading.Barrier(16)
    refused = []

    def wrong():
        barrier.wait()
        try:
            auth.login(db, "cas", "wrong", "T")
        except AuthenticationFailed:
            refused.append(1)

    ts = [threading.Thread(target=wrong) for _ in range(16)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    assert len(refused) == 16
    assert _failed(db) == (16, None)
    assert auth.login(db, "cas", "pass-123", "T").name == "cas"
    assert _failed(db) == (0, None)


def test_parallel_wrong_passwords_lock_at_the_setting(db, root, cashier):
    settings.put(db, root, "security.lock_after", 3)
    barrier = threading.Barrier(8)
    messages = []

    def wrong():
        barrier.wait()
        try:
            auth.login(db, "cas", "wrong", "T")
        except AuthenticationFailed as e:
            messages.append(str(e))

    ts = [threading.Thread(target=wrong) for _ in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    assert sum("now locked" in m for m in messages) == 1          # the third failure locks
    assert sum("is locked after 3 failed logins" in m for m in messages) == 5
    with pytest.raises(AuthenticationFailed, match="locked after 3"):
        auth.login(db, "cas", "pass-123", "T")


@pytest.mark.parametrize("limit", [2, 7])
def test_lock_after_setting_obeyed(db, root, cashier, limit):
    settings.put(db, root, "security.lock_after", limit)
    for _ in range(limit - 1):
        with pytest.raises(AuthenticationFailed, match="Wrong operator name or password"):
            auth.login(db, "cas", "bad", "T")
    assert _failed(db)[0] == limit - 1
    with pytest.raises(AuthenticationFailed, match="now locked"):
        auth.login(db, "cas", "bad", "T")
    with pytest.raises(AuthenticationFailed, match=f"locked after {limit} failed"):
        auth.login(db, "cas", "pass-123", "T")


def test_cli_lockout_and_long_name(cli, db, root):
    settings.put(db, root, "security.lock_after", 2)
    assert "Wrong operator name or password" in one_error(cli("account", "close", "1", who=("cas", "x")))
    assert "now locked" in one_error(cli("account", "close", "1", who=("cas", "x")))
    assert "locked after 2" in one_error(cli("account", "close", "1", who=("cas", "pass-123")))
    long = "n" * 41
    assert "Wrong operator name or password" in one_error(cli("account", "close", "1", who=(long, "x")))
    assert "Wrong operator name or password" in one_error(cli("account", "close", "1", who=("a\tb", "x")))
