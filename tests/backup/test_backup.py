"""Backups taken while the station sells, and restores that refuse anything that is not a
sound station backup."""
from __future__ import annotations

import os
import shutil
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from access import login as auth
from access import operators as operator_service
from billing.sales import sell
from models import backup, settings
from models.db import Database
from models.errors import Conflict, DatabaseError, InvalidInput, PermissionDenied
from models.oplog import OpLogEntry, verify
from tests.billing import factories
from tests.billing.helpers import check_books


@pytest.fixture
def station(tmp_path):
    """(db, root) on a SQLite file, the way a one-PC station runs."""
    url = f"sqlite:///{tmp_path / 'station.db'}"
    db = Database.open(url, upgrade=True)
    operator_service.create_first_operator(db, "root", "secret-1", "TEST")
    root = auth.login(db, "root", "secret-1", "TEST")
    yield db, root
    db.dispose()


def _actions(db, action):
    with db.read() as s:
        return s.execute(sa.select(sa.func.count()).select_from(OpLogEntry)
                         .where(OpLogEntry.action == action)).scalar_one()


def _balances(db):
    from models.accounts import Account
    with db.read() as s:
        return dict(s.execute(sa.select(Account.number, Account.balance_fen)).all())


def test_backup_while_selling_restores_to_sound_books(station, tmp_path, monkeypatch):
    db, root = station
    monkeypatch.setattr(backup, "STEP_PAGES", 1)         # a page per step: sales run in between
    monkeypatch.setattr(backup, "STEP_SLEEP", 0.005)
    accounts = [factories.account(db, root).number for _ in range(3)]
    stop, errors, sold = threading.Event(), [], [0]

    def counter():
        i = 0
        while not stop.is_set():
            try:
                sell(db, root, accounts[i % 3], Decimal("1.23"), method="cash")
                sold[0] += 1
            except Exception as exc:      # noqa: BLE001 - reported below
                errors.append(exc)
                return
            i += 1

    def wait_for(n):
        deadline = time.monotonic() + 60
        while sold[0] < n and seller.is_alive() and time.monotonic() < deadline:
            stop.wait(0.01)
        assert sold[0] >= n, errors

    seller = threading.Thread(target=counter, name="test-seller")
    seller.start()
    try:
        wait_for(5)
        before = sold[0]
        path = backup.backup(db, root, tmp_path / "copy.db")
        during = sold[0] - before
        wait_for(before + 5)                 # the counter kept selling during and after the backup
    finally:
        stop.set()
        seller.join(timeout=30)
    assert errors == []
    assert during >= 1, "no sale went through while the backup ran"
    header = path.read_bytes()[:100]
    assert int.from_bytes(header[68:72], "big") == backup.STATION_BACKUP_ID
    assert not (tmp_path / "copy.db-wal").exists()
    # restore onto a new station (no database file there yet): the operator logs in on the backup
    new_url = f"sqlite:///{tmp_path / 'new' / 'station.db'}"
    (tmp_path / "new").mkdir()
    kept = backup.restore(new_url, lambda d: auth.login(d, "root", "secret-1", "NEW"), path)
    assert kept is None
    restored = Database.open(new_url)
    try:
        check_books(restored)
        with restored.read() as s:
            assert verify(s).ok
        assert _actions(restored, "restore") == 1
        sales_in_backup = _actions(restored, "sale")
        assert 5 <= sales_in_backup < sold[0]
        assert sum(_balances(restored).values()) == 123 * sales_in_backup
    finally:
        restored.dispose()
    assert _actions(db, "backup") == 1


def test_restore_replaces_the_database_and_keeps_the_old_one(station, tmp_path):
    db, root = station
    acc = factories.account(db, root).number
    sell(db, root, acc, Decimal("10"), method="cash")
    path = backup.backup(db, root, tmp_path / "b.db")
    sell(db, root, acc, Decimal("5"), method="cash")
    assert _balances(db)[acc] == 1500
    url = db.url
    when = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    kept = backup.restore(db, root, path, now=when)           # disposes db: it must let go of the file
    assert kept.name == "station.db.before-restore-20261121T080000Z"
    assert not (tmp_path / "station.db-wal").exists() or (tmp_path / "station.db-wal").stat().st_size == 0
    again = Database.open(url)
    try:
        assert _balances(again)[acc] == 1000
        check_books(again)
        with again.read() as s:
            assert verify(s).ok
        assert _actions(again, "restore") == 1
    finally:
        again.dispose()
    old = Database.open(f"sqlite:///{kept}")
    try:
        assert _balances(old)[acc] == 1500 and _actions(old, "restore") == 1
    finally:
        old.dispose()
    assert int.from_bytes((tmp_path / "station.db").read_bytes()[68:72], "big") == 0


def test_restore_refuses_files_that_are_not_backups(station, tmp_path):
    db, root = station
    random_file = tmp_path / "random.bin"
    random_file.write_bytes(os.urandom(4096))
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as c:
        c.execute("create table t(x)")
    plain_copy = tmp_path / "plain.db"                  # a station database, but not a backup
    shutil.copyfile(db.url.removeprefix("sqlite:///"), plain_copy)
    for bad in (random_file, other, plain_copy, tmp_path / "missing.db"):
        with pytest.raises(InvalidInput):
            backup.restore(db.url, root, bad)
    newer = backup.backup(db, root, tmp_path / "newer.db")
    with sqlite3.connect(newer) as c:
        c.execute("update alembic_version set version_num = '9999'")
    with pytest.raises(DatabaseError, match="newer"):
        backup.restore(db.url, root, newer)
    assert sorted(p.name for p in tmp_path.iterdir() if "before-restore" in p.name) == []


