"""Reports (报表): choose a report, a date range and a grouping; see a table, a bar chart where
a picture helps, export to Excel off the GUI thread with a progress bar, and print (a PDF of the
table rendered in a worker, shown in a print preview on the GUI thread).

Choosing another report or grouping runs it again, so the table, the chart, Export and Print
always show the chosen report (a late answer of an earlier choice is dropped). The sales
records (售电记录) have a filter bar and their totals per kind under the table.

Every report is declared once in billing/reports/catalog.py (the CLI uses the same table). The
query runs through ui.tasks.read; the export writes the rows already shown, in a worker, and
reports progress through a queued signal, so the window stays live; cancelling removes the
half-written file.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, QObject, QStandardPaths, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressDialog,
    QPushButton,
    QSplitter,
    QTableView,
)

from billing.reports.catalog import (
    GROUP_LABELS,
    REPORTS,
    chart_value,
    export_title,
    export_xlsx,
    report_summary,
)
from models.errors import StationError
from resources.i18n import _
from ui import station_dates, tasks
from ui.pages.base import Page
from ui.pages.report_chart import ReportChart, fill_days
from ui.pages.report_filters import RecordFilterBar
from ui.pages.report_print import ReportPrinter
from ui.pages.report_table import ReportTableModel

__all__ = ["ReportChart", "ReportsPage"]


class ExportCancelled(StationError):
    """The operator cancelled an export (the partial file is removed)."""


class _Progress(QObject):
    step = Signal(int)


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
        today = station_dates.today()              # the station's month so far
        self.since, self.until = QDateEdit(QDate(today.year(), today.month(), 1)), QDateEdit(today)
        for d in (self.since, self.until):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
        self.run_button, self.export_button = QPushButton(_("Show")), QPushButton(_("Export to Excel"))
        self.print_button = QPushButton(_("Print…"))
        self.run_button.clicked.connect(self.run)
        self.export_button.clicked.connect(lambda: self.export())
        self.print_button.clicked.connect(lambda: self.print_report())
        self.export_button.setEnabled(False)
        self.print_button.setEnabled(False)
        self.report.currentIndexChanged.connect(self._report_changed)
        self.group.currentIndexChanged.connect(self._group_changed)
        bar = QHBoxLayout()
        for w in (QLabel(_("Report")), self.report, self.group, QLabel(_("From")), self.since, QLabel(_("To")),
                  self.until, self.run_button, self.export_button, self.print_button):
            bar.addWidget(w)
        bar.addStretch(1)
        self.layout_.addLayout(bar)
        self.filters = RecordFilterBar(session, self)
        self.layout_.addWidget(self.filters)
        self.printer = ReportPrinter(self)
        self.last_dir = ""
        self._seq = 0
        self._switching = False
        self.model = ReportTableModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setVisible(False)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.horizontalHeader().setResizeContentsPrecision(200)   # fit columns to the first rows only
        self.chart = ReportChart()
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.view)
        split.addWidget(self.chart)
        split.setSizes([500, 220])
        self.layout_.addWidget(split, 1)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.layout_.addWidget(self.summary)
        self.status = QLabel("")
        self.layout_.addWidget(self.status)
        self.shown: tuple[str, str, date, date, list] | None = None
        self.shown_filters: list[tuple[str, str]] = []
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
        self._switching = True
        try:
            self.group.clear()
            for g in spec.groups:
                self.group.addItem(_(GROUP_LABELS.get(g, g)), g)
        finally:
            self._switching = False
        self.group.setVisible(bool(spec.groups))
        self.filters.setVisible(spec.filtered)
        if spec.filtered:
            self.filters.load_places()
        for w in (self.since, self.until):
            w.setEnabled(spec.dated)
        self._stale()

    def _group_changed(self) -> None:
        if not self._switching:
            self._stale()

    def _stale(self) -> None:
        """The shown rows are not the chosen report any more: clear them, and run the chosen one
        (once the page has run a report; before that the first refresh() runs it)."""
        self._seq += 1
        self.shown = None
        self.model.set_table([], [], [], [])
        self.summary.setText("")
        for b in (self.export_button, self.print_button):
            b.setEnabled(False)
        self.chart.setVisible(False)
        if self._started and self.session.can("report_view"):
            self.run()

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
        filters = self.filters.value() if spec.filtered else None
        described = self.filters.described() if spec.filtered else []
        self._started = True
        self._seq += 1
        seq = self._seq
        self.status.setText(_("Working…"))

        def job():
            if spec.filtered:
                rows = spec.run(db, start, end, group, actor, filters=filters)
            else:
                rows = spec.run(db, start, end, group, actor)
            # cells and totals made here, not on the GUI thread
            return rows, spec.table(rows, group), report_summary(spec.key, rows)

        def done(result) -> None:
            if seq == self._seq:                       # else another report was chosen meanwhile
                rows, table, summary = result
                self.show_rows(spec.key, group, start, end, rows, described, table=table, summary=summary)

        def failed(error: BaseException) -> None:
            if seq != self._seq:
                return
            self.status.setText(str(error) if isinstance(error, StationError) else "")
            tasks.show_error(self, error)
        tasks.read(self, job, on_done=done, on_error=failed)

    def show_rows(self, key: str, group: str, start: date, end: date, rows: list,
                  described: list[tuple[str, str]] | None = None, *, table: list | None = None,
                  summary: list[str] | None = None) -> None:
        spec = REPORTS[key]
        cols = spec.cols(group)
        self.shown = (key, group, start, end, rows)
        self.shown_filters = list(described or [])
        self.summary.setText("    ".join(summary if summary is not None else report_summary(key, rows)))
        self.print_button.setEnabled(True)
        cells = table if table is not None else spec.table(rows, group)
        self.model.set_table([_(c.header) for c in cols], [c.kind for c in cols], cells,
                             [i for i, c in enumerate(cols) if c.total])
        self.view.resizeColumnsToContents()
        self.export_button.setEnabled(bool(rows))
        self.status.setText(_("{n} rows").format(n=getattr(rows, "total", len(rows))))
        self.chart.setVisible(spec.chart is not None and bool(rows))
        if spec.chart is not None and rows:
            label_col, value_col = spec.chart
            points = [(str(r[label_col] or "—"), chart_value(r[value_col])) for r in self.model.rows[:400]]
            points = [(k, v) for k, v in points if v is not None]
            if group == "day":
                points = fill_days(points, start, end)
            self.chart.set_bars(points, _(cols[value_col].header))

    # --- export ---------------------------------------------------------------------------
    def export(self, path: str | None = None) -> None:
        if self.shown is None:
            return
        key, group, start, end, rows = self.shown
        if path is None:
            name = f"{key}-{start.isoformat()}-{end.isoformat()}.xlsx"
            path, _filter = QFileDialog.getSaveFileName(
                self, _("Export to Excel"), str(Path(self.start_folder()) / name), "Excel (*.xlsx)")
            if not path:
                return
            if not path.lower().endswith(".xlsx"):
                path += ".xlsx"
            self.last_dir = str(Path(path).parent)
        title = export_title(REPORTS[key], start, end, group)
        if self.shown_filters:
            title += "  " + "  ".join(f"{k}: {v}" for k, v in self.shown_filters)
        dialog = QProgressDialog(_("Writing {file}…").format(file=path), _("Cancel"), 0,
                                 max(getattr(rows, "total", len(rows)), 1), self)   # a cut report writes all its rows
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
        db = self.session.db

        def job() -> int:
            from models import settings

            company = str(settings.get(db, "company.name") or "")
            return export_xlsx(path, key, rows, start, end, group, progress=progress, title=title, company=company)
        tasks.read(self, job, on_done=done, on_error=failed)

    def start_folder(self) -> str:
        """Where the save dialog opens: the last folder used, else the user's documents folder."""
        if self.last_dir and Path(self.last_dir).is_dir():
            return self.last_dir
        docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        return docs if docs and Path(docs).is_dir() else str(Path.home())

    # --- print ----------------------------------------------------------------------------
    def print_report(self) -> None:
        """A PDF of the rows shown (title, period, filters, totals), in a print preview."""
        if self.shown is not None:
            self.printer.show(*self.shown, filters=self.shown_filters)
