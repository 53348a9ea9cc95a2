"""Database fixtures: every database test runs on SQLite (a file, WAL) and on PostgreSQL.

PostgreSQL: the machine's server at 127.0.0.1:5432 (trust auth, user postgres, database
test); each test gets a database (or a schema) of its own, dropped afterwards. Their names
carry the pytest process that made them (tests/pg_owners.py), so what a killed worker left is
dropped at the next session's start (sweep_dead). When the server cannot be reached the
PostgreSQL variants are skipped — except under CI (CI=true), where they fail.
"""
from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from tests import pg_owners

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


def sweep_dead() -> list[str]:
    """Drop the databases and schemas of dead test processes (tests/pg_owners.py); nothing when
    the server cannot be reached."""
    return pg_owners.sweep(PG_ADMIN_URL) if pg_available() else []


def require_pg() -> None:
    if not pg_available():
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL test server is not reachable at 127.0.0.1:5432 (required in CI)")
        pytest.skip("PostgreSQL test server not reachable at 127.0.0.1:5432")


class PgSchema:
    """A fresh schema on the test server; `url` points a Database at it."""

    def __init__(self) -> None:
        self.name = pg_owners.new_name("t")
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


class Templates:
    """One migrated database per backend per test process, copied for each test that asks `db`.

    Migrating a database (0001..head) costs ≈ 0.3 s on SQLite and 0.5-0.9 s on PostgreSQL; a
    copy costs a few milliseconds (a file copy; CREATE DATABASE ... TEMPLATE). The template is
    made by the real `Database.open(url, upgrade=True)` in this process, so every run still
    migrates from nothing, and each test still opens its copy with upgrade=True (the up-to-date
    path). A migration reads from outside the database only the station's config folder (the
    station key that keys the log's chain, the settings file's zone and name): a copy is used
    only when the test's config folder is empty, and the template's key is put into it.
    """

    def __init__(self, folder) -> None:
        self.folder = folder
        self.made: dict[str, str] = {}       # kind -> template's url
        self.key: bytes | None = None        # the template's station.key (file content)
        self.admin: sa.engine.Engine | None = None
        self.pg_name: str | None = None

    def _migrated(self, url: str) -> None:
        from models import station_key
        from models.db import Database

        cfg = self.folder / "cfg"
        before = os.environ.get("METERSTATION_CONFIG_DIR")
        os.environ["METERSTATION_CONFIG_DIR"] = str(cfg)
        try:
            Database.open(url, upgrade=True).dispose()
            self.key = station_key.key_path().read_bytes()
        finally:
            if before is None:
                del os.environ["METERSTATION_CONFIG_DIR"]
            else:
                os.environ["METERSTATION_CONFIG_DIR"] = before

    def _admin(self) -> sa.engine.Engine:
        if self.admin is None:
            self.admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        return self.admin

    def _template(self, kind: str) -> str:
        if kind not in self.made:
            if kind == "sqlite":
                import sqlite3

                path = self.folder / "template.db"
                self._migrated(f"sqlite:///{path}")
                con = sqlite3.connect(path)          # everything in the main file: no -wal to copy
                try:
                    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                finally:
                    con.close()
                self.made[kind] = str(path)
            else:
                name = pg_owners.new_name("tpl")
                with self._admin().connect() as c:
                    c.execute(sa.text(f'CREATE DATABASE "{name}"'))
                self.pg_name = name
                self._migrated(_pg_url(name))
                self.made[kind] = name
        return self.made[kind]

    def copy(self, kind: str, tmp_path, file_name: str = "station.db") -> tuple[str, object] | None:
        """(url, cleanup) of a migrated copy for this test (SQLite: tmp_path / file_name), or
        None when its config folder is not empty (a migration would read it: the test migrates
        its own, as before)."""
        from models.station_paths import config_dir

        cfg = config_dir()
        if cfg.exists() and any(cfg.iterdir()):
            return None
        if kind == "postgres":
            require_pg()
        template = self._template(kind)
        cfg.mkdir(parents=True, exist_ok=True)
        if os.name == "posix":
            os.chmod(cfg, 0o700)                 # as station_key.ensure() makes it
        fd = os.open(cfg / "station.key", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, self.key or b"")
        finally:
            os.close(fd)
        if kind == "sqlite":
            import shutil

            path = tmp_path / file_name
            shutil.copyfile(template, path)
            return f"sqlite:///{path}", None
        copy = PgCopy(self._admin(), template)
        return copy.url, copy

    def close(self) -> None:
        if self.admin is not None:
            if self.pg_name is not None:
                with self.admin.connect() as c:
                    c.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)'))
            self.admin.dispose()


def _pg_url(name: str) -> str:
    return sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


class PgCopy:
    """A database of its own made from the migrated template; dropped afterwards."""

    def __init__(self, admin: sa.engine.Engine, template: str) -> None:
        self.admin = admin
        self.name = pg_owners.new_name("t")
        with admin.connect() as c:
            c.execute(sa.text(f'CREATE DATABASE "{self.name}" TEMPLATE "{template}" STRATEGY WAL_LOG'))
        self.url = _pg_url(self.name)

    def drop(self) -> None:
        # FORCE: a pooled connection some engine of the test still keeps would make a plain DROP
        # DATABASE wait 5 s and fail; DROP SCHEMA (make_url's way) never cared about them. What
        # the test's client holds is unchanged (psycopg still warns of one left open at its GC).
        with self.admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE "{self.name}" WITH (FORCE)'))
