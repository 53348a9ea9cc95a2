"""When timed-control schedules act: day rules, holidays, 调休 workdays, skips, windows past
midnight, and local (UTC+8, DST-free) times converted to UTC."""
from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import pairwise

import pytest

from billing.timed.occurrences import DaySpec, is_school_day, occurrences
from tests.billing.automation.timed_helpers import shanghai  # noqa: F401 - fixture

GOLDEN_WEEK = frozenset(date(2026, 10, d) for d in range(1, 8))       # Thu 1 .. Wed 7
MAKE_UP = frozenset({date(2026, 9, 27), date(2026, 10, 10)})            # Sun 27 Sep, Sat 10 Oct worked


def utc(*a) -> datetime:
    return datetime(*a, tzinfo=UTC)


def test_school_days_follow_holidays_and_make_up_days():
    assert is_school_day(date(2026, 9, 30), GOLDEN_WEEK, MAKE_UP)          # Wednesday
    assert not is_school_day(date(2026, 10, 1), GOLDEN_WEEK, MAKE_UP)      # holiday on a Thursday
    assert is_school_day(date(2026, 9, 27), GOLDEN_WEEK, MAKE_UP)          # Sunday, 调休
    assert is_school_day(date(2026, 10, 10), GOLDEN_WEEK, MAKE_UP)         # Saturday, 调休
    assert not is_school_day(date(2026, 10, 11), GOLDEN_WEEK, MAKE_UP)     # plain Sunday
    assert not is_school_day(date(2026, 10, 3), GOLDEN_WEEK, frozenset({date(2026, 10, 3)}))  # holiday wins


@pytest.mark.usefixtures("shanghai")
def test_dormitory_nights_over_golden_week():
    spec = DaySpec(off_at="23:00", on_at="06:00", days="school")
    occ = occurrences(spec, date(2026, 9, 26), date(2026, 10, 11), GOLDEN_WEEK, MAKE_UP)
    offs = [o.day for o in occ if o.action == "off"]
    assert offs == [date(2026, 9, 27), date(2026, 9, 28), date(2026, 9, 29), date(2026, 9, 30),
                    date(2026, 10, 8), date(2026, 10, 9), date(2026, 10, 10)]
    # each off is followed by its on the next morning, even when that day is a holiday
    assert [(o.action, o.at) for o in occ[6:8]] == [("off", utc(2026, 9, 30, 15, 0)), ("on", utc(2026, 9, 30, 22, 0))]
    assert all(a.action == "off" and b.action == "on" for a, b in zip(occ[::2], occ[1::2], strict=True))
    assert occ[-1].key == "2026-10-10T06:00 on" and occ[-1].at == utc(2026, 10, 10, 22, 0)


@pytest.mark.usefixtures("shanghai")
def test_every_weekdays_dates_and_skips():
    week = (date(2026, 11, 16), date(2026, 11, 22))                            # Mon..Sun
    every = occurrences(DaySpec(off_at="21:30", days="every"), *week, frozenset(), frozenset())
    assert len(every) == 7 and every[0].at == utc(2026, 11, 16, 13, 30) and {o.action for o in every} == {"off"}
    weekdays = occurrences(DaySpec(off_at="21:30", days="weekdays", skip=frozenset({date(2026, 11, 18)})),
                           *week, GOLDEN_WEEK, frozenset({date(2026, 11, 21)}))
    assert [o.day.day for o in weekdays] == [16, 17, 19, 20]                   # skip 18; no 调休 for "weekdays"
    dates = occurrences(DaySpec(on_at="07:00", days="dates", dates=frozenset({date(2026, 11, 21)})),
                        *week, frozenset(), frozenset())
    assert [(o.action, o.at) for o in dates] == [("on", utc(2026, 11, 20, 23, 0))]


@pytest.mark.usefixtures("shanghai")
def test_same_day_window_and_keys():
    occ = occurrences(DaySpec(off_at="12:00", on_at="13:30"), date(2026, 11, 20), date(2026, 11, 20),
                      frozenset(), frozenset())
    assert [(o.action, o.at, o.key) for o in occ] == [
        ("off", utc(2026, 11, 20, 4, 0), "2026-11-20T12:00 off"),
        ("on", utc(2026, 11, 20, 5, 30), "2026-11-20T13:30 on")]
    assert max(len(o.key) for o in occ) <= 40


@pytest.mark.parametrize("tz", ["Asia/Shanghai", "UTC"])
@pytest.mark.parametrize("station_zone", ["Asia/Shanghai", "UTC"])
def test_station_wall_clock_whatever_the_computers_zone(tz, station_zone, monkeypatch, tmp_path):
    """The times are the station's (database setting station.timezone), not the computer's (TZ)."""
    import time
    from zoneinfo import ZoneInfo

    from models import station_time
    from tests.zones import open_with_zone

    db = open_with_zone(f"sqlite:///{tmp_path / 'station.db'}", station_zone)
    monkeypatch.setenv("TZ", tz)
    time.tzset()
    try:
        occ = occurrences(DaySpec(off_at="23:00", on_at="06:00"), date(2026, 3, 28), date(2026, 3, 30),
                          frozenset(), frozenset())
        assert station_time.zone() == ZoneInfo(station_zone)
        assert [o.at.astimezone(ZoneInfo(station_zone)).strftime("%H:%M") for o in occ] == ["23:00", "06:00"] * 3
        assert occ[0].at == datetime(2026, 3, 28, 23, tzinfo=ZoneInfo(station_zone))
        gaps = {(b.at - a.at).total_seconds() / 3600 for a, b in pairwise(occ)}
        assert gaps == {7.0, 17.0}
    finally:
        db.dispose()
        monkeypatch.undo()
        time.tzset()
