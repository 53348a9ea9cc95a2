"""The alarms page's history with a date edit at the end of its range (found walking the window:
QDateEdit reaches 9999-12-31, whose station day has no end Python can hold; 查询 raised on the
GUI thread and the page never answered - no count, no rows, nothing said). It now searches to
the end of time, as the operator meant."""
from __future__ import annotations

from PySide6.QtCore import QDate

from access import login as auth
from access import operators as operator_service
from billing import alarm_log
from ui import station_dates, tasks
from ui.pages.alarms_page import AlarmsPage
from ui.session import StationSession


def test_history_until_9999_12_31_finds_the_alarms(qtbot, sqlite_db):
    operator_service.create_first_operator(sqlite_db, "root", "secret-1", "T")
    root = auth.login(sqlite_db, "root", "secret-1", "T")
    with sqlite_db.write() as s:
        alarm_log.raise_alarm(s, "link_lost", message="A link is lost")
    page = AlarmsPage(StationSession(sqlite_db, root, "T"))
    qtbot.addWidget(page)
    page.watch_timer.stop()
    page.show()
    page.tabs.setCurrentIndex(1)
    tasks.wait_idle()
    page.until.setDate(QDate(9999, 12, 31))
    page.search_history()
    qtbot.waitUntil(lambda: page.history_status.text() == "1 alarms", timeout=10_000)


def test_bounds_at_the_ends_of_the_date_edits_range():
    lo, hi = station_dates.bounds(QDate(1, 1, 1), QDate(9999, 12, 31))
    assert lo.year == 1 and hi.year == 9999 and lo < hi
