"""A station database whose time zone (the database setting station.timezone) is set, as an
administrator sets it before the first sale: for tests of the station's days."""
from __future__ import annotations

from models.db import Database


def open_with_zone(url: str, zone: str | None) -> Database:
    """The database at url, migrated, with the super admin root (secret-1) and, unless zone is
    None, its time zone set; it is the process's station database (station_time reads it)."""
    from access import login as auth
    from access import operators as operator_service
    from models import settings

    db = Database.open(url, upgrade=True)
    operator_service.create_first_operator(db, "root", "secret-1", "TEST")
    if zone is not None:
        settings.put(db, auth.login(db, "root", "secret-1", "TEST"), "station.timezone", zone)
    return db
