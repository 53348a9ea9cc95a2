"""Local time, quiet hours and holidays for the station's jobs.

Times are stored and passed around as aware UTC; schedules and quiet hours are in the station's
time zone (setting station.timezone, models/station_time.py).

    quiet_now(session, now)        # True in quiet hours (setting automation.quiet_hours) or on a holiday
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import settings, station_time
from models.automation import Holiday


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_local(when: datetime) -> datetime:
    """An aware local datetime (the station's zone) for an aware UTC time."""
    return station_time.local(when)


def local_at(day: date, hhmm: str) -> datetime:
    """The aware UTC instant of local day at HH:MM."""
    return station_time.at(day, parse_hhmm(hhmm))


def parse_hhmm(text: str) -> time:
    hh, mm = (int(x) for x in text.strip().split(":"))
    return time(hh, mm)


def parse_quiet(text: str) -> tuple[time, time] | None:
    """'22:00-07:00' -> (22:00, 07:00); '' -> None."""
    if not text or not text.strip():
        return None
    start, _sep, end = text.partition("-")
    return parse_hhmm(start), parse_hhmm(end)


def in_quiet_hours(local: datetime, quiet: tuple[time, time] | None) -> bool:
    if quiet is None:
        return False
    start, end = quiet
    t = local.time().replace(tzinfo=None)
    if start == end:
        return False
    if start < end:
        return start <= t < end
    return t >= start or t < end          # spans midnight


def setting(session: Session, key: str) -> Any:
    """A setting read inside an open session: models.settings.read, the one reader."""
    return settings.read(session, key)


def is_holiday(session: Session, day: date) -> bool:
    return session.scalar(sa.select(Holiday.day).where(Holiday.day == day)) is not None


def quiet_now(session: Session, now: datetime) -> bool:
    """True during quiet hours or on a holiday (local day) — trips wait then."""
    local = to_local(now)
    return in_quiet_hours(local, parse_quiet(setting(session, "automation.quiet_hours"))) or \
        is_holiday(session, local.date())