def _tamper(path, sql, drop_trigger=None):
    c = sqlite3.connect(path)
    try:
        if drop_trigger:
            for (name,) in c.execute("select name from sqlite_master where type='trigger' and tbl_name=?",
                                     (drop_trigger,)).fetchall():
                c.execute(f'drop trigger "{name}"')
        c.execute(sql)
        c.commit()
    finally:
        c.close()


def _copy(good, path):
    """A copy of a backup with its signature: only the file is then changed."""
    shutil.copyfile(good, path)
    shutil.copyfile(f"{good}.sig", f"{path}.sig")
    return path


def test_restore_refuses_a_tampered_ledger_or_log(station, tmp_path):
    db, root = station
    acc = factories.account(db, root).number
    sell(db, root, acc, Decimal("10"), method="cash")
    good = backup.backup(db, root, tmp_path / "good.db")
    ledger = _copy(good, tmp_path / "ledger.db")
    _tamper(ledger, "update ledger_entries set amount_fen = 999900", drop_trigger="ledger_entries")
    with pytest.raises(InvalidInput, match="signature"):
        backup.restore(db.url, root, ledger)
    balance = _copy(good, tmp_path / "balance.db")
    _tamper(balance, "update accounts set balance_fen = balance_fen + 100")
    with pytest.raises(InvalidInput, match="signature"):
        backup.restore(db.url, root, balance)
    log = _copy(good, tmp_path / "log.db")
    _tamper(log, "update oplog set target = 'someone else' where seq = 2", drop_trigger="oplog")
    with pytest.raises(InvalidInput, match="signature"):
        backup.restore(db.url, root, log)
    unsigned = tmp_path / "unsigned.db"
    shutil.copyfile(good, unsigned)
    with pytest.raises(InvalidInput, match="no signature"):
        backup.restore(db.url, root, unsigned)
    assert _balances(db)[acc] == 1000                   # nothing was replaced
    assert not any("before-restore" in p.name or ".restore-" in p.name for p in tmp_path.iterdir())


def test_cashier_cannot_restore_and_the_refusal_is_logged(station, tmp_path):
    db, root = station
    operator_service.add_operator(db, root, "cas", "pass-123", "cashier")
    cas = auth.login(db, "cas", "pass-123", "TEST")
    path = backup.backup(db, root, tmp_path / "b.db")
    with pytest.raises(PermissionDenied):
        backup.restore(db.url, cas, path)
    with pytest.raises(PermissionDenied):
        backup.backup(db, cas, tmp_path / "c.db")
    operator_service.add_operator(db, root, "adm", "pass-456", "admin")
    with pytest.raises(PermissionDenied):                # admin: everything but restore
        backup.restore(db.url, auth.login(db, "adm", "pass-456", "TEST"), path)
    assert _actions(db, "denied") == 3
    assert not (tmp_path / "c.db").exists()


def test_backup_never_overwrites_a_foreign_file(station, tmp_path):
    db, root = station
    precious = tmp_path / "thesis.docx"
    precious.write_text("years of work")
    with pytest.raises(InvalidInput, match="not a MeterStation backup"):
        backup.backup(db, root, precious)
    assert precious.read_text() == "years of work"
    with pytest.raises(InvalidInput):
        backup.backup(db, root, db.url.removeprefix("sqlite:///"))
    first = backup.backup(db, root, tmp_path / "b.db")
    assert backup.backup(db, root, first) == first        # an older backup may be replaced


def test_restore_refused_while_the_database_is_open_elsewhere(station, tmp_path):
    db, root = station
    path = backup.backup(db, root, tmp_path / "b.db")
    other = Database(db.url)                            # the running station
    try:
        with other.read() as s:
            s.execute(sa.text("select 1"))
        with pytest.raises(Conflict, match="still open"):
            backup.restore(db.url, root, path)
    finally:
        other.dispose()


def test_scheduled_backup_keeps_the_newest(station, tmp_path):
    db, root = station
    settings.set_local("backup.folder", str(tmp_path / "bk"))
    settings.set_local("backup.keep", 3)
    (tmp_path / "bk").mkdir()
    (tmp_path / "bk" / "mine.db").write_text("not ours")
    start = datetime(2026, 11, 1, 2, 30, tzinfo=UTC)
    made = [backup.scheduled_backup(db, start + timedelta(days=i)) for i in range(5)]
    names = sorted(p.name for p in (tmp_path / "bk").iterdir())
    assert names == sorted(["mine.db"] + [n for p in made[-3:] for n in (p.name, p.name + ".sig")])
    assert made[-1].name == "station-20261105T023000Z.db"
    assert backup.inspect_backup(made[-1])
    assert _actions(db, "backup.scheduled") == 5


def test_database_servers_are_refused(db, superadmin, tmp_path):
    if db.dialect == "sqlite":
        pytest.skip("the refusal concerns database servers")
    with pytest.raises(Conflict, match="pg_dump"):
        backup.backup(db, superadmin, tmp_path / "x.db")
    assert backup.scheduled_backup(db, datetime.now(UTC)) is None
    with pytest.raises(Conflict, match="pg_dump"):
        backup.restore(db, superadmin, tmp_path / "x.db")
