"""Reports (报表): choose a report, a date range and a grouping; see a table, a bar chart where
a picture helps, and export to Excel off the GUI thread with a progress bar.

Every report is declared once in billing/report_catalog.py (the CLI uses the same table). The
query runs through ui.tasks.read; the export writes the rows already shown, in a worker, and
reports progress through a queued signal, so the window stays live; cancelling removes the
half-written file.
"""
from __future__ import annotations

from datetime import date
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QDate, QObject, Qt, Signal
from PySide6.QtWidgets import (QComboBox, QDateEdit, QFileDialog, QHBoxLayout, QHeaderView, QLabel,
                               QProgressDialog, QPushButton, QSplitter, QTableView)

from billing.report_catalog import GROUP_LABELS, REPORTS, chart_value, export_xlsx
from models.errors import StationError
from resources.i18n import _
from ui import tasks
from ui.pages.base import Page
from ui.pages.report_table import ReportTableModel


class ExportCancelled(StationError):
    """The operator cancelled an export (the partial file is removed)."""


class _Progress(QObject):
    step = Signal(int)


class ReportChart(pg.PlotWidget):
    """Bars of one column of the report (values drawn, never computed with)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent, background="w")
        self.setMinimumHeight(160)
        self.setMouseEnabled(x=False, y=False)
        self.hideButtons()
        self.getPlotItem().setMenuEnabled(False)
        self.getPlotItem().showGrid(y=True, alpha=0.3)
        self.bars: pg.BarGraphItem | None = None
        self.points: list[tuple[str, float]] = []

    def set_bars(self, points: list[tuple[str, Any]], label: str) -> None:
        plot = self.getPlotItem()
        if self.bars is not None:
            plot.removeItem(self.bars)
        self.points = [(k, float(v)) for k, v in points]            # display only
        xs = list(range(len(self.points)))
        self.bars = pg.BarGraphItem(x=xs, height=[v for _k, v in self.points], width=0.6, brush="#2f5d8f")
        plot.addItem(self.bars)
        step = max(1, len(xs) // 15)
        plot.getAxis("bottom").setTicks([[(x, k) for x, (k, _v) in zip(xs, self.points) if x % step == 0]])
        plot.setLabel("left", label)
        plot.enableAutoRange()


class ReportsPage(Page):
    key = "reports"

    @property
    def title(self) -> str:  # type: ignore[override]
        return _("Reports")

    def __init__(self, session, parent=None) -> None:
        super().__init__(session, parent)
        self.report = QComboBox()
        for key, spec in REPORTS.items():
            self.report.addItem(_(spec.title), key)
        self.group = QComboBox()
        today = QDate.currentDate()
        self.since, self.until = QDateEdit(QDate(today.year(), today.month(), 1)), QDateEdit(today)
        for d in (self.since, self.until):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
        self.run_button, self.export_button = QPushButton(_("Show")), QPushButton(_("Export to Excel"))
        self.run_button.clicked.connect(self.run)
        self.export_button.clicked.connect(lambda: self.export())
        self.export_button.setEnabled(False)
        self.report.currentIndexChanged.connect(self._report_changed)
        bar = QHBoxLayout()
        for w in (QLabel(_("Report")), self.report, self.group, QLabel(_("From")), self.since, QLabel(_("To")),
                  self.until, self.run_button, self.export_button):
            bar.addWidget(w)
        bar.addStretch(1)
        self.layout_.addLayout(bar)
        self.model = ReportTableModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setVisible(False)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.chart = ReportChart()
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.view)
        split.addWidget(self.chart)
        split.setSizes([500, 220])
        self.layout_.addWidget(split, 1)
        self.status = QLabel("")
        self.layout_.addWidget(self.status)
        self.shown: tuple[str, str, date, date, list] | None = None
        self._started = False
        self._report_changed()
        if not session.can("report_view"):
            self.run_button.setEnabled(False)
            self.status.setText(_("You have no right to view reports"))

    # --- choosing -------------------------------------------------------------------------
    def spec(self):
        return REPORTS[self.report.currentData()]

    def _report_changed(self) -> None:
        spec = self.spec()
        self.group.clear()
        for g in spec.groups:
            self.group.addItem(_(GROUP_LABELS.get(g, g)), g)
        self.group.setVisible(bool(spec.groups))
        for w in (self.since, self.until):
            w.setEnabled(spec.dated)

    def choose(self, key: str, group: str = "", start: date | None = None, end: date | None = None) -> None:
        """Select a report (tests, and links from other pages)."""
        self.report.setCurrentIndex(self.report.findData(key))
        if group:
            self.group.setCurrentIndex(self.group.findData(group))
        if start is not None:
            self.since.setDate(QDate(start.year, start.month, start.day))
        if end is not None:
            self.until.setDate(QDate(end.year, end.month, end.day))

    # --- running --------------------------------------------------------------------------
    def refresh(self) -> None:
        """The first time the page is shown, this month's sales by day (a cheap query); after
        that a report runs only when asked (it may be a big one)."""
        if self.shown is None and not self._started and self.session.can("report_view"):
            self._started = True
            self.run()

    def run(self) -> None:
        spec, group = self.spec(), self.group.currentData() or ""
        start, end = self.since.date().toPython(), self.until.date().toPython()
        db, actor = self.session.db, self.session.actor
        self.status.setText(_("Working…"))
        self.run_button.setEnabled(False)

        def done(rows: list) -> None:
            self.run_button.setEnabled(True)
            self.show_rows(spec.key, group, start, end, rows)

        def failed(error: BaseException) -> None:
            self.run_button.setEnabled(True)
            self.status.setText(str(error) if isinstance(error, StationError) else "")
            tasks.show_error(self, error)
        tasks.read(self, lambda: spec.run(db, start, end, group, actor), on_done=done, on_error=failed)

    def show_rows(self, key: str, group: str, start: date, end: date, rows: list) -> None:
        spec = REPORTS[key]
        cols = spec.cols(group)
        self.shown = (key, group, start, end, rows)
        self.model.set_table([_(c.header) for c in cols], [c.kind for c in cols], spec.table(rows, group),
                             [i for i, c in enumerate(cols) if c.total])
        self.view.resizeColumnsToContents()
        self.export_button.setEnabled(bool(rows))
        self.status.setText(_("{n} rows").format(n=len(rows)))
        self.chart.setVisible(spec.chart is not None and bool(rows))
        if spec.chart is not None and rows:
            label_col, value_col = spec.chart
            points = [(str(r[label_col] or "—"), chart_value(r[value_col])) for r in self.model.rows[:200]]
            self.chart.set_bars([(k, v) for k, v in points if v is not None], _(cols[value_col].header))

    # --- export ---------------------------------------------------------------------------
    def export(self, path: str | None = None) -> None:
        if self.shown is None:
            return
        key, group, start, end, rows = self.shown
        if path is None:
            path, _filter = QFileDialog.getSaveFileName(
                self, _("Export to Excel"), f"{key}-{start.isoformat()}-{end.isoformat()}.xlsx", "Excel (*.xlsx)")
            if not path:
                return
        dialog = QProgressDialog(_("Writing {file}…").format(file=path), _("Cancel"), 0, max(len(rows), 1), self)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(300)
        self.progress_dialog = dialog
        bridge = _Progress(self)
        bridge.step.connect(dialog.setValue)
        cancelled = {"flag": False}
        dialog.canceled.connect(lambda: cancelled.update(flag=True))

        def progress(n: int) -> None:
            if cancelled["flag"]:
                raise ExportCancelled(_("Export cancelled"))
            bridge.step.emit(n)

        def done(n: int) -> None:
            dialog.reset()
            self.export_button.setEnabled(True)
            self.status.setText(_("{n} rows written to {file}").format(n=n, file=path))

        def failed(error: BaseException) -> None:
            dialog.reset()
            self.export_button.setEnabled(True)
            if isinstance(error, ExportCancelled):
                self.status.setText(str(error))
            else:
                tasks.show_error(self, error)
        self.export_button.setEnabled(False)
        tasks.read(self, lambda: export_xlsx(path, key, rows, start, end, group, progress=progress),
                   on_done=done, on_error=failed)
