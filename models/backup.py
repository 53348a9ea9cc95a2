"""Backups and restores of the station's SQLite database.

    backup(db, actor, "/media/usb/station-2026-11-21.db")     # needs the "backup" right
    scheduled_backup(db, now)                                  # the scheduler, daily at backup.at
    restore("sqlite:////srv/station.db", actor, "/media/usb/station-2026-11-21.db")   # "restore" right

Backup (the station keeps working): SQLite's online backup API copies the pages in steps
from a connection that holds one read transaction for the whole copy, so the copy is one
consistent snapshot and, in WAL mode, sales and readings go on writing meanwhile. The copy is
written next to the target under a temporary name, switched to a single-file journal, marked
as a station backup (PRAGMA application_id = STATION_BACKUP_ID), checked (quick_check),
fsynced and renamed into place. PostgreSQL and SQL Server databases are backed up with the
database server's own tools (pg_dump, SQL Server backups): backup() refuses them.

Restore is for the command line with the station stopped (`meterstation restore FILE`): it
replaces the database file, so no GUI or polling service may have it open — restore checks
that no other connection is left (a -wal/-shm file that stays behind) and refuses otherwise.
Before anything is replaced it refuses a file that is not a station backup (any other file,
any other SQLite database, a schema newer than this program, a damaged file), migrates an
older backup on a private copy, and checks on that copy that every account's balance and
subsidy equal the sums of its ledger entries and that the operation log's hash chain is
intact. The old database is kept as <name>.before-restore-<UTC time>, the new one is moved
into place with an atomic rename, and the restore is logged in both.
"""
from __future__ import annotations

import os
import re
import shutil
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import backup_sign, oplog, settings
from models.audit import audited, record
from models.base import rowcount
from models.base import table as base_table
from models.db import Database
from models.errors import Conflict, DatabaseError, InvalidInput
from models.rights import Actor, system_actor
from models.station_paths import private_dir, private_file
from resources.i18n import _

STATION_BACKUP_ID = 0x4D534244          # "MSBD": PRAGMA application_id of a station backup
SQLITE_MAGIC = b"SQLite format 3\x00"
STEP_PAGES = 256
STEP_SLEEP = 0.001                      # seconds between steps: writers get their turn
SCHEDULED_PATTERN = re.compile(r"^station-\d{8}T\d{6}Z\.db$")
BUSY_TIMEOUT = 10.0


# --- helpers -------------------------------------------------------------------------------------
def sqlite_path(url: str) -> Path | None:
    """The file of a sqlite:/// URL, None for any other database."""
    if not url.startswith("sqlite:///") or url in ("sqlite:///:memory:", "sqlite://"):
        return None
    return Path(url.removeprefix("sqlite:///").split("?", 1)[0])


def _refuse_server(dialect: str) -> Conflict:
    return Conflict(_("This station uses a {dialect} database server: back it up and restore it with the "
                      "server's own tools (pg_dump / pg_restore for PostgreSQL, BACKUP DATABASE for SQL "
                      "Server)").format(dialect=dialect))


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def _remove(path: Path) -> None:
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        try:
            p.unlink()
        except FileNotFoundError:
            pass
        except OSError:
            pass


def _stamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


# --- backup --------------------------------------------------------------------------------------
def _copy_online(source: Path, target: Path) -> dict[str, object]:
    """Copy the live database at `source` to `target` (must not exist) as one snapshot."""
    src = sqlite3.connect(source, timeout=BUSY_TIMEOUT, isolation_level=None)   # only reads
    try:
        src.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT * 1000)}")
        src.execute("BEGIN")                                    # one snapshot for every step
        head = src.execute("SELECT seq, hash FROM oplog_head WHERE id = 1").fetchone()
        dst = sqlite3.connect(target, isolation_level=None)
        try:
            src.backup(dst, pages=STEP_PAGES, sleep=STEP_SLEEP)
            dst.execute("PRAGMA journal_mode=DELETE")           # a single, self-contained file
            dst.execute(f"PRAGMA application_id={STATION_BACKUP_ID}")
            check = dst.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise DatabaseError(_("The backup copy failed its integrity check: {reason}").format(reason=check))
        finally:
            dst.close()
        src.execute("ROLLBACK")
    finally:
        src.close()
    return {"oplog_seq": int(head[0]) if head else 0, "oplog_hash": str(head[1]) if head else oplog.GENESIS}


