"""When a timed-control schedule (models/timed.py) acts: its occurrences in local time.

A schedule's window opens on a matching local day d at `off_at` and closes at `on_at`: the same
day when on_at is later than off_at, else the next day (23:00 -> 06:00 is the night after d).
The "on" belongs to the window of d even when d+1 does not match, so a day rule never leaves a
group without power past its window. A skip date skips the window that starts on it. A schedule
with only off_at (or only on_at) acts once on each matching day.

Day rules: every | weekdays (Mon-Fri) | school (a working day: Mon-Fri or a 调休 workday, and
not a holiday) | dates (only the listed days). Times are the station's local wall-clock times,
converted to aware UTC with the computer's zone (billing/automation/calendar.local_at).

    occurrences(spec, first_day, last_day, holidays, workdays)  # [Occurrence], sorted by time
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from billing.automation.calendar import local_at, parse_hhmm


@dataclass(frozen=True)
class DaySpec:
    off_at: str = ""                      # HH:MM or ""
    on_at: str = ""
    days: str = "every"                   # every | weekdays | school | dates
    dates: frozenset[date] = frozenset()
    skip: frozenset[date] = frozenset()


@dataclass(frozen=True, order=True)
class Occurrence:
    at: datetime                          # aware UTC
    action: str                           # "off" | "on"
    day: date                             # the local day whose window this belongs to
    hhmm: str

    @property
    def key(self) -> str:
        """The occurrence's unique period key (JobRun.period, <= 40 characters)."""
        return f"{self.day.isoformat()}T{self.hhmm} {self.action}"


def is_school_day(day: date, holidays: frozenset[date], workdays: frozenset[date]) -> bool:
    if day in holidays:
        return False
    return day.isoweekday() <= 5 or day in workdays


def day_matches(spec: DaySpec, day: date, holidays: frozenset[date], workdays: frozenset[date]) -> bool:
    if day in spec.skip:
        return False
    if spec.days == "every":
        return True
    if spec.days == "weekdays":
        return day.isoweekday() <= 5
    if spec.days == "school":
        return is_school_day(day, holidays, workdays)
    return day in spec.dates


def window_of(spec: DaySpec, day: date) -> list[Occurrence]:
    """The occurrences of the window opening on `day` (whether or not the day matches)."""
    out = []
    if spec.off_at:
        out.append(Occurrence(local_at(day, spec.off_at), "off", day, spec.off_at))
    if spec.on_at:
        on_day = day
        if spec.off_at and parse_hhmm(spec.on_at) <= parse_hhmm(spec.off_at):
            on_day = day + timedelta(days=1)
        out.append(Occurrence(local_at(on_day, spec.on_at), "on", day, spec.on_at))
    return out


def occurrences(spec: DaySpec, first_day: date, last_day: date, holidays: frozenset[date],
                workdays: frozenset[date]) -> list[Occurrence]:
    """Every occurrence of windows opening from first_day to last_day (local days), by time."""
    out: list[Occurrence] = []
    day = first_day
    while day <= last_day:
        if day_matches(spec, day, holidays, workdays):
            out += window_of(spec, day)
        day += timedelta(days=1)
    return sorted(out)
