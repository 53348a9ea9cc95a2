"""Issue 11 items 6 and 10 for backups: a backup is signed with the station key and carries the
chain head; restore refuses a forged or edited backup, a backup of a tampered log, and never
lets a receipt number be printed twice."""
from __future__ import annotations

import json
import shutil
import sqlite3
from decimal import Decimal

import pytest
import sqlalchemy as sa

from access import login as auth
from access import operators as operator_service
from billing.sales import sell
from models import backup, backup_sign, oplog
from models.db import Database
from models.errors import InvalidInput
from tests.billing import factories
from tests.tamper import drop_guards_sqlite


@pytest.fixture
def station(tmp_path):
    db = Database.open(f"sqlite:///{tmp_path / 'station.db'}", upgrade=True)
    operator_service.create_first_operator(db, "root", "secret-1", "TEST")
    yield db, auth.login(db, "root", "secret-1", "TEST")
    db.dispose()


def test_backup_carries_the_chain_head_as_a_signed_anchor(station, tmp_path):
    db, root = station
    acc = factories.account(db, root).number
    sell(db, root, acc, Decimal("10"), method="cash")
    with db.read() as s:
        head = oplog.head_anchor(s)
    path = backup.backup(db, root, tmp_path / "b.db")
    sig = json.loads(backup_sign.sig_path(path).read_text())
    assert sig["oplog"] == {"seq": head.seq, "hash": head.hash}
    assert backup_sign.check(path) == head
    assert backup_sign.sig_path(path).stat().st_mode & 0o077 == 0
    with db.read() as s:                                  # the live log still reaches the anchor
        assert oplog.verify(s, anchor=backup_sign.check(path)).ok


def test_a_database_of_ones_own_called_a_backup_is_refused(station, tmp_path):
    """The forger writes a database with a fake purchase and an unkeyed chain, marks it as a
    backup, and writes a signature file of their own: refused."""
    db, root = station
    acc = factories.account(db, root).number
    sell(db, root, acc, Decimal("10"), method="cash")
    good = backup.backup(db, root, tmp_path / "good.db")
    forged = tmp_path / "forged.db"
    shutil.copyfile(good, forged)
    c = sqlite3.connect(forged)
    drop_guards_sqlite(c)
    c.execute("UPDATE ledger_entries SET amount_fen = 500000, balance_after_fen = 500000")
    c.execute("UPDATE accounts SET balance_fen = 500000")
    c.commit()
    c.close()
    body = json.loads(backup_sign.sig_path(good).read_text())
    body["hmac"] = __import__("hashlib").sha256(forged.read_bytes()).hexdigest()   # no key: a guess
    backup_sign.sig_path(forged).write_text(json.dumps(body))
    with pytest.raises(InvalidInput, match="signature"):
        backup.restore(db.url, root, forged)
    backup_sign.sig_path(forged).write_text("{not json")
    with pytest.raises(InvalidInput, match="damaged"):
        backup.restore(db.url, root, forged)


def test_an_honest_backup_of_a_tampered_log_is_refused(station, tmp_path):
    db, root = station
    acc = factories.account(db, root).number
    sell(db, root, acc, Decimal("10"), method="cash")
    path = db.url.removeprefix("sqlite:///")
    c = sqlite3.connect(path)
    drop_guards_sqlite(c)
    c.execute("UPDATE operators SET role_id = (SELECT id FROM roles WHERE name = 'cashier')")
    c.commit()
    c.close()
    b = backup.backup(db, root, tmp_path / "b.db")        # signed: but the chain inside does not hold
    with pytest.raises(InvalidInput, match="operation log"):
        backup.restore(db.url, root, b)


def test_restore_continues_receipt_numbers_past_every_number_issued(station, tmp_path):
    db, root = station
    acc = factories.account(db, root).number
    issued = [sell(db, root, acc, Decimal("10"), method="cash").receipt for _ in range(3)]
    path = backup.backup(db, root, tmp_path / "b.db")
    issued += [sell(db, root, acc, Decimal("5"), method="cash").receipt for _ in range(4)]
    url = db.url
    backup.restore(db, root, path)
    again = Database.open(url)
    try:
        root2 = auth.login(again, "root", "secret-1", "TEST")
        after = [sell(again, root2, acc, Decimal("1"), method="cash").receipt for _ in range(2)]
        assert not set(after) & set(issued), (issued, after)
        assert int(after[0]) == int(issued[-1]) + 1
        with again.read() as s:
            assert oplog.verify(s).ok
            restore_row = s.execute(sa.select(oplog.OpLogEntry.details)
                                    .where(oplog.OpLogEntry.action == "restore")).scalar_one()
        assert json.loads(restore_row)["receipts_from"] == int(issued[-1]) + 1
    finally:
        again.dispose()
