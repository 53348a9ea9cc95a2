"""Problem 12: the database (and its -wal/-shm), backups, receipts and errors.log are created
0600 and their folders 0700 on Linux, whatever the umask."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.trust.conftest import ROOT

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX modes (Windows: ACLs of the profile)")


def _mode(p) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_default_database_and_folder_private(tmp_path, loose_umask):
    env = {k: v for k, v in os.environ.items() if not k.startswith("METERSTATION_")}
    env.update(METERSTATION_CONFIG_DIR=str(tmp_path / "cfg"), HOME=str(tmp_path),
               XDG_DATA_HOME=str(tmp_path / "data"), XDG_STATE_HOME=str(tmp_path / "state"))
    r = subprocess.run([sys.executable, str(ROOT / "app.py"), "--lang", "en", "db", "upgrade"], env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    folder = tmp_path / "data" / "MeterStation"
    assert _mode(folder) == 0o700
    assert _mode(folder / "station.db") == 0o600


def test_sqlite_files_private_while_open(tmp_path, loose_umask):
    from models.db import Database

    db = Database.open(f"sqlite:///{tmp_path / 's.db'}", upgrade=True)
    try:
        with db.write() as s:
            from models import oplog

            oplog.append(s, operator="t", station="t", action="x")
        files = [p for p in tmp_path.iterdir() if p.name.startswith("s.db")]
        assert {p.name for p in files} >= {"s.db", "s.db-wal", "s.db-shm"}
        assert {_mode(p) for p in files} == {0o600}
    finally:
        db.dispose()


def test_scheduled_backup_private(db, root, tmp_path, monkeypatch, loose_umask):
    if db.dialect != "sqlite":
        pytest.skip("backups are of the SQLite file")
    from models import backup
    from models.base import utcnow

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    path = backup.scheduled_backup(db, utcnow())
    assert _mode(path.parent) == 0o700 and _mode(path) == 0o600


def test_errors_log_private(tmp_path, monkeypatch, loose_umask):
    from ui.cli import _error_log

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    path = _error_log(RuntimeError("boom"))
    assert _mode(path) == 0o600 and _mode(os.path.dirname(path)) == 0o700
    assert "boom" in Path(path).read_text(encoding="utf-8")


def test_exports_private(db, root, tmp_path, loose_umask):
    """Exports hold customers' names and phones, and the operation log: 0600 like the receipts,
    whatever the umask (the walk found them 0644)."""
    from archive.files import export_archive
    from printing.excel import Column, write_table_xlsx
    from printing.oplog_export import export_rows

    written = [tmp_path / "archive.xlsx", tmp_path / "customers.csv", tmp_path / "table.xlsx", tmp_path / "log.csv"]
    export_archive(db, root, written[0])
    export_archive(db, root, written[1], ("customers",))
    write_table_xlsx(written[2], "t", [Column("a", "a")], [{"a": "x"}])
    export_rows(written[3], [])
    assert {p.name: _mode(p) for p in written} == {p.name: 0o600 for p in written}
