"""Dates at the ends of the calendar, typed by an operator (found walking the CLI): the first
and last days Python knows are refused with one translated line, never an internal error.

0001-01-01 in the station's zone (Asia/Shanghai, UTC+8) begins before year 1 in UTC, and
9999-12-31 has no next day for the exclusive upper bound; both used to end in OverflowError
("内部错误（OverflowError）"), the traceback in errors.log."""
from __future__ import annotations

from datetime import date

import pytest

from tests.billing.reports.test_cli import cli  # noqa: F401 - the in-process command line fixture


@pytest.mark.parametrize("args", [
    ("report", "alarms", "--from", "0001-01-01", "--to", "2026-12-01"),
    ("report", "alarms", "--from", "2026-11-01", "--to", "9999-12-31"),
    ("report", "sales", "--from", "2026-11-01", "--to", "9999-12-31"),
    ("report", "shift", "--from", "0001-01-01", "--to", "2026-12-01"),
    ("log", "show", "--to", "9999-12-31"),
    ("recompute", "--from", "2026-11-01", "--to", "9999-12-31", "--dry-run"),
])
def test_a_date_beyond_the_calendar_is_refused_in_one_line(cli, args):  # noqa: F811
    code, out, err = cli(*args)
    assert code == 1
    assert "内部错误" not in err and "OverflowError" not in err
    assert "超出本站能处理的日期范围" in err and len(err.strip().splitlines()) == 1


def test_station_day_bounds_refuse_the_calendar_edges():
    from models import station_time
    from models.errors import InvalidInput

    with pytest.raises(InvalidInput):
        station_time.day_end(date.max)
    with pytest.raises(InvalidInput):
        station_time.day_start(date.min)       # before year 1 in UTC for a zone east of UTC
    assert station_time.day_end(date(2026, 11, 30)) == station_time.day_start(date(2026, 12, 1))
