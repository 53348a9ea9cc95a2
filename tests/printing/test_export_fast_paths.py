"""The export's fast paths give exactly what the slow rules give.

- LocalTime (printing/oplog_export.py) looks the zone's offset up once per UTC hour: every
  minute around daylight-saving changes (Berlin: whole hours; St John's: a half-hour zone)
  and in China must read as `at.astimezone()` does.
- csv_row passes texts on without csv_cell when their first character cannot matter.
- an xlsx text cell skips _xml_text when the check finds nothing to drop, escape or preserve.
"""
from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from models.cell_safety import csv_cell, csv_row
from printing.excel import _XML_WORK, _xml_text
from printing.oplog_export import LocalTime

TEXTS = ["", "a", "=1+1", "+86 138", "-12.50", "--", "@x", "\tx", "\rx", "'quoted", "''", "x'", "收费窗口1",
         " lead", "trail ", "\u3000全角", "a&b", "<b>", "x>y", "ctl\x01", "bell\x07end", "nl\nin", "end\n",
         '{"amount": "100.00"}', "=HYPERLINK(\"http://x\",\"y\")", "ok ok", "0", "\x0b"]


@pytest.fixture
def zone():
    old = os.environ.get("TZ")

    def use(name: str) -> None:
        os.environ["TZ"] = name
        time.tzset()
    yield use
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()


@pytest.mark.parametrize("name, change", [
    ("Europe/Berlin", datetime(2025, 3, 30, 1, tzinfo=UTC)),      # 02:00 -> 03:00 local
    ("Europe/Berlin", datetime(2025, 10, 26, 1, tzinfo=UTC)),     # 03:00 -> 02:00 local
    ("America/St_Johns", datetime(2025, 3, 9, 5, 30, tzinfo=UTC)),   # -03:30 -> -02:30
    ("America/St_Johns", datetime(2025, 11, 2, 4, 30, tzinfo=UTC)),  # -02:30 -> -03:30
    ("Asia/Shanghai", datetime(2025, 11, 1, tzinfo=UTC)),
])
def test_local_time_is_astimezone_around_zone_changes(zone, name, change):
    zone(name)
    local = LocalTime()
    at = change - timedelta(hours=3, seconds=17)
    while at < change + timedelta(hours=3):
        assert local(at) == at.astimezone().isoformat(timespec="seconds")[:19], (name, at)
        at += timedelta(seconds=59, microseconds=123457)
    # a change inside a UTC hour (St John's, at :30) makes that hour row by row; Berlin changes
    # on the hour: two cached offsets; China: one
    seen = set(local.offsets.values())
    assert (None in seen) == (name == "America/St_Johns")
    assert len(seen - {None}) == (1 if name == "Asia/Shanghai" else 2)


def test_local_time_of_another_zone_is_converted_as_given(zone):
    zone("Asia/Shanghai")
    at = datetime(2025, 6, 1, 12, tzinfo=timezone(timedelta(hours=-5)))
    assert LocalTime()(at) == "2025-06-02T01:00:00"


def test_csv_row_is_csv_cell_of_each_value():
    values = [*TEXTS, 12, None, -3]
    assert csv_row(values) == [csv_cell(v) for v in values]
    assert csv_row(["=1+1", "'x", "x"]) == ["'=1+1", "''x", "x"]


def test_xlsx_text_fast_path_only_where_nothing_changes():
    for text in TEXTS:
        if _XML_WORK.search(text) is None:
            assert _xml_text(text) == f"<is><t>{text}</t></is>", text
        else:
            assert text != "" and (_xml_text(text) != f"<is><t>{text}</t></is>"), text
