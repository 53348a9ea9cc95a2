"""The station's folders and its private files — the bottom of models/, importing nothing of the
station but its errors, so the database engine, the settings file and the station key can all
use it.

    config_dir()   settings.json, station.key (METERSTATION_CONFIG_DIR, else the user's config folder)
    data_dir()     station.db, receipts, backups (the user's data folder)
    log_dir()      errors.log
    private_dir(folder) / private_file(path) / create_private(path)   0700 / 0600 on Linux

Windows: the user's profile folders are private by their ACLs; chmod is not attempted there.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

APP_NAME = "MeterStation"
SQLITE_SIDE_FILES = ("", "-wal", "-shm", "-journal")
SQLITE_MAGIC = b"SQLite format 3\0"


# --- private files and folders -----------------------------------------------------------------
def private_dir(folder: Path) -> Path:
    """Create folder (and parents) if missing; the folder itself is made 0700."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    _chmod(folder, 0o700)
    return folder


def private_file(path: Path) -> Path:
    """Make an existing file readable and writable by the station's user only (0600)."""
    _chmod(Path(path), 0o600)
    return Path(path)


def create_private(path: Path) -> None:
    """Create an empty file 0600 if it does not exist (so SQLite's -wal/-shm inherit 0600)."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def _chmod(path: Path, mode: int) -> None:
    if os.name != "posix":
        return                     # Windows: ACLs of the user profile (see the module docstring)
    try:
        if stat.S_IMODE(path.stat().st_mode) != mode:
            os.chmod(path, mode)
    except OSError:
        pass                       # not ours (a share, another user's folder): leave it


# --- the station's folders ---------------------------------------------------------------------
def config_dir() -> Path:
    env = os.environ.get("METERSTATION_CONFIG_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    """station.db, receipts, bills, backups, the SMS file outbox (METERSTATION_DATA_DIR, else the
    user's data folder)."""
    env = os.environ.get("METERSTATION_DATA_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    """errors.log and the service's log (METERSTATION_LOG_DIR, else the user's log folder)."""
    env = os.environ.get("METERSTATION_LOG_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def receipt_dir() -> Path:
    """Where receipts go when no file is named (METERSTATION_RECEIPT_DIR, else <data>/receipts)."""
    env = os.environ.get("METERSTATION_RECEIPT_DIR")
    return Path(env) if env else data_dir() / "receipts"


def sqlite_file(url: str | None) -> Path | None:
    if not url or not url.startswith("sqlite:///") or url == "sqlite:///:memory:":
        return None
    return Path(url.removeprefix("sqlite:///").split("?", 1)[0])
