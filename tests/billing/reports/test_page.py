"""The reports page offscreen: every report renders, charts draw, Excel export with progress."""
from __future__ import annotations

from datetime import date

from openpyxl import load_workbook

from billing.reports.catalog import REPORTS
from tests.billing.reports import data
from tests.billing.reports.test_services import _field
from ui import tasks
from ui.pages.reports_page import ReportsPage
from ui.session import StationSession

OCT = (date(2025, 10, 1), date(2025, 11, 30))


def _page(qtbot, db, actor) -> ReportsPage:
    page = ReportsPage(StationSession(db, actor, "TEST"))
    qtbot.addWidget(page)
    page.resize(1100, 700)
    page.show()
    return page


def _run(qtbot, page, key, group=""):
    page.choose(key, group, *OCT)
    page.shown = None
    page.run()
    qtbot.waitUntil(lambda: page.shown is not None, timeout=10_000)
    return page.shown[4]


def test_every_report_renders(qtbot, gui_db, gui_root, shown_errors):
    _field(gui_db)
    data.money_data(gui_db, gui_root)
    page = _page(qtbot, gui_db, gui_root)
    expected = {"sales": 3, "receivable": 2, "corrections": 2, "consumption": 2, "line_loss": 1, "alarms": 3,
                "lost": 4, "read_success": 3, "shift": 0, "sale_records": 5}    # lost: DEAD is unreachable
    for key, spec in REPORTS.items():
        for group in spec.groups or ("",):
            rows = _run(qtbot, page, key, group)
            if group in ("", spec.groups[0] if spec.groups else ""):
                assert len(rows) == expected[key], key
            has_totals = bool(rows) and any(c.total for c in spec.cols(group))
            assert page.model.rowCount() == len(rows) + has_totals
            assert page.model.columnCount() == len(spec.cols(group))
            assert page.chart.isVisible() == (spec.chart is not None and bool(rows))
    _run(qtbot, page, "sales", "day")
    assert [page.model.index(r, 0).data() for r in range(4)] == ["2025-10-02", "2025-10-03", "2025-11-01", "Total"]
    assert page.model.index(3, 5).data() == "130.00"
    points = dict(page.chart.points)                         # every day of the range, empty days at 0
    assert len(points) == 61 and points["2025-10-01"] == 0 and points["2025-10-02"] == 150
    assert points["2025-10-03"] == -20 and points["2025-11-01"] == 0 and points["2025-11-30"] == 0
    _run(qtbot, page, "consumption", "meter")
    main = next(r for r in range(page.model.rowCount()) if page.model.index(r, 0).data() == "MAIN")
    assert page.model.index(main, 3).data() == "300.00"      # October and November
    assert shown_errors == []


def test_export_runs_off_the_gui_thread_with_progress(qtbot, gui_db, gui_root, tmp_path):
    data.money_data(gui_db, gui_root)
    page = _page(qtbot, gui_db, gui_root)
    _run(qtbot, page, "corrections")
    path = tmp_path / "c.xlsx"
    page.export(str(path))
    qtbot.waitUntil(lambda: "written" in page.status.text(), timeout=10_000)
    ws = load_workbook(path).active
    assert [c.value for c in ws[2]][:4] == ["Time", "Kind", "Receipt No.", "Original receipt No."]
    assert ws["C3"].value == "T3" and ws["D4"].value == "T4" and ws["H5"].value == -220
    tasks.wait_idle()


def test_cashier_sees_reports_viewer_without_right_cannot_run(qtbot, gui_db, gui_root, gui_cashier):
    from models.rights import Actor

    page = _page(qtbot, gui_db, gui_cashier)
    assert page.run_button.isEnabled()
    nobody = Actor(name="x", role="none", rights=frozenset(), station="T")
    blind = _page(qtbot, gui_db, nobody)
    assert not blind.run_button.isEnabled()


def test_first_show_runs_this_months_sales(qtbot, gui_db, gui_root):
    from decimal import Decimal

    from billing.sales import sell
    from tests.billing import factories

    acc = factories.account(gui_db, gui_root, reading=None)
    sell(gui_db, gui_root, acc.number, Decimal("12.50"))
    page = _page(qtbot, gui_db, gui_root)
    page.refresh()
    qtbot.waitUntil(lambda: page.shown is not None, timeout=10_000)
    assert page.shown[0] == "sales" and page.model.index(0, 5).data() == "12.50"
    page.shown = None
    page.refresh()                                 # shown again: not re-run by itself
    assert page.shown is None
    tasks.wait_idle()
