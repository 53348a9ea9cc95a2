"""The station's own files, and where an operator's output files may go.

Every command that writes a file the operator names (receipt PDFs, report and log exports,
archive exports, backups) passes the name through output_path() first, before anything is
booked or written. It lives in models/ (not ui/cli/) because it must know the station's own
files — the database of the URL, the log, backup and settings folders — which models/ owns,
and because services and the windows can use it too without importing the command line.

The rules (../shared/docs/cli.md):
* an existing file is replaced only when the operator asked for it (--force);
* never, even with --force: the station's database (and its -wal, -shm, -journal files), an
  existing file in the log, backup or settings folder, anything in the log or settings folder,
  or (except for a backup) any existing SQLite database;
* a receipt without a file name goes into the receipts folder.

Privacy (Linux/macOS): the station's files are created 0600 and its folders 0700 (private_file,
private_dir) — the database holds scrypt hashes and customers' ID numbers. On Windows the
per-user data folders (%LOCALAPPDATA%) already carry an ACL for the user, SYSTEM and
Administrators only; chmod there only toggles the read-only flag, so nothing more is done —
an installer that puts data elsewhere must set an equivalent ACL (icacls /inheritance:r).
"""
from __future__ import annotations

import os
from pathlib import Path

from models.errors import Conflict, InvalidInput

# the folders and private-file helpers live at the bottom (models/station_paths.py), re-exported
# here for the callers that check output paths
from models.station_paths import (  # noqa: F401
    APP_NAME,
    SQLITE_MAGIC,
    SQLITE_SIDE_FILES,
    create_private,
    data_dir,
    log_dir,
    private_dir,
    private_file,
    receipt_dir,
    sqlite_file,
)
from resources.i18n import _


def _protected_folders() -> list[tuple[Path, bool]]:
    """(folder, new files allowed) of the station's own folders."""
    from models.backup import backup_folder
    from models.station_paths import config_dir

    return [(log_dir(), False), (config_dir(), False), (backup_folder(), True)]


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


def _same(a: Path, b: Path) -> bool:
    if _real(a) == _real(b):
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)     # hard links
    except OSError:
        return False


def _inside(path: Path, folder: Path) -> bool:
    try:
        _real(path).relative_to(_real(folder))
        return True
    except ValueError:
        return False


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


def _own_file(path: Path, url: str | None) -> bool:
    db = sqlite_file(url)
    if db is not None:
        for side in SQLITE_SIDE_FILES:
            if _same(path, Path(str(db) + side)):
                return True
    return False


def check_target(path: Path, *, url: str | None, force: bool, backup: bool = False) -> Path:
    """Refuse a file the operator may not write (see the module docstring); the absolute path."""
    target = Path(path).expanduser().absolute()
    shown = str(target)
    if _own_file(target, url):
        raise Conflict(_("{path} is the station's database; choose another file name").format(path=shown))
    for folder, new_ok in _protected_folders():
        if _inside(target, folder) and (target.exists() or not new_ok):
            raise Conflict(_("{path} is in the station's own folder {folder}; choose another file name")
                           .format(path=shown, folder=folder))
    if target.is_dir():
        raise InvalidInput(_("{path} is a folder; name the file").format(path=shown))
    if not target.parent.is_dir():
        raise InvalidInput(_("The folder {folder} does not exist").format(folder=target.parent))
    if target.exists() or target.is_symlink():
        if _is_sqlite(target) and not backup:
            raise Conflict(_("{path} is a database; it is never replaced by an export or a receipt")
                           .format(path=shown))
        if not force:
            raise Conflict(_("{path} already exists; give --force to replace it").format(path=shown))
    return target


def output_path(path: str | os.PathLike[str] | None, *, url: str | None, force: bool,
                backup: bool = False) -> Path:
    """The checked absolute path of an output file the operator named."""
    if path is None or not str(path).strip():
        raise InvalidInput(_("Name the output file"))
    return check_target(Path(path), url=url, force=force, backup=backup)


def output_folder(path: str | os.PathLike[str], names: list[str], *, url: str | None, force: bool) -> Path:
    """A folder the operator named for several files (created when missing): each file is checked."""
    folder = Path(path).expanduser().absolute()
    if folder.exists() and not folder.is_dir():
        raise InvalidInput(_("{path} is not a folder").format(path=folder))
    if not folder.parent.is_dir():
        raise InvalidInput(_("The folder {folder} does not exist").format(folder=folder.parent))
    for folder_, new_ok in _protected_folders():
        if _inside(folder, folder_) and not new_ok:
            raise Conflict(_("{path} is in the station's own folder {folder}; choose another file name")
                           .format(path=folder, folder=folder_))
    if folder.is_dir():
        for name in names:
            check_target(folder / name, url=url, force=force)
    return folder


def receipt_target(path: str | None, number: str, *, url: str | None, force: bool,
                   copy: bool = False) -> Path:
    """Where a receipt PDF goes: the named file (checked), or <receipts>/<number>.pdf."""
    if path:
        return output_path(path, url=url, force=force)
    folder = private_dir(receipt_dir())
    stem = f"{number}-copy" if copy else number
    target, n = folder / f"{stem}.pdf", 1
    while target.exists() and not force:
        n += 1
        target = folder / f"{stem}-{n}.pdf"
    return check_target(target, url=url, force=True)
