"""Opening the station's database and running units of work on it.

SQLite (the one-PC default, in the user's data folder) runs with WAL, synchronous=FULL,
foreign keys and a busy timeout; every write transaction starts with BEGIN IMMEDIATE so two
writers queue instead of failing half-way. PostgreSQL and SQL Server serve several stations
sharing one database; there, counters and chain heads are locked with SELECT ... FOR UPDATE.

    db = Database.open(url)          # refuses a schema newer than this program
    with db.write() as s: ...        # one transaction, committed at the end, rolled back on error
    with db.read() as s: ...         # a read-only session
"""
from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.orm import Session, sessionmaker

from models.errors import DatabaseError, InvalidInput
from resources.i18n import _

BUSY_TIMEOUT_MS = 10_000
APP_NAME = "MeterStation"


def default_url() -> str:
    """The database URL: METERSTATION_DB, else a SQLite file in the user's data folder."""
    env = os.environ.get("METERSTATION_DB")
    if env:
        return env
    import platformdirs

    from models.station_files import private_dir

    folder = private_dir(Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)))
    return f"sqlite:///{folder / 'station.db'}"


def _sqlite_pragmas(dbapi_conn, _record) -> None:
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
        from models.station_files import SQLITE_SIDE_FILES, private_file

        for side in SQLITE_SIDE_FILES:
            if os.path.exists(name + side):
                private_file(Path(name + side))


def make_engine(url: str, *, immediate: bool) -> sa.Engine:
    """An engine for url; on SQLite, immediate=True makes every transaction BEGIN IMMEDIATE."""
    kwargs: dict = {"future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = sa.create_engine(url, **kwargs)
    except ImportError as e:         # the Python driver (or the library it loads) is missing
        raise DatabaseError(_driver_missing(url, e)) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql(begin))
    return engine


DRIVER_EXTRAS = {"pyodbc": "mssql", "psycopg": "postgres", "psycopg2": "postgres"}
ODBC_DRIVER_MISSING = ("im002", "can't open lib", "data source name not found", "no default driver specified")


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


def _odbc_driver_missing(e: exc.DBAPIError) -> DatabaseError | None:
    text = str(e.orig if e.orig is not None else e).lower()
    if any(marker in text for marker in ODBC_DRIVER_MISSING):
        return DatabaseError(_("The ODBC driver for SQL Server is not installed (or not the one the URL names): "
                               "install Microsoft's ODBC Driver 18 for SQL Server and name it in the URL "
                               "(?driver=ODBC+Driver+18+for+SQL+Server)"))
    return None


class Database:
    """One station database: a writer engine and a reader engine on the same URL."""

    def __init__(self, url: str) -> None:
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
    def open(cls, url: str | None = None, *, upgrade: bool = False) -> "Database":
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

    def dispose(self) -> None:
        self.writer.dispose()
        if self.reader is not self.writer:
            self.reader.dispose()


@contextmanager
def translate_db_errors() -> Iterator[None]:
    """Turn driver faults (locked, unreachable, disk full) into one clear DatabaseError."""
    try:
        yield
    except exc.OperationalError as e:
        if (missing := _odbc_driver_missing(e)) is not None:
            raise missing from e
        text = str(e.orig).lower() if e.orig is not None else str(e).lower()
        if "locked" in text or "busy" in text:
            raise DatabaseError(_("The database is busy (locked by another program); try again")) from e
        if "unable to open" in text or "readonly" in text or "read-only" in text:
            raise DatabaseError(_("The database file cannot be opened for writing")) from e
        if "no such table" in text or "does not exist" in text and "relation" in text:
            raise DatabaseError(_("The database has no station schema; run 'meterstation db upgrade'")) from e
        raise DatabaseError(_("The database cannot be reached: {reason}").format(reason=str(e.orig or e)[:200])) from e
    except exc.ProgrammingError as e:
        text = str(e.orig).lower() if e.orig is not None else ""
        if "does not exist" in text or "undefined" in text:
            raise DatabaseError(_("The database has no station schema; run 'meterstation db upgrade'")) from e
        raise
    except exc.DataError as e:
        text = str(e.orig).lower() if e.orig is not None else ""
        if "too long" in text:               # PostgreSQL: value too long for type character varying(n)
            raise InvalidInput(_("A value is longer than the database allows for it")) from e
        raise
    except exc.DBAPIError as e:      # pyodbc reports a missing ODBC driver as a plain Error / InterfaceError
        missing = _odbc_driver_missing(e)
        if missing is not None:
            raise missing from e
        text = str(e.orig).lower() if e.orig is not None else str(e).lower()
        if isinstance(e, exc.DatabaseError) and any(
                w in text for w in ("not a database", "malformed", "disk image", "file is encrypted")):
            raise DatabaseError(_("The database file is damaged or is not a station database; "
                                  "restore a backup")) from e
        raise
