"""Problem 1: an output file only where the operator means it. Run as a cashier through the real
program: never the station's database (nor its -wal/-shm, nor through a link), never an existing
file without --force, never a database or a file in the station's log/backup/settings folders
even with --force; receipts without a name go into the receipts folder."""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa

from models.ledger import LedgerEntry
from tests.billing import factories as f
from tests.trust.conftest import one_error


def _entries(db) -> int:
    with db.read() as s:
        return s.execute(sa.select(sa.func.count()).select_from(LedgerEntry)).scalar_one()


@pytest.fixture
def acc(db, root):
    return f.account(db, root).number


def test_sell_never_overwrites_the_station_database(cli, db, acc, tmp_path):
    if db.dialect != "sqlite":
        pytest.skip("a database server has no file of the station")
    path = db.url.removeprefix("sqlite:///")
    before = Path(path).read_bytes()[:16]
    os.link(path, tmp_path / "hard.db")
    (tmp_path / "soft.pdf").symlink_to(path)
    for target in (path, path + "-wal", path + "-shm", str(tmp_path / "hard.db"), str(tmp_path / "soft.pdf")):
        for force in ((), ("--force",)):
            for cmd in (("sell", acc, "10", "--method", "cash"),) + ((("reprint", "00000001"),) if force else ()):
                err = one_error(cli(*cmd, "--receipt", target, *force))
                assert "station's database" in err or "is a database" in err or "no receipt" in err, err
    assert Path(path).read_bytes()[:16] == before == b"SQLite format 3\0"
    assert _entries(db) == 0
    assert json.loads(cli("account", "show", acc, "--json").stdout)["balance"] == "0.00"


def test_existing_file_needs_force(cli, db, acc, tmp_path):
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(b"keep me")
    assert "already exists; give --force" in one_error(cli("sell", acc, "10", "--method", "cash",
                                                           "--receipt", str(pdf)))
    assert pdf.read_bytes() == b"keep me" and _entries(db) == 0
    r = cli("sell", acc, "10", "--method", "cash", "--receipt", str(pdf), "--force", "--json")
    assert r.returncode == 0, r.stderr
    assert pdf.read_bytes().startswith(b"%PDF") and json.loads(r.stdout)["receipt_file"] == str(pdf)
    other = tmp_path / "copy.db"                       # any SQLite database: never replaced
    sqlite3.connect(other).execute("create table t(x)").connection.close()
    assert "is a database" in one_error(cli("sell", acc, "10", "--method", "cash", "--receipt", str(other),
                                            "--force"))
    assert _entries(db) == 1


def test_receipt_without_name_goes_to_the_receipts_folder(cli, db, acc, tmp_path):
    r = cli("sell", acc, "10", "--method", "cash", "--receipt", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    folder = tmp_path / "receipts"
    assert out["receipt_file"] == str(folder / f"{out['receipt']}.pdf")
    r = cli("reprint", out["receipt"])
    assert r.returncode == 0, r.stderr
    assert (folder / f"{out['receipt']}-copy.pdf").read_bytes().startswith(b"%PDF")
    assert cli("reprint", out["receipt"]).returncode == 0                 # a second copy: a new name
    assert (folder / f"{out['receipt']}-copy-2.pdf").exists()
    if os.name == "posix":
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {0o600}


def test_every_file_option_refuses_existing_and_own_files(cli, db, root, tmp_path):
    f.account(db, root)
    taken = tmp_path / "taken.xlsx"
    taken.write_bytes(b"x")
    admin = ("root", "secret-1")
    commands = [("report", "sales", "--from", "2026-01-01", "--to", "2026-12-31", "--xlsx", str(taken)),
                ("log", "export", str(taken)),
                ("archive", "export", str(taken)),
                ("meter", "export", str(taken))]
    for cmd in commands:
        assert "already exists" in one_error(cli(*cmd, who=admin)), cmd
        assert taken.read_bytes() == b"x"
    logs = tmp_path / "state" / "MeterStation" / "log"
    logs.mkdir(parents=True)
    (logs / "errors.log").write_text("old")
    cfg = tmp_path / "cfg"
    cfg.mkdir(exist_ok=True)
    (cfg / "settings.json").write_text("{}")
    for own in (logs / "errors.log", logs / "new.csv", cfg / "settings.json", cfg / "x.xlsx"):
        err = one_error(cli("log", "export", str(own), "--force", who=admin))
        assert "station's own folder" in err, err
    assert (logs / "errors.log").read_text() == "old" and (cfg / "settings.json").read_text() == "{}"
    folder = tmp_path / "arch"
    folder.mkdir()
    (folder / "meters.csv").write_text("mine")
    assert "already exists" in one_error(cli("archive", "export", str(folder), who=admin))
    assert (folder / "meters.csv").read_text() == "mine"
    assert cli("archive", "export", str(folder), "--force", who=admin).returncode == 0
    r = cli("log", "export", str(taken), "--force", who=admin)
    assert r.returncode == 0, r.stderr


def test_backup_file_rules(cli, db, tmp_path):
    if db.dialect != "sqlite":
        pytest.skip("backups are of the SQLite file")
    admin = ("root", "secret-1")
    path = db.url.removeprefix("sqlite:///")
    assert "station's database" in one_error(cli("backup", path, "--force", who=admin))
    target = tmp_path / "b1.db"
    assert cli("backup", str(target), who=admin).returncode == 0
    if os.name == "posix":
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "already exists" in one_error(cli("backup", str(target), who=admin))
    assert cli("backup", str(target), "--force", who=admin).returncode == 0
    shutil.copy(target, tmp_path / "kept.bak")
    note = tmp_path / "note.txt"
    note.write_text("mine")
    assert "not a MeterStation backup" in one_error(cli("backup", str(note), "--force", who=admin))
    assert note.read_text() == "mine"