def _backup_file(db: Database, target: Path) -> dict[str, object]:
    source = sqlite_path(db.url)
    if db.dialect != "sqlite":
        raise _refuse_server(db.dialect)
    if source is None:
        raise InvalidInput(_("An in-memory database cannot be backed up"))
    target = target.expanduser().absolute()
    if target.resolve() == source.resolve():
        raise InvalidInput(_("The backup file cannot be the database itself"))
    if target.is_dir():
        raise InvalidInput(_("{path} is a folder; name the backup file").format(path=target))
    if not target.parent.is_dir():
        raise InvalidInput(_("The folder {folder} does not exist").format(folder=target.parent))
    if target.exists() and not is_backup_file(target):
        raise InvalidInput(_("{path} exists and is not a MeterStation backup; choose another file name")
                           .format(path=target))
    tmp = target.with_name(f".{target.name}.partial-{os.getpid()}")
    _remove(tmp)
    try:
        info = _copy_online(source, tmp)
        private_file(tmp)                    # scrypt hashes and ID numbers: the station's user only
        _fsync_file(tmp)
        os.replace(tmp, target)
        seq = info["oplog_seq"]
        assert isinstance(seq, int)
        backup_sign.sign(target, oplog.Anchor(seq, str(info["oplog_hash"])))
        _fsync_dir(target.parent)
    except sqlite3.Error as exc:
        raise DatabaseError(_("The backup failed: {reason}").format(reason=exc)) from None
    except OSError as exc:
        raise DatabaseError(_("Cannot write the backup file {path}: {reason}")
                            .format(path=target, reason=exc.strerror or exc)) from None
    finally:
        _remove(tmp)
    info["bytes"] = target.stat().st_size
    return info


def backup(db: Database, actor: Actor, path: str | os.PathLike[str]) -> Path:
    """Back the station's SQLite database up into `path` (replaced if it exists)."""
    target = Path(path)
    with audited(db, actor, "backup", str(target)[:200]):
        actor.require("backup")              # checked (and a refusal logged) before the copy
    info = _backup_file(db, target)          # no transaction held: the station keeps writing
    with db.write() as s:
        record(s, actor, "backup", str(target.absolute())[:200], info)
    return target


