"""Wrong passwords against a database that cannot be written (a read-only SQLite file, a server
refusing writes) count towards the lockout: the stored counter cannot be raised, so this process
counts them (access/login_memory.py) with the stored rule's limit and lock time. Before, the
failure was never counted: `login` raised ReadOnlyDatabase and `login_to_read` (what the CLI's
read commands fall back to) answered every guess, without end."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from access import login as auth
from access import login_memory
from models import settings
from models.base import utcnow
from models.db import Database
from models.errors import AuthenticationFailed, ReadOnlyDatabase
from models.operators import Operator


@pytest.fixture(autouse=True)
def _fresh_counts():
    login_memory.forget()
    yield
    login_memory.forget()


def _refusing_writes(db: Database) -> Database:
    """The same database opened so that it refuses every write: SQLite's PRAGMA query_only,
    PostgreSQL's read-only session (what a read-only file or a read-only server does)."""
    ro = Database(db.url)

    def refuse(dbapi_conn, _record) -> None:
        cur = dbapi_conn.cursor()
        if ro.dialect == "sqlite":
            cur.execute("PRAGMA query_only=ON")
        else:
            cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            dbapi_conn.commit()
        cur.close()

    for engine in {ro.writer, ro.reader}:
        event.listen(engine, "connect", refuse)
    return ro


@pytest.fixture
def ro(db, root, cashier):
    settings.put(db, root, "security.lock_after", 3)
    database = _refusing_writes(db)
    with pytest.raises(ReadOnlyDatabase):            # it really refuses writes
        with database.write() as s:
            s.execute(sa.update(Operator).values(failed_logins=Operator.failed_logins + 1))
    yield database
    database.dispose()


def _stored(db, name="cas"):
    with db.read() as s:
        op = s.execute(sa.select(Operator).where(Operator.name == name)).scalar_one()
        return op.failed_logins, op.locked_until


def test_the_nth_wrong_password_locks_out(db, ro):
    for attempt in (lambda: auth.login(ro, "cas", "wrong", "T"), lambda: auth.login_to_read(ro, "cas", "wrong", "T")):
        with pytest.raises(AuthenticationFailed, match="counted in this program"):
            attempt()
    with pytest.raises(AuthenticationFailed, match="now locked for 15 minutes"):
        auth.login_to_read(ro, "cas", "wrong", "T")
    for attempt in (lambda: auth.login(ro, "cas", "pass-123", "T"),
                    lambda: auth.login_to_read(ro, "cas", "pass-123", "T")):
        with pytest.raises(AuthenticationFailed, match="is locked after 3 failed logins"):
            attempt()                                  # the right password too, as the stored rule
    assert _stored(db) == (0, None)                    # nothing could be written
    assert auth.login_to_read(ro, "root", "secret-1", "T").name == "root"     # another operator reads on


def test_a_wrong_name_says_the_same(db, ro):
    for name in ("nobody", "cas"):
        with pytest.raises(AuthenticationFailed) as refused:
            auth.login(ro, name, "wrong", "T")
        assert str(refused.value).startswith("Wrong operator name or password (the database cannot be written")


def test_the_count_starts_from_the_stored_one(db, ro):
    with pytest.raises(AuthenticationFailed):
        auth.login(db, "cas", "wrong", "T")                 # stored while the database was writable
    with pytest.raises(AuthenticationFailed):
        auth.login(db, "cas", "wrong", "T")
    assert _stored(db)[0] == 2
    with pytest.raises(AuthenticationFailed, match="now locked"):
        auth.login_to_read(ro, "cas", "wrong", "T")


def test_a_right_password_starts_the_count_again_and_the_lock_ends(db, ro, monkeypatch):
    for _i in range(2):
        with pytest.raises(AuthenticationFailed, match="counted in this program"):
            auth.login_to_read(ro, "cas", "wrong", "T")
    with pytest.raises(ReadOnlyDatabase):                     # right: `login` says it cannot write
        auth.login(ro, "cas", "pass-123", "T")
    assert auth.login_to_read(ro, "cas", "pass-123", "T").name == "cas"
    for _i in range(2):
        with pytest.raises(AuthenticationFailed, match="counted in this program"):
            auth.login_to_read(ro, "cas", "wrong", "T")
    with pytest.raises(AuthenticationFailed, match="now locked"):
        auth.login_to_read(ro, "cas", "wrong", "T")
    later = utcnow() + timedelta(minutes=auth.LOCK_MINUTES + 1)
    monkeypatch.setattr(auth, "utcnow", lambda: later)
    assert auth.login_to_read(ro, "cas", "pass-123", "T").name == "cas"
    for _i in range(2):                                       # a fresh count after the lock
        with pytest.raises(AuthenticationFailed, match="counted in this program"):
            auth.login_to_read(ro, "cas", "wrong", "T")
