"""Database fixtures: every database test runs on SQLite (a file, WAL) and on PostgreSQL.

PostgreSQL: the machine's server at 127.0.0.1:5432 (trust auth, user postgres, database
test); each test gets a schema of its own, dropped afterwards. When the server cannot be
reached the PostgreSQL variants are skipped — except under CI (CI=true), where they fail.
"""
from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa

PG_ADMIN_URL = os.environ.get("METERSTATION_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
_pg_ok: bool | None = None


def pg_available() -> bool:
    global _pg_ok
    if _pg_ok is None:
        try:
            eng = sa.create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
            with eng.connect() as c:
                c.execute(sa.text("select 1"))
            eng.dispose()
            _pg_ok = True
        except Exception:  # noqa: BLE001
            _pg_ok = False
    return _pg_ok


def require_pg() -> None:
    if not pg_available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL test server is not reachable at 127.0.0.1:5432 (required in CI)")
        pytest.skip("PostgreSQL test server not reachable at 127.0.0.1:5432")


class PgSchema:
    """A fresh schema on the test server; `url` points a Database at it."""

    def __init__(self) -> None:
        self.name = "t_" + uuid.uuid4().hex[:12]
        self.admin = sa.create_engine(PG_ADMIN_URL)
        with self.admin.begin() as c:
            c.execute(sa.text(f'CREATE SCHEMA "{self.name}"'))
        self.url = f"{PG_ADMIN_URL}?options=-csearch_path%3D{self.name}"

    def drop(self) -> None:
        with self.admin.begin() as c:
            c.execute(sa.text(f'DROP SCHEMA "{self.name}" CASCADE'))
        self.admin.dispose()


def make_url(kind: str, tmp_path) -> tuple[str, object]:
    """(url, cleanup) for 'sqlite' or 'postgres'."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'station.db'}", None
    require_pg()
    schema = PgSchema()
    return schema.url, schema
