"""The reports page with the sales records: switching the report refreshes (Export writes what
is chosen), filters, totals, the print preview opens and its PDF has the rows and totals
(pdftotext), the save dialog's folder, chart labels that fit and empty days at zero."""
from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PySide6.QtPrintSupport import QPrintPreviewDialog

from tests.billing.reports import data
from ui import tasks
from ui.pages.reports_page import ReportsPage
from ui.session import StationSession

PERIOD = (date(2025, 10, 1), date(2025, 11, 30))


@pytest.fixture
def page(qtbot, gui_db, gui_root):
    data.money_data(gui_db, gui_root)
    p = ReportsPage(StationSession(gui_db, gui_root, "TEST"))
    qtbot.addWidget(p)
    p.resize(1280, 720)
    p.show()
    p.choose("sales", "day", *PERIOD)
    p.refresh()                                            # the first showing runs the chosen report
    qtbot.waitUntil(lambda: p.shown is not None, timeout=10_000)
    yield p
    tasks.wait_idle()


def _column(page, c):
    return [page.model.index(r, c).data() for r in range(page.model.rowCount())]


def test_switching_the_report_refreshes_the_table_and_export(qtbot, page, tmp_path):
    assert page.shown[0] == "sales" and _column(page, 0)[-1] == "Total"
    page.report.setCurrentIndex(page.report.findData("sale_records"))     # as a user does: only the combo
    assert page.shown is None and not page.export_button.isEnabled()       # never the old rows meanwhile
    qtbot.waitUntil(lambda: page.shown is not None, timeout=10_000)
    assert page.shown[0] == "sale_records"
    assert _column(page, 0) == ["T1", "T2", "T3", "T4", "T5", "Total"]
    assert page.model.headers[0] == "Receipt No."
    assert "Sale: 3 records, ¥350.00" in page.summary.text() and "net ¥130.00" in page.summary.text()
    path = tmp_path / "x.xlsx"
    page.export(str(path))
    qtbot.waitUntil(lambda: path.exists() and page.export_button.isEnabled(), timeout=10_000)
    ws = load_workbook(path).active
    assert ws["A1"].value.startswith("Sales records") and ws["A2"].value == "Receipt No."
    assert [r[0] for r in ws.iter_rows(min_row=3, values_only=True)] == ["T1", "T2", "T3", "T4", "T5", "Total"]
    page.group.setCurrentIndex(0)                                           # no groups here: nothing to do
    page.report.setCurrentIndex(page.report.findData("sales"))
    page.group.setCurrentIndex(page.group.findData("method"))               # a grouping re-runs as well
    qtbot.waitUntil(lambda: page.shown is not None and page.shown[1] == "method", timeout=10_000)
    assert _column(page, 0) == ["Bank card", "Cash", "WeChat Pay", "Total"]


def test_filters(qtbot, page):
    page.report.setCurrentIndex(page.report.findData("sale_records"))
    qtbot.waitUntil(lambda: page.shown is not None and page.filters.place.count() > 1, timeout=10_000)
    assert page.filters.isVisible()
    page.filters.kind.setCurrentIndex(page.filters.kind.findData("refund"))
    page.run()
    qtbot.waitUntil(lambda: page.shown is not None and len(page.shown[4]) == 1, timeout=10_000)
    assert _column(page, 0)[0] == "T3"
    page.filters.kind.setCurrentIndex(0)
    page.filters.place.setCurrentIndex(page.filters.place.findText("A楼"))
    page.filters.method.setCurrentIndex(page.filters.method.findData("cash"))
    page.run()
    qtbot.waitUntil(lambda: page.shown is not None and len(page.shown[4]) == 2, timeout=10_000)
    assert _column(page, 0)[:2] == ["T1", "T3"]
    assert ("Building", "A楼") in page.shown_filters and ("Payment method", "Cash") in page.shown_filters
    page.report.setCurrentIndex(page.report.findData("sales"))
    assert not page.filters.isVisible()


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    assert shutil.which("pdftotext"), "pdftotext (poppler-utils) is a test dependency"
    f = tmp_path / "r.pdf"
    f.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(f), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_print_preview_opens_and_the_pdf_has_rows_and_totals(qtbot, page, tmp_path):
    page.report.setCurrentIndex(page.report.findData("sale_records"))
    qtbot.waitUntil(lambda: page.shown is not None, timeout=10_000)
    page.filters.operator.setText("root")
    page.run()
    qtbot.waitUntil(lambda: bool(page.shown_filters), timeout=10_000)
    assert page.print_button.isEnabled()
    with qtbot.waitSignal(page.printer.ready, timeout=20_000) as got:
        page.print_button.click()
    dlg = got.args[0]
    assert isinstance(dlg, QPrintPreviewDialog) and dlg.isVisible() and dlg.property("pageCount") >= 1
    text = _pdf_text(page.printer.last_pdf, tmp_path)
    for needle in ("Sales records", "2025-10-01 — 2025-11-30", "Operator: root", "T1", "T5", "100.00",
                   "-200.00", "Sale: 3 records, ¥350.00", "Refund: 1 records, ¥-20.00", "net ¥130.00", "Total"):
        assert needle in text, needle
    dlg.close()
    page.printer.show_preview = False                            # every report prints, not only records
    page.report.setCurrentIndex(page.report.findData("sales"))
    qtbot.waitUntil(lambda: page.shown is not None, timeout=10_000)
    with qtbot.waitSignal(page.printer.ready, timeout=20_000) as got:
        page.print_report()
    assert got.args[0] is None
    text = _pdf_text(page.printer.last_pdf, tmp_path)
    assert "2025-10-02" in text and "130.00" in text and "Total" in text