def backup_folder() -> Path:
    folder = str(settings.get_local("backup.folder") or "")
    if folder:
        return Path(folder).expanduser()
    from models.station_paths import data_dir

    return data_dir() / "backups"


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` scheduled backups (station-YYYYMMDDTHHMMSSZ.db) in
    folder; other files are never touched. Returns the deleted files."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and SCHEDULED_PATTERN.match(p.name))
    doomed = files[:-keep] if keep > 0 else files
    for p in doomed:
        p.unlink(missing_ok=True)
        backup_sign.sig_path(p).unlink(missing_ok=True)
    return doomed


def scheduled_backup(db: Database, now: datetime) -> Path | None:
    """The scheduler's daily backup into the backup folder, then retention (backup.keep).
    Returns the new file, or None on a database server (backed up by its own tools)."""
    if db.dialect != "sqlite":
        return None
    station = str(settings.get_local("station.name"))
    folder = backup_folder()
    try:
        private_dir(folder)
    except OSError as exc:
        raise DatabaseError(_("Cannot create the backup folder {folder}: {reason}")
                            .format(folder=folder, reason=exc.strerror or exc)) from None
    target = folder / f"station-{_stamp(now)}.db"
    info = _backup_file(db, target)
    removed = prune(folder, int(settings.get_local("backup.keep")))
    with db.write() as s:
        record(s, system_actor(station), "backup.scheduled", str(target)[:200],
               {**info, "removed": [p.name for p in removed]})
    return target


# --- restore -------------------------------------------------------------------------------------
def is_backup_file(path: Path) -> bool:
    """True when path starts like a station backup (SQLite with our application_id)."""
    try:
        with open(path, "rb") as f:
            header = f.read(100)
    except OSError:
        return False
    return (len(header) == 100 and header.startswith(SQLITE_MAGIC)
            and int.from_bytes(header[68:72], "big") == STATION_BACKUP_ID)


def _free_name(path: Path) -> Path:
    candidate, n = path, 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}-{n}")
        n += 1
    return candidate


def _not_a_backup(path: Path) -> InvalidInput:
    return InvalidInput(_("{path} is not a MeterStation backup").format(path=path))


def inspect_backup(path: Path) -> str:
    """Check that path is a station backup this program can read; return its schema revision."""
    from models import migrate

    try:
        with open(path, "rb") as f:
            header = f.read(100)
    except FileNotFoundError:
        raise InvalidInput(_("There is no file {path}").format(path=path)) from None
    except OSError as exc:
        raise InvalidInput(_("Cannot read {path}: {reason}").format(path=path, reason=exc.strerror or exc)) from None
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        raise _not_a_backup(path)
    if int.from_bytes(header[68:72], "big") != STATION_BACKUP_ID:
        raise _not_a_backup(path)
    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        raise _not_a_backup(path) from None
    if row is None:
        raise _not_a_backup(path)
    rev = str(row[0])
    if rev not in migrate.known_revisions():
        raise DatabaseError(_("The backup {path} was written by a newer MeterStation (schema {rev}); "
                              "install the newer program to restore it").format(path=path, rev=rev))
    return rev


def check_books(db: Database, anchor: oplog.Anchor | None = None) -> None:
    """Refuse (InvalidInput) a database whose ledger or operation log does not hold together
    (the keyed chain, what it covers, and the backup's signed chain head)."""
    from models.accounts import Account
    from models.ledger import LedgerEntry

    with db.read() as s:
        sums = (sa.select(LedgerEntry.account_id.label("aid"),
                          sa.func.sum(LedgerEntry.amount_fen).label("amount"),
                          sa.func.sum(LedgerEntry.subsidy_fen).label("subsidy"))
                .group_by(LedgerEntry.account_id).subquery())
        bad = s.execute(
            sa.select(Account.number)
            .outerjoin(sums, sums.c.aid == Account.id)
            .where(sa.or_(Account.balance_fen != sa.func.coalesce(sums.c.amount, 0),
                          Account.subsidy_fen != sa.func.coalesce(sums.c.subsidy, 0)))
            .order_by(Account.id).limit(5)).scalars().all()
        if bad:
            raise InvalidInput(_("The backup's ledger does not add up (account {account}: the balance is not "
                                 "the sum of its entries); it was not restored").format(account=bad[0]))
        result = oplog.verify(s, anchor=anchor)
        if not result.ok:
            raise InvalidInput(_("The backup's operation log is broken at row {seq} ({problem}); it was not "
                                 "restored").format(seq=result.bad_seq, problem=result.problem))


def _checkpoint_alone(path: Path) -> None:
    """Fold the WAL of the database at path into the file and make sure nobody else has it open."""
    if path.exists():
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)
        try:
            busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.Error:
            busy = (1,)
        finally:
            conn.close()
        left = [p for p in (Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]
        if (busy and busy[0]) or left:
            raise Conflict(_("The database {path} is still open in another program (is the station or the "
                             "polling service running?); stop it and try again").format(path=path))


def _prepare_copy(backup_path: Path, work: Path, anchor: oplog.Anchor) -> None:
    """Copy the backup to `work`, migrated to this program's schema, unmarked as a backup."""
    from models import migrate

    _remove(work)
    shutil.copyfile(backup_path, work)
    copy = Database(f"sqlite:///{work}")
    try:
        migrate.upgrade(copy)
        migrate.check_schema(copy)
        check_books(copy, anchor)
    finally:
        copy.dispose()


def _receipts_issued(db: Database) -> int:
    """The highest receipt number the live database has issued (its counter; numbers are gapless)."""
    from models.counters import peek

    with db.read() as s:
        return peek(s, "receipt")


def _continue_receipts(session: Session, issued: int) -> int:
    """Raise the restored database's receipt counter past every number the replaced database
    issued, so no receipt number is ever printed twice (issue 11 item 10). Returns the counter."""
    from models.counters import Counter, peek

    mine = peek(session, "receipt")
    if issued > mine:
        table = base_table(Counter)
        moved = session.execute(sa.update(table).where(table.c.name == "receipt").values(value=issued))
        if rowcount(moved) == 0:
            session.execute(sa.insert(table).values(name="receipt", value=issued))
        return issued
    return mine


def _finish_copy(work: Path) -> None:
    conn = sqlite3.connect(work, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA application_id=0")
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()
    _fsync_file(work)


def restore(url_or_db: str | Database, actor: Actor | Callable[[Database], Actor],
            path: str | os.PathLike[str], *, now: datetime | None = None) -> Path | None:
    """Replace the station's SQLite database with the backup at `path` (the station stopped).

    actor: the acting operator, authenticated in the current database; or a function that
    logs in on the database it is given (the current one; or, when there is no database file
    yet, the verified backup itself). The "restore" right is required. A Database passed in is
    disposed (its connections must be closed for the file to be replaced). Returns where the
    old database was kept (None when there was none)."""
    owned = isinstance(url_or_db, str)
    db = Database(url_or_db) if isinstance(url_or_db, str) else url_or_db
    url = db.url
    when = now or datetime.now(UTC)
    try:
        if db.dialect != "sqlite":
            raise _refuse_server(db.dialect)
        target = sqlite_path(url)
        if target is None:
            raise InvalidInput(_("An in-memory database cannot be restored"))
        target = target.absolute()
        source = Path(path).expanduser().absolute()
        if source.exists() and target.exists() and source.resolve() == target.resolve():
            raise InvalidInput(_("The backup file cannot be the database itself"))
        rev = inspect_backup(source)
        anchor = backup_sign.check(source)           # signed with this station's key, unchanged
        has_current = target.exists() and target.stat().st_size > 0
        work = target.with_name(f".{target.name}.restore-{os.getpid()}")
        try:
            try:
                _prepare_copy(source, work, anchor)
            except (sqlite3.Error, sa.exc.DBAPIError) as exc:
                raise InvalidInput(_("{path} is damaged and cannot be restored: {reason}")
                                   .format(path=source, reason=str(exc)[:200])) from None
            copy = Database(f"sqlite:///{work}")
            try:
                check_db = db if has_current else copy
                who = actor(check_db) if callable(actor) else actor
                with audited(check_db, who, "restore", str(source)[:200]):
                    who.require("restore")
                issued = _receipts_issued(db) if has_current else 0
                kept = (_free_name(target.with_name(f"{target.name}.before-restore-{_stamp(when)}"))
                        if has_current else None)
                details: dict[str, object] = {"file": str(source), "schema": rev,
                                              "kept": str(kept) if kept else None}
                if has_current:
                    db.close_connections()
                    _checkpoint_alone(target)          # nobody else has it open: go on
                    with db.write() as s:
                        record(s, who, "restore", str(source)[:200], {**details, "replaced": True})
                with copy.write() as s:
                    details["receipts_from"] = _continue_receipts(s, issued) + 1
                    record(s, who, "restore", str(source)[:200], details)
            finally:
                copy.dispose()
            _finish_copy(work)
            db.dispose()
            if has_current:
                assert kept is not None
                _checkpoint_alone(target)
                try:
                    os.link(target, kept)
                except OSError:
                    shutil.copy2(target, kept)
                    _fsync_file(kept)
            os.replace(work, target)
            _fsync_dir(target.parent)
            return kept
        finally:
            _remove(work)
    finally:
        if owned:
            db.dispose()
