"""Driver faults in one clear, translated sentence (locked, unreachable, disk full, damaged
file, value too long, a missing ODBC driver), deadlocks and serialization failures as
RetryableConflict (models/db.py `retrying` runs those again). Below models/db.py and
models/migrate.py, which both translate through it.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exc

from models.errors import DatabaseError, InvalidInput, ReadOnlyDatabase
from resources.i18n import _

RETRYABLE_SQLSTATES = ("40P01", "40001")          # deadlock_detected, serialization_failure
READ_ONLY_SQLSTATE = "25006"                      # read_only_sql_transaction (a server refusing writes)
ODBC_DRIVER_MISSING = ("im002", "can't open lib", "data source name not found", "no default driver specified")


class RetryableConflict(DatabaseError):
    """A deadlock or serialization failure: the transaction was rolled back; run it again."""


def _odbc_driver_missing(e: exc.DBAPIError) -> DatabaseError | None:
    text = str(e.orig if e.orig is not None else e).lower()
    if any(marker in text for marker in ODBC_DRIVER_MISSING):
        return DatabaseError(_("The ODBC driver for SQL Server is not installed (or not the one the URL names): "
                               "install Microsoft's ODBC Driver 18 for SQL Server and name it in the URL "
                               "(?driver=ODBC+Driver+18+for+SQL+Server)"))
    return None


@contextmanager
def translate_db_errors() -> Iterator[None]:
    """Turn driver faults (locked, unreachable, disk full, damaged file, value too long) into one
    clear error; deadlocks and serialization failures into RetryableConflict (see retrying)."""
    try:
        yield
    except exc.DBAPIError as e:
        if getattr(e.orig, "sqlstate", None) in RETRYABLE_SQLSTATES or \
                getattr(e.orig, "pgcode", None) in RETRYABLE_SQLSTATES:
            raise RetryableConflict(_("The database was busy with another transaction; try again")) from e
        if READ_ONLY_SQLSTATE in (getattr(e.orig, "sqlstate", None), getattr(e.orig, "pgcode", None)):
            raise ReadOnlyDatabase(_("The database refuses writes (it is read-only)")) from e
        if (missing := _odbc_driver_missing(e)) is not None:   # pyodbc: a missing ODBC driver
            raise missing from e
        text = str(e.orig).lower() if e.orig is not None else str(e).lower()
        if isinstance(e, exc.DatabaseError) and any(
                w in text for w in ("not a database", "malformed", "disk image", "file is encrypted")):
            raise DatabaseError(_("The database file is damaged or is not a station database; "
                                  "restore a backup")) from e
        if isinstance(e, exc.ProgrammingError):
            _programming(e)
            raise
        if isinstance(e, exc.DataError):
            if "too long" in text:           # PostgreSQL: value too long for type character varying(n)
                raise InvalidInput(_("A value is longer than the database allows for it")) from e
            raise
        if not isinstance(e, exc.OperationalError):
            raise
        if "locked" in text or "busy" in text:
            raise DatabaseError(_("The database is busy (locked by another program); try again")) from e
        if "unable to open" in text or "readonly" in text or "read-only" in text:
            raise ReadOnlyDatabase(_("The database file cannot be opened for writing")) from e
        if "no such table" in text or "does not exist" in text and "relation" in text:
            raise DatabaseError(_("The database has no station schema; run 'meterstation db upgrade'")) from e
        raise DatabaseError(_("The database cannot be reached: {reason}").format(reason=str(e.orig or e)[:200])) from e


def _programming(e: exc.ProgrammingError) -> None:
    text = str(e.orig).lower() if e.orig is not None else ""
    if "does not exist" in text or "undefined" in text:
        raise DatabaseError(_("The database has no station schema; run 'meterstation db upgrade'")) from e
