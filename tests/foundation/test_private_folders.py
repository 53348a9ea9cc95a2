"""Every folder the station writes to follows METERSTATION_DATA_DIR / METERSTATION_LOG_DIR /
METERSTATION_CONFIG_DIR, and the suite points them at the test's temporary folder: no test
writes into the user's real data (a catch-up run of the scheduled jobs once left backups in
~/.local/share/MeterStation/backups)."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path


def test_the_station_folders_are_the_tests_own(tmp_path):
    from billing.bill_print import bill_folder
    from models.backup import backup_folder
    from models.db import default_url
    from models.settings import config_dir
    from models.station_paths import data_dir, log_dir, receipt_dir

    for folder in (data_dir(), log_dir(), config_dir(), backup_folder(), receipt_dir(), bill_folder()):
        assert Path(folder).is_relative_to(tmp_path), folder
    assert default_url().startswith(f"sqlite:///{tmp_path}")


def test_the_scheduled_backup_writes_into_the_data_folder(db, superadmin, tmp_path, monkeypatch):
    from billing.automation.jobs import JobContext, run_due
    from models.station_paths import data_dir

    if db.dialect != "sqlite":
        return                                   # PostgreSQL backups are the server's tools
    now = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    ran = run_due(JobContext(db, "T", lambda: now), jobs=("backup",))
    assert [job for job, _period in ran] == ["backup"]
    written = list((data_dir() / "backups").glob("station-*.db"))
    assert written and all(p.is_relative_to(tmp_path) for p in written)
