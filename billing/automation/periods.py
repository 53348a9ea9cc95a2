"""When periodic jobs are due, and which of their periods were missed (pure, no I/O).

A daily job at HH:MM is due every local day at that time; a monthly job on day d at HH:MM.
Each occurrence has a period label (the JobRun key): the day or month it is about, which need
not be the day it runs (the frozen data collected on the 2nd is the 1st's).

Catch-up: the periods after the newest one done, up to now, at most `max_back` of them; a job
that never ran catches up only its latest occurrence (a new station does not grant a year of
subsidies on its first start).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from billing.automation.calendar import parse_hhmm
from models import station_time


@dataclass(frozen=True, order=True)
class Occurrence:
    due: datetime           # aware UTC
    order: int              # ties: lower runs first (expiry before grant)
    job: str
    period: str
    local_day: date         # local date of `due`


def add_months(day: date, months: int) -> date:
    m = day.year * 12 + day.month - 1 + months
    return date(m // 12, m % 12 + 1, 1)


def month_label(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _at(day: date, hhmm: str) -> datetime:
    return station_time.at(day, parse_hhmm(hhmm))


def daily(job: str, hhmm: str, now: datetime, count: int, *, order: int = 0,
          label_offset_days: int = 0) -> list[Occurrence]:
    """The latest `count` daily occurrences due at or before now, newest first."""
    day = station_time.day_of(now)
    out: list[Occurrence] = []
    while len(out) < count:
        due = _at(day, hhmm)
        if due <= now:
            out.append(Occurrence(due, order, job, (day + timedelta(days=label_offset_days)).isoformat(), day))
        day -= timedelta(days=1)
    return out


def monthly(job: str, dom: int, hhmm: str, now: datetime, count: int, *, order: int = 0,
            label_offset_months: int = 0) -> list[Occurrence]:
    """The latest `count` monthly occurrences (day dom at hhmm) at or before now, newest first."""
    first = station_time.day_of(now).replace(day=1)
    out: list[Occurrence] = []
    k = 0
    while len(out) < count:
        month = add_months(first, -k)
        day = month.replace(day=dom)
        due = _at(day, hhmm)
        if due <= now:
            out.append(Occurrence(due, order, job, month_label(add_months(month, label_offset_months)), day))
        k += 1
    return out


def missing(occurrences: list[Occurrence], done_periods: set[str], newest_done: str | None) -> list[Occurrence]:
    """Occurrences (newest first) still to run: after the newest done period, not done; all of
    them when the job ran before, else only the latest."""
    if newest_done is None:
        return [o for o in occurrences[:1] if o.period not in done_periods]
    return [o for o in occurrences if o.period > newest_done and o.period not in done_periods]
