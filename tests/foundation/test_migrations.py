"""Schema: migrations up on SQLite and PostgreSQL, models match migrations, T-SQL compiles,
a newer schema is refused, SQLite runs with WAL / synchronous=FULL / foreign keys."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import models.all_tables  # noqa: F401
from models import migrate
from models.base import Base
from models.db import Database
from models.errors import DatabaseError


def test_upgrade_creates_schema_and_is_idempotent(db_url):
    db = Database(db_url)
    try:
        before, after = migrate.upgrade(db)
        assert before is None and after == migrate.head_revision()
        assert {"operators", "roles", "oplog", "counters"} <= set(migrate.table_names(db))
        assert migrate.upgrade(db) == (after, after)
        assert migrate.check_schema(db) == after
    finally:
        db.dispose()


def test_models_match_migrations(db):
    with db.writer.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_newer_schema_is_refused(db):
    with db.writer.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = 'ffff9999'"))
    with pytest.raises(DatabaseError, match="newer MeterStation"):
        Database.open(db.url)
    with pytest.raises(DatabaseError, match="newer MeterStation"):
        migrate.upgrade(db)


def test_empty_database_is_refused_until_upgraded(db_url):
    with pytest.raises(DatabaseError, match="db upgrade"):
        Database.open(db_url)


def test_sqlite_pragmas(tmp_path):
    db = Database.open(f"sqlite:///{tmp_path / 's.db'}", upgrade=True)
    try:
        with db.writer.connect() as c:
            assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert c.exec_driver_sql("PRAGMA synchronous").scalar() == 2   # FULL
            assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    finally:
        db.dispose()


def test_missing_folder_gives_clear_error(tmp_path):
    with pytest.raises(DatabaseError, match="does not exist"):
        Database(f"sqlite:///{tmp_path / 'nope' / 'x.db'}")


def test_tsql_compiles_with_nvarchar_for_chinese_text():
    sql = migrate.offline_sql("mssql+pyodbc://user:pw@server/db?driver=ODBC+Driver+18+for+SQL+Server")
    assert "CREATE TABLE operators" in sql and "GO" in sql
    assert "name NVARCHAR(40) NOT NULL" in sql           # operator names may be Chinese
    assert "details NVARCHAR(max) NOT NULL" in sql        # log details hold Chinese text
    assert "target NVARCHAR(200)" in sql
    assert "DATETIME2(6)" in sql                          # microseconds kept for the log hash
    assert " TEXT" not in sql and "NTEXT" not in sql
