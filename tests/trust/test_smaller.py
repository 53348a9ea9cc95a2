"""Problem 13: the smaller holes — each one clear line (exit 1, no traceback, nothing changed)
instead of an accepted bad value or "internal error"."""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import pytest
import sqlalchemy as sa

from billing.sales import sell
from models import oplog, settings
from models.errors import InvalidInput
from models.ledger import LedgerEntry
from tests.billing import factories as f
from tests.trust.conftest import ROOT, Cli, one_error

ADMIN = ("root", "secret-1")


@pytest.mark.parametrize("value", ["-1", "abc", "0", "NaN", "1.005", "Infinity"])
def test_money_limit_must_be_positive(cli, db, root, value):
    assert "not a valid value for money.max_amount" in one_error(
        cli("settings", "set", "money.max_amount", value, who=ADMIN))
    assert settings.get(db, "money.max_amount") == "100000.00"


def test_times_well_formed(db, root):
    for key in ("backup.at", "automation.frozen_daily_at"):
        for bad in ("24:00", "7:5", "ab:cd", "12:60", "1200"):
            with pytest.raises(InvalidInput):
                settings.coerce(key, bad)
    settings.put(db, root, "money.max_amount", "500.50")
    assert settings.get(db, "money.max_amount") == "500.50"


def test_stored_bad_limit_does_not_block_sales(db, root, cashier):
    from models.base import utcnow
    from models.settings_store import SettingRow

    a = f.account(db, root)
    with db.write() as s:       # a value stored before settings were checked
        s.add(SettingRow(key="money.max_amount", value='"-1"', updated_at=utcnow(), updated_by="old"))
    assert sell(db, cashier, a.number, D("10"), method="cash").balance == D("10.00")


def test_reference_too_long_or_multiline_refused(cli, db, root):
    a = f.account(db, root)
    assert "at most 100 characters" in one_error(cli("sell", a.number, "10", "--method", "card",
                                                     "--reference", "9" * 101))
    assert "line breaks" in one_error(cli("sell", a.number, "10", "--method", "card", "--reference", "a\nb"))
    r = cli("sell", a.number, "10", "--method", "card", "--reference", "9" * 100)
    assert r.returncode == 0, r.stderr
    with db.read() as s:
        assert s.execute(sa.select(LedgerEntry.reference)).scalars().all() == ["9" * 100]


@pytest.mark.parametrize("name", ["a\tb", "a\nb", "x\rY", "z\x1b[2J"])
def test_names_without_tabs_or_newlines(cli, db, name):
    assert "tabs, line breaks" in one_error(cli("customer", "add", name, who=ADMIN))
    assert "tabs, line breaks" in one_error(cli("building", "add", name, who=ADMIN))
    assert "tabs, line breaks" in one_error(cli("link", "add", name, "tcp://127.0.0.1:1", who=ADMIN))


def test_csv_cell_over_the_field_limit(cli, tmp_path):
    big = tmp_path / "meters.csv"
    big.write_text("表号,地址\nM9," + "1" * (200 * 1024) + "\n", encoding="utf-8")
    assert "not a readable CSV file" in one_error(cli("meter", "import", str(big), who=ADMIN))


def test_long_value_on_any_database_is_a_clear_line(cli, db):
    r = cli("operator", "add", "x" * 41, "--role", "cashier", stdin="pass-1234\n", who=ADMIN)
    one_error(r)


def test_broken_pipe_is_one_line(cli, db):
    with db.write() as s:
        for i in range(3000):
            oplog.append(s, operator="bulk", station="T", action="test.bulk", target=f"row {i}" + "x" * 60)
    env = dict(cli.env, METERSTATION_OPERATOR="root", METERSTATION_PASSWORD="secret-1")
    p = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--lang", "en", "--db", cli.url, "log", "show",
                          "--limit", "3000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    p.stdout.readline()
    p.stdout.close()                                        # what `| head -1` does
    err = p.stderr.read().decode()
    p.stderr.close()
    assert p.wait(60) == 1
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1 and "broken pipe" in lines[0] and "internal error" not in err, err


def _sqlite_only(db):
    if db.dialect != "sqlite":
        pytest.skip("a database file")
    return db.url.removeprefix("sqlite:///")


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty-header"])
def test_damaged_database_file(db, root, tmp_path, damage):
    path = _sqlite_only(db)
    a = f.account(db, root).number
    db.dispose()
    bad = tmp_path / "bad" / "station.db"
    bad.parent.mkdir()
    data = Path(path).read_bytes() if damage != "garbage" else os.urandom(200_000)
    bad.write_bytes(data[:5000] if damage == "truncated" else data if damage == "garbage"
                    else b"\0" * 100 + data[100:])
    c = Cli(f"sqlite:///{bad}", tmp_path)
    assert "damaged or is not a station database" in one_error(c("account", "show", a, who=None))


def _read_only(path: str):
    """Make a file read-only even for root (immutable), or by mode for anyone else."""
    if os.geteuid() != 0:
        os.chmod(path, 0o444)
        return lambda: os.chmod(path, 0o600)
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", path]).returncode != 0:
        pytest.skip("cannot make a file read-only for root here (chattr)")
    return lambda: subprocess.run(["chattr", "-i", path], check=True)


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_read_only_database_still_reads(db, root, tmp_path, journal):
    path = _sqlite_only(db)
    a = f.account(db, root).number
    sell(db, root, a, D("12"), method="cash")
    db.dispose()
    ro = tmp_path / "ro" / "station.db"
    ro.parent.mkdir()
    src, dst = sqlite3.connect(path), sqlite3.connect(ro)
    src.backup(dst)
    dst.execute(f"PRAGMA journal_mode={journal}")
    src.close()
    dst.close()
    undo = _read_only(str(ro))
    try:
        c = Cli(f"sqlite:///{ro}", tmp_path)
        r = c("account", "show", a, "--json", who=ADMIN)          # a read-only file: logged in without a login row
        assert r.returncode == 0, r.stderr
        assert '"balance": "12.00"' in r.stdout
        assert "cannot be opened for writing" in one_error(c("sell", a, "1", "--method", "cash", who=ADMIN))
    finally:
        undo()
