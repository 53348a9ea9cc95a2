"""The station's clock: "now", "today" and local wall-clock times in the station's time zone.

The zone is the setting `station.timezone` (an IANA name, default Asia/Shanghai), never the
computer's: a station PC left on UTC, or a test run with TZ set, draws the same billing days,
report days, schedules and receipt times. Instants are stored and passed around as aware UTC;
this module turns them into local days and wall-clock times and back.

    station_time.now()                  # aware, in the station zone
    station_time.today()                # the station's calendar day
    station_time.local(at)              # an aware instant as station wall-clock time (aware)
    station_time.wall(at)               # the same, naive (what tariff periods are written in)
    station_time.at(day, time(2, 30))   # the aware UTC instant of a local day and time
    station_time.utc(naive_wall)        # a naive station wall-clock time as aware UTC

The zone is read once per process through models.settings (a station-local setting, loaded
before anything else; the settings module registers its reader here) and re-read after
settings.set_local changes it; forget() drops it.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Shanghai"
log = logging.getLogger(__name__)

_zone: ZoneInfo | None = None
_source: Callable[[], str] | None = None       # models.settings: the setting's current value


def read_zone_from(source: Callable[[], str]) -> None:
    """Where the zone's name comes from: models.settings registers the reader of its setting
    station.timezone when it is loaded (this module sits below it: the settings module's
    writer logs through the operation log, whose daily ledger rows need the station's day)."""
    global _source, _zone
    _source, _zone = source, None


def zone() -> ZoneInfo:
    """The station's time zone (setting station.timezone)."""
    global _zone
    if _zone is None:
        if _source is None:          # a process that never loaded models.settings (a worker process)
            log.warning("station time zone: models.settings is not loaded; using %s", DEFAULT_ZONE)
        _zone = ZoneInfo(_source() if _source is not None else DEFAULT_ZONE)
    return _zone


def forget() -> None:
    """Read the zone setting again on next use (after it changed; tests between stations)."""
    global _zone
    _zone = None


def now() -> datetime:
    """This moment, aware, in the station zone."""
    return datetime.now(zone())


def today() -> date:
    """The station's calendar day now."""
    return now().date()


def local(when: datetime) -> datetime:
    """An aware instant as an aware station wall-clock time (a naive one is taken as UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(zone())


def wall(when: datetime) -> datetime:
    """An aware instant as a naive station wall-clock time; a naive one is already local."""
    return local(when).replace(tzinfo=None) if when.tzinfo is not None else when


def utc(when: datetime) -> datetime:
    """A naive station wall-clock time as an aware UTC instant (an aware one is converted)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone())
    return when.astimezone(UTC)


def day_of(when: datetime) -> date:
    """The station's calendar day of an aware instant."""
    return local(when).date()


def at(day: date, clock: time) -> datetime:
    """The aware UTC instant of the station's local `day` at `clock`."""
    return datetime.combine(day, clock, tzinfo=zone()).astimezone(UTC)


def utc_offset_minutes(when: datetime | None = None) -> int:
    """The station zone's offset from UTC at `when` (now), in minutes."""
    offset = (local(when) if when is not None else now()).utcoffset() or timedelta(0)
    return int(offset.total_seconds() // 60)
