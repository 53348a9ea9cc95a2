"""The windows' dates and times are the station's (models/station_time.py, the database's zone),
never the PC's: a date filter's default days, the bounds it searches, a moment shown in a table
or the status bar. Qt's own clock (QDate.currentDate, QDateTime.currentDateTime) is the PC's zone,
so the widgets are given the station's day instead."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from PySide6.QtCore import QDate, QDateTime, QTime

from models import station_time
from models.errors import InvalidInput


def qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def today(days: int = 0) -> QDate:
    """The station's calendar day today (plus `days`), for a date edit."""
    return qdate(station_time.today() + timedelta(days=days))


def now_wall(days: int = 0) -> QDateTime:
    """The station's wall-clock time now (plus `days`), to the minute, for a date-time edit
    whose value is read back as station wall-clock time (toPython() is naive)."""
    n = station_time.now() + timedelta(days=days)
    return QDateTime(qdate(n.date()), QTime(n.hour, n.minute))


def bounds(since: QDate, until: QDate) -> tuple[datetime, datetime]:
    """The UTC instants of the start of `since` and the end of `until`, station days.

    A date edit reaches 9999-12-31 (and 0001-01-01 by typing), whose station day has no end (or
    start) Python can hold: there the bound is the last (first) instant there is - "to the end",
    as the operator meant - not an exception on the GUI thread that the page never answers."""
    try:
        lo = station_time.day_start(since.toPython())
    except InvalidInput:
        lo = datetime.min.replace(tzinfo=UTC)
    try:
        hi = station_time.day_end(until.toPython())
    except InvalidInput:
        hi = datetime.max.replace(tzinfo=UTC)
    return lo, hi
