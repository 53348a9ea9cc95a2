"""`meterstation log verify [--anchor SEQ:HASH]`, `log head` and `restore` as scripts run them
(real subprocesses) against forgeries made with direct write access to the database file."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from tests.tamper import drop_guards_sqlite

ROOT = Path(__file__).resolve().parents[2]
AUTH = {"METERSTATION_OPERATOR": "root", "METERSTATION_PASSWORD": "secret-1"}


@pytest.fixture
def station(tmp_path, monkeypatch):
    """A station with sales made through the services; the CLI shares its config (its key)."""
    from access import login as auth
    from access import operators as operator_service
    from billing.sales import sell
    from models import backup
    from models.db import Database
    from tests.billing import factories as f

    monkeypatch.setenv("METERSTATION_CONFIG_DIR", str(tmp_path / "cfg"))
    url = f"sqlite:///{tmp_path / 'st.db'}"
    db = Database.open(url, upgrade=True)
    operator_service.create_first_operator(db, "root", "secret-1", "TEST")
    root = auth.login(db, "root", "secret-1", "TEST")
    operator_service.add_operator(db, root, "cas", "pass-123", "cashier")
    acc = f.account(db, root).number
    for i in range(3):
        sell(db, root, acc, Decimal("10") + i, method="cash")
    b = backup.backup(db, root, tmp_path / "b.db")
    sell(db, root, acc, Decimal("1"), method="cash")
    db.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("METERSTATION_")}
    env.update(METERSTATION_CONFIG_DIR=str(tmp_path / "cfg"), METERSTATION_TEST_MODE="1", HOME=str(tmp_path))

    def run(*args, extra=None):
        return subprocess.run([sys.executable, str(ROOT / "app.py"), "--lang", "en", "--db", url, *args],
                              capture_output=True, text=True, env=dict(env, **(extra or {})), cwd=tmp_path,
                              timeout=120)
    return run, tmp_path / "st.db", b


def _sql(path, *statements):
    c = sqlite3.connect(path)
    drop_guards_sqlite(c)
    for sql in statements:
        c.execute(sql)
    c.commit()
    c.close()


def _line(r) -> str:
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    return lines[0]


def test_honest_log_verifies_and_reaches_the_backups_anchor(station):
    run, _path, b = station
    assert run("log", "verify").returncode == 0
    anchor = json.loads(Path(f"{b}.sig").read_text())["oplog"]
    r = run("log", "verify", "--anchor", f"{anchor['seq']}:{anchor['hash']}")
    assert r.returncode == 0, r.stderr
    head = run("log", "head", extra=AUTH).stdout.strip()
    assert run("log", "verify", "--anchor", head).returncode == 0
    r = run("log", "verify", "--anchor", "12:nothex")
    assert r.returncode == 1 and "SEQ:HASH" in _line(r)


def test_cashier_promoted_by_a_direct_update_fails_verify(station):
    run, path, _b = station
    _sql(path, "UPDATE operators SET role_id = (SELECT id FROM roles WHERE name = 'super-admin') "
               "WHERE name = 'cas'")
    r = run("log", "verify")
    assert r.returncode == 1 and "rights differ" in _line(r)


def test_fake_purchase_fails_verify(station):
    run, path, _b = station
    _sql(path, "INSERT INTO ledger_entries (account_id, kind, amount_fen, subsidy_fen, balance_after_fen, "
               "subsidy_after_fen, at, operator, station, method, reference, note) SELECT account_id, "
               "'purchase', 500000, 0, balance_after_fen + 500000, 0, at, operator, station, 'cash', '', '' "
               "FROM ledger_entries ORDER BY id DESC LIMIT 1",
         "UPDATE accounts SET balance_fen = balance_fen + 500000")
    r = run("log", "verify", "--json")
    assert r.returncode == 1 and json.loads(r.stdout)["problem"] == "ledger-unlogged"
    assert "in no log row" in _line(run("log", "verify"))


def test_deleted_newest_rows_with_the_head_reset_fail_against_the_anchor(station):
    run, path, b = station
    anchor = json.loads(Path(f"{b}.sig").read_text())["oplog"]
    keep = anchor["seq"] - 3
    _sql(path, f"DELETE FROM oplog WHERE seq > {keep}",
         f"UPDATE oplog_head SET seq = {keep}, hash = (SELECT hash FROM oplog WHERE seq = {keep})",
         f"UPDATE counters SET value = {keep} WHERE name = 'oplog'")
    r = run("log", "verify", "--anchor", f"{anchor['seq']}:{anchor['hash']}")
    assert r.returncode == 1 and "chain head" in _line(r)


def test_restore_of_an_edited_backup_is_refused(station, tmp_path):
    run, path, b = station
    _sql(b, "UPDATE accounts SET balance_fen = balance_fen + 500000")
    before = path.read_bytes()
    r = run("restore", str(b), extra=AUTH)
    assert r.returncode == 1 and "signature" in _line(r)
    assert path.read_bytes() == before
    Path(f"{b}.sig").unlink()
    r = run("restore", str(b), extra=AUTH)
    assert r.returncode == 1 and "no signature" in _line(r)
