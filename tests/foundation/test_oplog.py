"""The operation log's hash chain detects edited, deleted and truncated rows, and stays
intact under concurrent writers."""
from __future__ import annotations

import threading

import sqlalchemy as sa

from models import oplog
from models.audit import record
from models.rights import system_actor
from tests.tamper import drop_guards


def _append(db, n, who="root"):
    actor = system_actor("T")
    for i in range(n):
        with db.write() as s:
            record(s, actor, "test.action", f"target-{i}", {"i": i, "text": "售电 ¥12.50"})


def _verify(db):
    with db.read() as s:
        return oplog.verify(s)


def test_chain_intact(db):
    _append(db, 20)
    r = _verify(db)
    assert r.ok and r.rows == 23          # + the baseline rows of migrations 0005, 0012 and 0014 (rights)


def test_edited_row_detected(db):
    _append(db, 10)
    drop_guards(db)
    with db.writer.begin() as c:
        c.execute(sa.text("UPDATE oplog SET details = '{\"i\": 99}' WHERE seq = 4"))
    r = _verify(db)
    assert not r.ok and r.problem == "edited" and r.bad_seq == 4


def test_edited_time_detected(db):
    _append(db, 5)
    drop_guards(db)
    with db.writer.begin() as c:
        c.execute(sa.text("UPDATE oplog SET operator = 'someone' WHERE seq = 2"))
    assert _verify(db).bad_seq == 2


def test_deleted_row_detected(db):
    _append(db, 10)
    drop_guards(db)
    with db.writer.begin() as c:
        c.execute(sa.text("DELETE FROM oplog WHERE seq = 6"))
    r = _verify(db)
    assert not r.ok and r.problem == "missing" and r.bad_seq == 6


def test_deleted_last_row_detected(db):
    _append(db, 10)
    drop_guards(db)
    with db.writer.begin() as c:
        c.execute(sa.text("DELETE FROM oplog WHERE seq = 13"))      # the newest (3 migration rows first)
    r = _verify(db)
    assert not r.ok and r.problem == "truncated"


def test_rebuilt_row_with_renumbering_detected(db):
    _append(db, 6)
    drop_guards(db)
    with db.writer.begin() as c:
        c.execute(sa.text("DELETE FROM oplog WHERE seq = 3"))
        c.execute(sa.text("UPDATE oplog SET seq = seq - 1 WHERE seq > 3"))
    assert not _verify(db).ok


def test_concurrent_writers_keep_the_chain(db):
    errors: list[BaseException] = []

    def worker():
        try:
            _append(db, 25)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=worker, name=f"w{i}") for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    r = _verify(db)
    assert r.ok and r.rows == 103


def test_search_filters(db):
    _append(db, 5)
    with db.read() as s:
        assert len(list(oplog.search(s, action="test.*"))) == 5
        assert [e.target for e in oplog.search(s, text="target-3")] == ["target-3"]
        assert len(list(oplog.search(s, operator="nobody"))) == 0
