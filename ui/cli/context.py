"""What every CLI command shares: the database, the acting operator, output and errors.

Exit codes (../shared/docs/cli.md): 0 done; 1 refused or failed, with one clear line on stderr
and nothing changed; 2 wrong usage (argparse).
"""
from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from decimal import Decimal
from typing import Any

from access import login as auth
from models import settings, station_files, station_time
from models.db import Database, default_url, translate_db_errors
from models.errors import AuthenticationFailed, DatabaseError, InvalidInput, ReadOnlyDatabase
from models.rights import Actor
from resources.i18n import _


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class CliContext:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self._db: Database | None = None
        self._stdin_lines: list[str] | None = None

    @property
    def url(self) -> str:
        # chosen by who starts the program: --db, then METERSTATION_DB, then the station's
        # config (written only by a logged `settings set` with the restore right), then the default
        return (getattr(self.args, "db", None) or os.environ.get("METERSTATION_DB")
                or settings.get_local("station.db_url") or default_url())

    @property
    def station(self) -> str:
        return str(settings.get_local("station.name"))

    def require_station(self) -> None:
        """Refuse a SQLite file that is absent or empty before anything opens (and so creates) it:
        only `db upgrade` (and the windows' first start) create a station database — a
        mistyped --db path must not silently become a fresh, empty station."""
        path = station_files.sqlite_file(self.url)
        if path is not None and (not path.exists() or path.stat().st_size == 0):
            raise DatabaseError(no_station(str(path)))

    def db(self) -> Database:
        """The station's database, migrated if older; refused if absent, empty or newer."""
        if self._db is None:
            from models import migrate

            self.require_station()
            db = Database(self.url)
            try:
                with translate_db_errors():      # a damaged file, a server away: one clear line
                    rev = migrate.current_revision(db)
                    if rev is None:
                        raise DatabaseError(no_station(_shown_url(self.url)))
                    if rev != migrate.head_revision():     # only then is Alembic imported
                        migrate.upgrade(db)
                        migrate.check_schema(db)
            except Exception:
                db.dispose()
                raise
            station_time.use_database(db)      # days and times in this database's zone
            self._db = db
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()
            self._db = None

    # --- input -------------------------------------------------------------------------------
    def stdin_line(self) -> str | None:
        """The next line of standard input (None when there is none)."""
        if self._stdin_lines is None:
            if sys.stdin is None or sys.stdin.closed:
                self._stdin_lines = []
            elif sys.stdin.isatty():
                self._stdin_lines = [getpass.getpass(_("Password: "))]
            else:
                self._stdin_lines = sys.stdin.read().splitlines()
        return self._stdin_lines.pop(0) if self._stdin_lines else None

    def operator_name(self) -> str | None:
        return getattr(self.args, "operator", None) or os.environ.get("METERSTATION_OPERATOR")

    def credentials(self) -> tuple[str, str]:
        """The acting operator's name (--operator / METERSTATION_OPERATOR) and password
        (METERSTATION_PASSWORD or the first line of standard input)."""
        name = self.operator_name()
        if not name:
            raise AuthenticationFailed(_("This command changes data: name the operator with --operator "
                                         "or METERSTATION_OPERATOR"))
        password = os.environ.get("METERSTATION_PASSWORD")
        if password is None:
            password = self.stdin_line()
        if not password:
            raise AuthenticationFailed(_("No password given: set METERSTATION_PASSWORD or pass it on "
                                         "standard input"))
        return name, password

    def actor(self) -> Actor:
        """Authenticate the acting operator (see credentials())."""
        name, password = self.credentials()
        return auth.login(self.db(), name, password, self.station)

    def service_actor(self, password_file: str | None = None) -> Actor:
        """The identity `poll` acts as: the operator named (--operator / METERSTATION_OPERATOR),
        normally the station's service identity, its secret from METERSTATION_PASSWORD, the
        password file (--password-file / METERSTATION_PASSWORD_FILE, as the service unit passes
        it) or standard input. No name: refused with one line saying how to make one."""
        from access import service_identity

        name = self.operator_name()
        if not name:
            raise AuthenticationFailed(_("Polling charges money and trips relays, so it runs as the station's "
                                         "service identity: set METERSTATION_OPERATOR and its secret (create "
                                         "it with 'meterstation service identity')"))
        password = os.environ.get("METERSTATION_PASSWORD") or None
        path = password_file or os.environ.get("METERSTATION_PASSWORD_FILE")
        if password is None and path:
            from pathlib import Path

            password = service_identity.read_secret(Path(path))
        if password is None:
            password = self.stdin_line()
        if not password:
            raise AuthenticationFailed(_("No password given: set METERSTATION_PASSWORD or pass it on "
                                         "standard input"))
        return auth.login(self.db(), name, password, self.station, service=True)

    def reader(self, right: str | None = None, action: str = "", target: str = "") -> Actor:
        """The operator a command that shows station data acts as: named and logged in like a
        writer's, holding `right` — checked before anything is looked up, a refusal logged as
        denied (models.audit.require_read). No right: the service called checks it."""
        from models.audit import require_read

        db = self.db()          # a missing, damaged or newer database is said first
        if not self.operator_name():
            raise AuthenticationFailed(_("This command shows station data: name the operator with --operator "
                                         "or METERSTATION_OPERATOR"))
        name, password = self.credentials()
        try:
            actor = auth.login(db, name, password, self.station)
        except ReadOnlyDatabase:         # a read-only file still reads: the same checks, no login row
            actor = auth.login_to_read(db, name, password, self.station)
        if right is not None:
            require_read(db, actor, right, action, target)
        return actor

    # --- output ------------------------------------------------------------------------------
    @property
    def json(self) -> bool:
        return bool(getattr(self.args, "json", False))

    def emit(self, obj: dict[str, Any]) -> None:
        print(json.dumps(obj, ensure_ascii=False, default=_json_default))

    def say(self, text: str) -> None:
        print(text)


def no_station(where: str) -> str:
    return _("There is no station database at {where}; create it with 'meterstation db upgrade'").format(
        where=where)


def _shown_url(url: str) -> str:
    try:
        import sqlalchemy as sa

        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - only for a message
        return url.split("@")[-1]


def fail_usage(message: str) -> InvalidInput:
    return InvalidInput(message)


__all__ = ["CliContext", "DatabaseError", "fail_usage"]
