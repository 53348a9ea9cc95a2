"""PostgreSQL connections are pinged on checkout only after lying idle in the pool
(models.db.PING_AFTER_IDLE_SECONDS): back-to-back units of work skip the round trip (issue 12), a
connection the server dropped while idle is still replaced before any work starts."""
from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from models import db as dbmod
from models.db import Database
from tests.dbs import PgSchema, require_pg


@pytest.fixture
def pg(monkeypatch):
    require_pg()
    schema = PgSchema()
    database = Database(schema.url)
    pings: list[int] = []
    real = database.writer.dialect.do_ping

    def counted(dbapi):
        pings.append(1)
        return real(dbapi)

    monkeypatch.setattr(database.writer.dialect, "do_ping", counted)
    monkeypatch.setattr(dbmod, "PING_AFTER_IDLE_SECONDS", 0.2)
    yield database, pings, schema
    database.dispose()
    schema.drop()


def _pid(database) -> int:
    with database.write() as s:
        return int(s.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())


@pytest.mark.postgres
def test_back_to_back_units_of_work_are_not_pinged(pg):
    database, pings, _schema = pg
    first = _pid(database)
    for _ in range(5):
        assert _pid(database) == first                  # the same pooled connection
    assert pings == []
    time.sleep(0.3)
    assert _pid(database) == first
    assert pings == [1]                                 # idle long enough: pinged once, still good


@pytest.mark.postgres
def test_a_connection_dropped_while_idle_is_replaced(pg):
    database, pings, schema = pg
    first = _pid(database)
    with schema.admin.begin() as other:                 # another engine ends the pooled connection's session
        other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    time.sleep(0.3)
    second = _pid(database)                              # no error: the ping found it, a new one took over
    assert second != first and pings
