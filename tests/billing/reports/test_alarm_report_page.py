"""The reports page offscreen with more alarms than its screen holds: it says "the first N of M"
under the table, and its Export to Excel (the rows it showed in hand) writes all M."""
from __future__ import annotations

from billing.reports import field
from tests.benchmarks.bench_alarm_report import END, START, seed_alarms
from tests.billing.reports.test_alarm_report_export import _messages
from ui import tasks
from ui.pages.reports_page import ReportsPage
from ui.session import StationSession


def test_the_page_says_first_n_of_m_and_exports_every_alarm(qtbot, gui_db, gui_root, tmp_path, monkeypatch,
                                                           shown_errors):
    seed_alarms(gui_db, 30)
    monkeypatch.setattr(field, "SHOWN", 10, raising=False)
    page = ReportsPage(StationSession(gui_db, gui_root, "TEST"))
    qtbot.addWidget(page)
    page.show()
    page.choose("alarms", "", START, END)
    page.shown = None
    page.run()
    qtbot.waitUntil(lambda: page.shown is not None, timeout=10_000)
    assert page.model.rowCount() == 10
    assert "Showing the first 10 of 30 rows" in page.summary.text()
    assert page.status.text() == "30 rows"                   # the report's rows, not the screen's 10
    page.export(str(tmp_path / "a.xlsx"))
    assert page.progress_dialog.maximum() == 30              # the progress runs to the last row written
    qtbot.waitUntil(lambda: "written" in page.status.text(), timeout=20_000)
    assert "30 rows written" in page.status.text()
    assert _messages(tmp_path / "a.xlsx") == [f"alarm {i}" for i in range(30)]
    tasks.wait_idle()
    assert shown_errors == []
