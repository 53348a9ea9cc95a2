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
    station_time.text(at)               # "2026-11-30 14:05:09" as people at the station read it

The zone is the database's (one value for every station sharing it: ledger_daily, the daily
totals of the ledger, is shared by them all), read once per process on first use from the
database the process opened (Database.open and the command line's database bind it here with
use_database; models.db registers models.zone_store's reader), and re-read after settings.put
changes it (refused once the ledger has entries); forget() drops it. A transaction that writes
ledger entries confirms it against the database (models/ledger_daily.py, confirm) until the ledger
is known to have had entries before, since another station may have set it while the ledger was
empty. Without a database (yet) the default is used and not remembered, with a warning.
"""
from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Shanghai"
log = logging.getLogger(__name__)

_zone: ZoneInfo | None = None
_reader: Callable[[object, bool], str | None] | None = None  # models.zone_store: the zone's name in a database
_database: weakref.ref[object] | None = None       # the database this process works on
_warned: set[str] = set()
_settled = False             # the ledger had entries when the zone was confirmed: it cannot change now


def read_zone_from(reader: Callable[[object, bool], str | None]) -> None:
    """How the zone's name is read from a database: models.db registers models.zone_store's reader
    of the database setting station.timezone (this module sits below both: it is stdlib only).
    reader(db, False) returns None when the database cannot be read (no schema yet, a server
    away); reader(db, True), for a database being migrated, falls back to this station's file."""
    global _reader, _zone
    _reader, _zone = reader, None


def use_database(db: object) -> None:
    """The station's database for this process (Database.open, the command line's database): the
    zone is read from it on next use. Held weakly: a disposed, dropped database reads as none."""
    global _database, _zone, _settled
    _database, _zone, _settled = weakref.ref(db), None, False


def drop_database(db: object) -> None:
    """`db` is closed (Database.dispose): if it is the one in use, no database is in use now."""
    global _database, _zone, _settled
    if _database is not None and _database() is db:
        _database, _zone, _settled = None, None, False


def _warn_once(reason: str) -> None:
    if reason not in _warned:
        _warned.add(reason)
        log.warning("station time zone: %s; using %s", reason, DEFAULT_ZONE)


def zone() -> ZoneInfo:
    """The station's time zone (database setting station.timezone)."""
    global _zone
    if _zone is not None:
        return _zone
    db = _database() if _database is not None else None
    if db is None or _reader is None:    # no database opened yet: not remembered, read once one is
        _warn_once("no station database is open yet")
        return ZoneInfo(DEFAULT_ZONE)
    name = _reader(db, False)
    if name is None:               # unreadable now: not remembered either
        _warn_once("the station database could not be read")
        return ZoneInfo(DEFAULT_ZONE)
    _zone = ZoneInfo(name)
    return _zone


@contextmanager
def migrating(db: object) -> Iterator[None]:
    """While `db` is migrated: its zone, or — before migration 0013 moved the zone into the
    database — the one this station's settings file named (the zone 0013 then stores), so a
    back-fill draws the days the station drew; the database in use is read again afterwards."""
    global _zone, _settled
    _zone, _settled = ZoneInfo((_reader(db, True) if _reader is not None else None) or DEFAULT_ZONE), False
    try:
        yield
    finally:
        _zone, _settled = None, False


def forget() -> None:
    """Read the zone setting again on next use (after it changed; tests between stations)."""
    global _zone, _settled
    _zone, _settled = None, False


def settled() -> bool:
    """The zone in use was confirmed against the database when its ledger already had entries,
    so it can no longer change (models.settings refuses): no need to check it again."""
    return _settled and _zone is not None


def confirm(name: str, settled: bool) -> None:
    """The database's zone as read inside a transaction that writes ledger entries
    (models/ledger_daily.py): another station may have set it after this process read it (only
    possible while the ledger was empty); `settled`: the ledger had entries before."""
    global _zone, _settled
    if _zone is None or _zone.key != name:
        if _zone is not None:
            log.warning("station time zone: the database's zone is now %s (was %s here)", name, _zone.key)
        _zone = ZoneInfo(name)
    _settled = settled


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
    """The aware UTC instant of the station's local `day` at `clock`. A day whose instant falls
    outside the calendar (0001-01-01 in a zone east of UTC: a date an operator typed) is refused
    with one message (InvalidInput), not an OverflowError."""
    try:
        return datetime.combine(day, clock, tzinfo=zone()).astimezone(UTC)
    except OverflowError:
        raise _out_of_range(day) from None


def day_start(day: date) -> datetime:
    """The aware UTC instant the station's `day` begins (a date filter's bound)."""
    return at(day, time())


def day_end(day: date) -> datetime:
    """The aware UTC instant the station's `day` ends: the next day's start (the exclusive upper
    bound of a date filter); 9999-12-31 has no next day and is refused like at() refuses."""
    try:
        following = day + timedelta(days=1)
    except OverflowError:
        raise _out_of_range(day) from None
    return day_start(following)


def _out_of_range(day: date) -> Exception:
    from models.errors import InvalidInput
    from resources.i18n import _

    return InvalidInput(_("{day} is outside the dates the station can work with").format(day=day))


def text(when: datetime | None, seconds: bool = True) -> str:
    """An instant as the station's wall-clock text, "YYYY-MM-DD HH:MM:SS" (or without seconds);
    a naive one is taken as station wall-clock time already (wall); "" for None."""
    if when is None:
        return ""
    return wall(when).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def utc_offset_minutes(when: datetime | None = None) -> int:
    """The station zone's offset from UTC at `when` (now), in minutes."""
    offset = (local(when) if when is not None else now()).utcoffset() or timedelta(0)
    return int(offset.total_seconds() // 60)
