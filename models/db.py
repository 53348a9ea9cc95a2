"""Opening the station's database and running units of work on it.

SQLite (the one-PC default, in the user's data folder) runs with WAL, synchronous=FULL,
foreign keys and a busy timeout; every write transaction starts with BEGIN IMMEDIATE so two
writers queue instead of failing half-way. SQLite's busy handler is not fair (a writer may be
passed over again and again while each lock is held only briefly), so a BEGIN IMMEDIATE that
times out is tried again with backoff for up to WRITE_QUEUE_SECONDS: writers queue, they do not
fail. PostgreSQL and SQL Server serve several stations sharing one database; there, counters
and chain heads are locked with SELECT ... FOR UPDATE.

Lock order (PostgreSQL, SQL Server): every transaction locks accounts first (in id order,
billing.ledger.lock_accounts), then counters, the operation log's counter and head last (its
rows are written at commit, models/oplog.py). A deadlock or serialization failure that still
happens (other rows, other servers' choices) is a RetryableConflict; services that move money
are wrapped in @retrying, which runs the whole unit of work again (bounded, logged), so a
cashier never sees it.

    db = Database.open(url)          # refuses a schema newer than this program; its zone is the station's
    with db.write() as s: ...        # one transaction, committed at the end, rolled back on error
    with db.read() as s: ...         # a read-only session
"""
from __future__ import annotations

import functools
import logging
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.orm import Session, sessionmaker

from models import station_time, zone_store

# the translation of driver faults lives below (models/db_errors.py) so migrations can use it
from models.db_errors import RETRYABLE_SQLSTATES, RetryableConflict, translate_db_errors  # noqa: F401 - re-exported
from models.errors import DatabaseError
from resources.i18n import _

BUSY_TIMEOUT_MS = 10_000
WRITE_QUEUE_SECONDS = float(os.environ.get("METERSTATION_WRITE_QUEUE_SECONDS", "180"))
RETRY_ATTEMPTS = 8
APP_NAME = "MeterStation"
log = logging.getLogger(__name__)
T = TypeVar("T")


def default_url() -> str:
    """The database URL: METERSTATION_DB, else a SQLite file in the user's data folder."""
    env = os.environ.get("METERSTATION_DB")
    if env:
        return env
    from models.station_paths import data_dir, private_dir

    folder = private_dir(data_dir())
    return f"sqlite:///{folder / 'station.db'}"


def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    dbapi_conn.isolation_level = None          # we issue BEGIN ourselves
    cur = dbapi_conn.cursor()
    for pragma in ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL",
                   "PRAGMA foreign_keys=ON", f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}"):
        try:
            cur.execute(pragma)
        except sqlite3.OperationalError as e:
            # a read-only file (media, permissions) not yet in WAL mode: reading still works;
            # a write then fails with "cannot be opened for writing" (translate_db_errors)
            if "journal_mode" not in pragma or "readonly" not in str(e).lower():
                raise
    files = [row[2] for row in cur.execute("PRAGMA database_list") if row[1] == "main" and row[2]]
    cur.close()
    for name in files:                     # the database and its -wal/-shm: the station's user only
        from models.station_paths import SQLITE_SIDE_FILES, private_file

        for side in SQLITE_SIDE_FILES:
            if os.path.exists(name + side):
                private_file(Path(name + side))


def make_engine(url: str, *, immediate: bool) -> sa.Engine:
    """An engine for url; on SQLite, immediate=True makes every transaction BEGIN IMMEDIATE."""
    kwargs: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
    try:
        engine = sa.create_engine(url, **kwargs)
    except ImportError as e:         # the Python driver (or the library it loads) is missing
        raise DatabaseError(_driver_missing(url, e)) from None
    if engine.dialect.name != "sqlite":
        _ping_when_idle(engine)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        if immediate:
            event.listen(engine, "begin", _begin_immediate)
        else:
            event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
    return engine


PING_AFTER_IDLE_SECONDS = 1.0


def _ping_when_idle(engine: sa.Engine) -> None:
    """SQLAlchemy's pool_pre_ping, for a connection that lay in the pool longer than
    PING_AFTER_IDLE_SECONDS: one that went back a moment ago was working then, and the ping is a
    round trip of its own (on PostgreSQL one in eight of a sale's, the biggest single cost left of
    back-to-back sales: issue 12). A connection the server dropped while idle (a restart, an
    idle-session timeout, a network cut) is found by the ping and replaced before any work starts,
    as before; the pool then replaces every connection older than that (DisconnectionError).
    Dropped less than PING_AFTER_IDLE_SECONDS after its last use, the next unit of work on it
    fails once with the database's error (models/db_errors.py) and the pool starts afresh."""
    def pooled(_dbapi: Any, record: Any) -> None:
        if record is not None:
            record.info["pooled_at"] = time.monotonic()

    def checkout(dbapi: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("pooled_at", 0.0) <= PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi)
        except Exception as e:  # noqa: BLE001 - whatever the driver says, this connection is unusable
            raise exc.DisconnectionError(f"ping failed: {e}") from e

    event.listen(engine, "connect", pooled)           # a new connection needs no ping
    event.listen(engine, "checkin", pooled)
    event.listen(engine, "checkout", checkout)


DRIVER_EXTRAS = {"pyodbc": "mssql", "psycopg": "postgres", "psycopg2": "postgres"}


def _driver_missing(url: str, e: ImportError) -> str:
    module = (e.name or "").split(".")[0]
    scheme = url.split(":", 1)[0]
    if "pyodbc" in scheme or module == "pyodbc":
        return _("SQL Server needs the pyodbc module and Microsoft's ODBC Driver 18 for SQL Server: install "
                 "MeterStation with the mssql extra (pip install \"meterstation[mssql]\") and the ODBC driver "
                 "({reason})").format(reason=str(e)[:200])
    return _("The database driver for {scheme} is not installed: install MeterStation with the {extra} extra "
             "({reason})").format(scheme=scheme, extra=DRIVER_EXTRAS.get(module, module or "?"),
                                   reason=str(e)[:200])


