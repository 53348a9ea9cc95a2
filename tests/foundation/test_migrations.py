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


def test_ledger_entries_cannot_be_edited_or_deleted(db):
    """Triggers back the rule that entries are never edited or deleted."""
    from models.accounts import Account
    from models.archive import Customer
    from models.ledger import LedgerEntry

    with db.write() as s:
        c = Customer(name="张三")
        s.add(c)
        s.flush()
        a = Account(number="A1", customer_id=c.id)
        s.add(a)
        s.flush()
        s.add(LedgerEntry(account_id=a.id, kind="purchase", amount_fen=1000, balance_after_fen=1000,
                          operator="root"))
    for sql in ("UPDATE ledger_entries SET amount_fen = 1", "DELETE FROM ledger_entries"):
        with pytest.raises(Exception, match="never"):
            with db.writer.begin() as c:
                c.execute(sa.text(sql))
    with db.read() as s:
        assert s.execute(sa.select(LedgerEntry.amount_fen)).scalar_one() == 1000


def test_one_active_binding_per_meter(db):
    from models.accounts import Account, AccountMeter
    from models.archive import Customer, Meter

    with db.write() as s:
        c = Customer(name="李四")
        m = Meter(number="M1", protocol="dlt645-2007", address="000000000001")
        s.add_all([c, m])
        s.flush()
        a1, a2 = Account(number="A1", customer_id=c.id), Account(number="A2", customer_id=c.id)
        s.add_all([a1, a2])
        s.flush()
        s.add(AccountMeter(account_id=a1.id, meter_id=m.id, opening_milli=0))
    with pytest.raises(sa.exc.IntegrityError):
        with db.write() as s:
            s.add(AccountMeter(account_id=a2.id, meter_id=m.id, opening_milli=0))
