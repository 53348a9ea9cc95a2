"""Days of a time-of-use tariff: periods, day schedules, seasons, weekends and holidays.

A Period runs from `start` to `end` minutes after midnight (end 1440 is 24:00; an end at or
before the start runs past midnight, e.g. 22:00-06:00). A DaySchedule's periods must cover the
24 hours exactly once (no gap, no overlap), at most 14 of them, as a meter's 日时段表 does. A
Season covers MM-DD to MM-DD inclusive (it may wrap the new year); the seasons of a tariff must
cover every day of a leap year exactly once.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from models.errors import InvalidInput
from resources.i18n import N_, _

RATES = ("sharp", "peak", "flat", "valley")               # 尖 峰 平 谷, meter registers T1..T4
REGISTERS = {"t1": "sharp", "t2": "peak", "t3": "flat", "t4": "valley"}
RATE_LABELS = {"sharp": N_("Sharp"), "peak": N_("Peak"), "flat": N_("Flat"), "valley": N_("Valley")}
MAX_PERIODS = 14
DAY = 1440


def minutes_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True)
class Period:
    """One period of a day schedule; minutes after midnight."""

    start: int
    end: int
    rate: str

    def __post_init__(self) -> None:
        if self.rate not in RATES:
            raise InvalidInput(_("Unknown rate {rate}; the rates are {rates}")
                               .format(rate=self.rate, rates=", ".join(RATES)))
        if not (0 <= self.start < DAY and 0 <= self.end <= DAY):
            raise InvalidInput(_("Period {period} is outside the day").format(period=self.label))
        if self.start == self.end % DAY and not (self.start == 0 and self.end == DAY):
            raise InvalidInput(_("Period {period} is empty").format(period=self.label))

    @property
    def label(self) -> str:
        return f"{minutes_text(self.start)}-{minutes_text(self.end)}"

    def pieces(self) -> list[tuple[int, int]]:
        """The period as one or two [start, end) minute ranges inside 0..1440."""
        if self.end > self.start:
            return [(self.start, self.end)]
        return [(self.start, DAY)] + ([(0, self.end)] if self.end else [])


@dataclass(frozen=True)
class DaySchedule:
    """The periods of one kind of day (日时段表)."""

    periods: tuple[Period, ...]
    segments: tuple[tuple[int, int, str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 1 <= len(self.periods) <= MAX_PERIODS:
            raise InvalidInput(_("A day has 1 to {maximum} periods, not {count}")
                               .format(maximum=MAX_PERIODS, count=len(self.periods)))
        owner: list[Period | None] = [None] * DAY
        for p in self.periods:
            for s, e in p.pieces():
                for m in range(s, e):
                    other = owner[m]
                    if other is not None:
                        raise InvalidInput(_("Periods {first} and {second} overlap at {time}")
                                           .format(first=other.label, second=p.label,
                                                   time=minutes_text(m)))
                    owner[m] = p
        if None in owner:
            gap = owner.index(None)
            gap_end = next((m for m in range(gap, DAY) if owner[m] is not None), DAY)
            raise InvalidInput(_("The periods do not cover {start}-{end}; they must cover 24 hours")
                               .format(start=minutes_text(gap), end=minutes_text(gap_end)))
        segments: list[tuple[int, int, str]] = []
        for m in range(DAY):
            rate = owner[m].rate                                  # type: ignore[union-attr]
            if segments and segments[-1][2] == rate:
                segments[-1] = (segments[-1][0], m + 1, rate)
            else:
                segments.append((m, m + 1, rate))
        object.__setattr__(self, "segments", tuple(segments))


_MMDD = re.compile(r"^(\d{2})-(\d{2})$")


def month_day(text: str) -> tuple[int, int]:
    """'MM-DD' as (month, day), checked against a leap year."""
    m = _MMDD.match(text) if isinstance(text, str) else None
    try:
        if m is None:
            raise ValueError
        date(2000, int(m[1]), int(m[2]))
    except ValueError:
        raise InvalidInput(_("{value} is not a day of the year (MM-DD)").format(value=text)) from None
    return int(m[1]), int(m[2])


@dataclass(frozen=True)
class Season:
    """A seasonal zone (时区): from `start` to `end` inclusive (MM-DD), with its day schedule."""

    name: str
    start: str
    end: str
    schedule: str

    def __post_init__(self) -> None:
        month_day(self.start)
        month_day(self.end)

    def contains(self, day: date) -> bool:
        s, e, k = month_day(self.start), month_day(self.end), (day.month, day.day)
        return s <= k <= e if s <= e else (k >= s or k <= e)


def season_for(seasons: tuple[Season, ...], day: date | None) -> Season:
    """The season of `day`; with day None, check that the seasons cover a leap year exactly once."""
    if day is not None:
        return next(s for s in seasons if s.contains(day))
    d = date(2000, 1, 1)
    while d.year == 2000:
        holders = [s for s in seasons if s.contains(d)]
        if len(holders) > 1:
            raise InvalidInput(_("Seasons {first} and {second} overlap on {day}")
                               .format(first=holders[0].name, second=holders[1].name,
                                       day=d.strftime("%m-%d")))
        if not holders:
            raise InvalidInput(_("No season covers {day}; the seasons must cover the whole year")
                               .format(day=d.strftime("%m-%d")))
        d += timedelta(days=1)
    return seasons[0]


def day_kind(day: date, weekend_days: frozenset[int], holidays: frozenset[date],
             workdays: frozenset[date]) -> str:
    """'holiday', 'weekend' or 'workday': a holiday wins, a 调休 working day is a workday."""
    if day in holidays:
        return "holiday"
    if day.isoweekday() in weekend_days and day not in workdays:
        return "weekend"
    return "workday"