def _is_busy(e: exc.OperationalError) -> bool:
    text = str(e.orig).lower() if e.orig is not None else str(e).lower()
    return "locked" in text or "busy" in text


def _begin_immediate(conn: sa.Connection) -> None:
    """BEGIN IMMEDIATE, waiting in line: after each busy timeout, back off and try again until
    WRITE_QUEUE_SECONDS have passed (then the usual "busy" error)."""
    deadline = time.monotonic() + WRITE_QUEUE_SECONDS
    pause, tries = 0.01, 0
    while True:
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            if tries:
                log.info("SQLite writer got its turn after %d retries", tries)
            return
        except exc.OperationalError as e:
            if not _is_busy(e) or time.monotonic() + pause > deadline:
                raise
            tries += 1
            log.info("SQLite writer still waiting for the write lock (try %d)", tries)
            time.sleep(pause * (0.5 + random.random()))
            pause = min(pause * 2, 0.5)


def is_retryable(e: BaseException) -> bool:
    """A deadlock or serialization failure, raw (sqlalchemy) or translated."""
    if isinstance(e, RetryableConflict):
        return True
    orig = getattr(e, "orig", None)
    return getattr(orig, "sqlstate", None) in RETRYABLE_SQLSTATES or \
        getattr(orig, "pgcode", None) in RETRYABLE_SQLSTATES


_retried: dict[str, int] = {}            # unit of work -> deadlocks/serialization failures retried
_gave_up: dict[str, int] = {}            # ... and given up after RETRY_ATTEMPTS
_retried_lock = threading.Lock()


def retry_counts() -> dict[str, dict[str, int]]:
    """What this process retried so far: {"retried": {unit: n}, "gave_up": {unit: n}} (the soak
    benchmark and the polling service report the totals)."""
    with _retried_lock:
        return {"retried": dict(_retried), "gave_up": dict(_gave_up)}


def retried_total() -> int:
    with _retried_lock:
        return sum(_retried.values())


def _count(table: dict[str, int], name: str) -> None:
    with _retried_lock:
        table[name] = table.get(name, 0) + 1


def retrying(fn: Callable[..., T]) -> Callable[..., T]:
    """Run a unit of work again after a deadlock or serialization failure (PostgreSQL, SQL
    Server): the transaction was rolled back whole, so running it again is safe. Bounded
    (RETRY_ATTEMPTS) with jittered backoff; each retry is logged and counted (retry_counts).
    Only for units of work whose every effect is in their one transaction (never around
    meter I/O, files or several commits)."""
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> T:
        pause = 0.02
        for attempt in range(1, RETRY_ATTEMPTS + 1):
            try:
                return fn(*args, **kwargs)
            except RetryableConflict as e:
                if attempt == RETRY_ATTEMPTS:
                    _count(_gave_up, fn.__qualname__)
                    log.error("%s: %s; gave up after %d attempts", fn.__qualname__, e.__cause__ or e, attempt)
                    raise
                _count(_retried, fn.__qualname__)
                log.warning("%s: %s; retrying (attempt %d)", fn.__qualname__, e.__cause__ or e, attempt + 1)
                time.sleep(pause * (0.5 + random.random()))
                pause = min(pause * 2, 1.0)
        raise AssertionError("unreachable")
    return run


station_time.read_zone_from(zone_store.stored_zone)      # the zone of the database a process opens


class Database:
    """One station database: a writer engine and a reader engine on the same URL."""

    def __init__(self, url: str) -> None:
        # every table on Base.metadata before any session flushes: the unit of work sorts the
        # tables by their foreign keys, and a key whose table's module this process never
        # imported failed (`operator add NAME --building 1` from the CLI: NoReferencedTableError
        # for operator_areas -> buildings, an internal error after the operator was checked)
        import models.all_tables  # noqa: F401

        self.url = url
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            folder = Path(url.removeprefix("sqlite:///")).parent
            if not folder.is_dir():
                raise DatabaseError(_("The database folder {folder} does not exist").format(folder=folder))
        self.writer = make_engine(url, immediate=True)
        self.reader = self.writer if not url.startswith("sqlite") else make_engine(url, immediate=False)
        self._write_sessions = sessionmaker(self.writer, expire_on_commit=False)
        self._read_sessions = sessionmaker(self.reader, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.writer.dialect.name

    @classmethod
    def open(cls, url: str | None = None, *, upgrade: bool = False) -> Database:
        """Open url, check the schema; with upgrade=True create or migrate it first."""
        from models import migrate

        db = cls(url or default_url())
        try:
            if upgrade:
                migrate.upgrade(db)
            migrate.check_schema(db)
        except Exception:
            db.dispose()
            raise
        station_time.use_database(db)      # the station's day is this database's zone from now on
        return db

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction; commit on success, roll back on any error."""
        with translate_db_errors():
            with self._write_sessions() as session:
                with session.begin():
                    yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with translate_db_errors():
            with self._read_sessions() as session:
                with session.begin():
                    yield session

    def close_connections(self) -> None:
        """Close the pooled connections; they are made again on next use, and this stays the
        database in use (its zone is still the station's), unlike dispose()."""
        self.writer.dispose()
        if self.reader is not self.writer:
            self.reader.dispose()

    def dispose(self) -> None:
        station_time.drop_database(self)   # never read again through a closed engine
        self.writer.dispose()
        if self.reader is not self.writer:
            self.reader.dispose()
