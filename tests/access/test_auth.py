"""Login, lockout after five failures, password hashing, first operator."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from access import login as auth
from access import operators as ops
from access.passwords import check_password, hash_password
from models import oplog
from models.base import utcnow
from models.errors import AuthenticationFailed, PermissionDenied
from models.operators import Operator


def test_hash_is_salted_and_slow_scrypt():
    a, b = hash_password("secret-1"), hash_password("secret-1")
    assert a != b and a.startswith("scrypt$16384$8$1$")
    assert check_password("secret-1", a) and not check_password("secret-2", a)
    assert not check_password("x", "garbage")


def test_first_operator_only_once(db):
    ops.create_first_operator(db, "root", "secret-1", "T")
    with pytest.raises(PermissionDenied):
        ops.create_first_operator(db, "root2", "secret-1", "T")


def test_login_logs(db, superadmin):
    with db.read() as s:
        actions = [e.action for e in oplog.search(s, newest_first=False)]
    assert actions[-1] == "login"
    auth.logout(db, superadmin)
    with db.read() as s:
        assert next(oplog.search(s, limit=1)).action == "logout"


def test_wrong_name_and_password_same_message(db, superadmin):
    with pytest.raises(AuthenticationFailed) as e1:
        auth.login(db, "nobody", "x", "T")
    with pytest.raises(AuthenticationFailed) as e2:
        auth.login(db, "root", "wrong", "T")
    assert str(e1.value) == str(e2.value)


def test_lockout_after_five_failures(db, superadmin):
    ops.add_operator(db, superadmin, "cas", "pass-123", "cashier")
    for _ in range(4):
        with pytest.raises(AuthenticationFailed, match="Wrong operator name or password"):
            auth.login(db, "cas", "bad", "T")
    with pytest.raises(AuthenticationFailed, match="locked for 15 minutes"):
        auth.login(db, "cas", "bad", "T")
    with pytest.raises(AuthenticationFailed, match="locked"):
        auth.login(db, "cas", "pass-123", "T")       # even the right password
    with db.read() as s:
        failed = [e for e in oplog.search(s, action="login.failed", operator="cas")]
    assert len(failed) == 6
    # the lock expires
    with db.write() as s:
        op = s.execute(sa.select(Operator).where(Operator.name == "cas")).scalar_one()
        op.locked_until = utcnow() - timedelta(seconds=1)
    assert auth.login(db, "cas", "pass-123", "T").name == "cas"


def test_admin_unlocks(db, superadmin):
    ops.add_operator(db, superadmin, "cas", "pass-123", "cashier")
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            auth.login(db, "cas", "bad", "T")
    assert [o for o in ops.list_operators(db) if o.name == "cas"][0].locked
    ops.update_operator(db, superadmin, "cas", unlock=True)
    assert auth.login(db, "cas", "pass-123", "T").role == "cashier"


def test_disabled_operator_cannot_log_in(db, superadmin):
    ops.add_operator(db, superadmin, "cas", "pass-123", "cashier")
    ops.update_operator(db, superadmin, "cas", active=False)
    with pytest.raises(AuthenticationFailed):
        auth.login(db, "cas", "pass-123", "T")


def test_success_resets_failure_count(db, superadmin):
    ops.add_operator(db, superadmin, "cas", "pass-123", "cashier")
    for _ in range(4):
        with pytest.raises(AuthenticationFailed):
            auth.login(db, "cas", "bad", "T")
    auth.login(db, "cas", "pass-123", "T")
    for _ in range(4):
        with pytest.raises(AuthenticationFailed, match="Wrong operator"):
            auth.login(db, "cas", "bad", "T")
