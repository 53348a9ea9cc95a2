"""Where the station's time zone is kept: the database setting station.timezone (one zone for
every station on the database; models/settings.py declares it and refuses a change once the
ledger has entries). models/station_time.py reads it through `stored_zone` from the database the
process opened (Database.open binds it), so a process that never loads models.settings — a
worker, a script over models.db — still draws the database's days.

Before migration 0013 each station kept its zone in its settings file; `file_zone` reads that
old value (0013 carries it into the database; a station whose file disagrees is warned).

Only the standard library and SQLAlchemy (imported when a database is read): models.db imports
this, and models.settings builds on models.db's services (the log), so this cannot import it.
"""
from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from models import station_time
from models.errors import StationError

if TYPE_CHECKING:
    from models.db import Database

KEY = "station.timezone"
log = logging.getLogger(__name__)


def zone_ok(name: Any) -> bool:
    """An IANA time zone name zoneinfo knows (Asia/Shanghai, UTC, Asia/Urumqi ...)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not isinstance(name, str) or not name or name != name.strip() or name.startswith(("/", ".")) \
            or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def file_zone() -> str | None:
    """station.timezone in this station's settings file (where it was kept before 0013), if valid."""
    from models.station_paths import config_dir

    try:
        data = json.loads((config_dir() / "settings.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = data.get(KEY) if isinstance(data, dict) else None
    return value if zone_ok(value) else None


def parse(raw: str | None) -> str:
    """A stored value (JSON text, None when unset) as a zone name; the default when unset or invalid."""
    if raw is None:
        return station_time.DEFAULT_ZONE
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    return value if zone_ok(value) else station_time.DEFAULT_ZONE


def _row(db: Database) -> tuple[bool, str]:
    """(stored, zone): the database's value, the default when it has none or an invalid one."""
    # not at import: models.settings loads this module before every command, --help included
    import sqlalchemy as sa

    with db.read() as s:
        raw = s.execute(sa.text("SELECT value FROM settings WHERE key = :key"), {"key": KEY}).scalar()
    return raw is not None, parse(raw)


def stored_zone(db: object, migrating: bool = False) -> str | None:
    """station_time's reader: the zone of `db`; None when it cannot be read (no schema yet, a
    server away). For a database being migrated (migrating=True) a missing or unreadable value
    is this station's file's — the zone it drew its days in, which migration 0013 stores."""
    try:
        stored, name = _row(db)  # type: ignore[arg-type]
    except StationError as e:
        if migrating:
            return file_zone() or station_time.DEFAULT_ZONE
        log.warning("station time zone: %s", e)
        return None
    old = file_zone()
    if migrating and not stored and old is not None:
        return old
    if old is not None and old != name:
        log.warning("station time zone: this station's settings file says %s, ignored: the database's zone is %s",
                    old, name)
    return name