def test_chinese_printout_embeds_its_font(qtbot, page, tmp_path):
    from resources import i18n

    i18n.set_language("zh_CN")
    page.printer.show_preview = False
    page.report.setCurrentIndex(page.report.findData("sale_records"))
    qtbot.waitUntil(lambda: page.shown is not None, timeout=10_000)
    with qtbot.waitSignal(page.printer.ready, timeout=20_000):
        page.print_report()
    text = _pdf_text(page.printer.last_pdf, tmp_path)
    assert "售电记录" in text and "收据号" in text and "甲" in text and "合计" in text
    fonts = subprocess.run(["pdffonts", str(tmp_path / "r.pdf")], capture_output=True, text=True, check=True).stdout
    assert "yes" in fonts.split("\n", 2)[2]                       # embedded


def test_save_dialog_starts_in_documents_then_the_last_folder(page, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    seen = []
    target = tmp_path / "out" / "r"
    target.parent.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        staticmethod(lambda parent, title, where, flt: (seen.append(where), (str(target), flt))[1]))
    page.export()
    tasks.wait_idle()
    from PySide6.QtCore import QStandardPaths

    docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    program = Path(__file__).resolve().parents[3]
    assert Path(seen[0]).parent == Path(docs if Path(docs).is_dir() else Path.home())
    assert not Path(seen[0]).resolve().is_relative_to(program)     # not the program folder
    assert Path(seen[0]).name == "sales-2025-10-01-2025-11-30.xlsx"
    assert (tmp_path / "out" / "r.xlsx").exists()                # the suffix added
    page.export()
    tasks.wait_idle()
    assert Path(seen[1]).parent == tmp_path / "out"


def test_chart_labels_fit_and_empty_days_are_zero(qtbot, page):
    chart = page.chart
    assert chart.isVisible() and len(chart.points) == 61
    assert dict(chart.points)["2025-10-15"] == 0
    step = chart.label_step()
    assert step > 1 and chart.ticks[1][0] - chart.ticks[0][0] == step
    from PySide6.QtGui import QFontMetrics

    axis = chart.getPlotItem().getAxis("bottom")
    label_w = QFontMetrics(axis.style.get("tickFont") or chart.font()).horizontalAdvance("2025-10-02")
    px_per_bar = axis.width() / len(chart.points)
    assert px_per_bar * step > label_w                           # labels do not overlap
    page.resize(1900, 720)
    qtbot.wait(50)
    assert chart.label_step() <= step                            # wider: as many labels as fit


def test_too_many_rows_to_print_is_one_message(qtbot, page, shown_errors, monkeypatch):
    from models.errors import InvalidInput
    from ui.pages import report_print

    monkeypatch.setattr(report_print, "MAX_ROWS", 2)
    page.report.setCurrentIndex(page.report.findData("sale_records"))
    qtbot.waitUntil(lambda: page.shown is not None, timeout=10_000)
    page.print_report()
    assert len(shown_errors) == 1 and isinstance(shown_errors[0], InvalidInput) and "5" in str(shown_errors[0])
    assert page.printer.last_pdf is None
