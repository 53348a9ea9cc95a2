"""Settings → Operation log: search, verify the hash chain, export.

Actions and details are shown in words (ui.pages.log_words); the filters are read from the
widgets on the GUI thread and handed to the worker as plain values (Qt widgets are not
thread-safe)."""
from __future__ import annotations

from PySide6.QtWidgets import QDateEdit, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from access import log_view
from billing.ledger_words import operator_text
from models import oplog, station_time
from resources.i18n import _
from ui import station_dates, tasks
from ui.pages.base import fill, make_table
from ui.pages.log_words import action_name, codes_named, details_text
from ui.session import StationSession


class LogTab(QWidget):
    def __init__(self, session: StationSession, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.operator, self.action, self.text = QLineEdit(), QLineEdit(), QLineEdit()
        self.operator.setPlaceholderText(_("Operator"))
        self.action.setPlaceholderText(_("Action: its name (售电) or code (login*)"))
        self.text.setPlaceholderText(_("Text in target or details"))
        self.since, self.until = QDateEdit(station_dates.today(-30)), QDateEdit(station_dates.today())
        for d in (self.since, self.until):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
        search, verify, export = QPushButton(_("Search")), QPushButton(_("Verify chain")), QPushButton(_("Export"))
        search.clicked.connect(self.refresh)
        verify.clicked.connect(self.verify)
        export.clicked.connect(self.export)
        self.status = QLabel("")
        bar = QHBoxLayout()
        for w in (self.operator, self.action, self.text, self.since, QLabel("—"), self.until, search, verify, export):
            bar.addWidget(w)
        self.view, self.model = make_table([_("No."), _("Time"), _("Operator"), _("Station"), _("Action"),
                                            _("Target"), _("Details")])
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.view)
        layout.addWidget(self.status)
        if not session.can("log_view"):
            for w in (search, verify, export):
                w.setEnabled(False)

    def _filters(self) -> dict:
        since, until = station_dates.bounds(self.since.date(), self.until.date())     # station days
        action = self.action.text().strip()
        named = None if action.isascii() else codes_named(action)     # typed in words, not as a code
        return dict(operator=self.operator.text().strip() or None, action=(action or None) if named is None else None,
                    actions=named, text=self.text.text().strip() or None, since=since, until=until)

    def _query(self, filters: dict, limit: int | None) -> list[list[object]]:
        """Runs on a worker: `filters` were read from the widgets beforehand."""
        return [[e.seq, station_time.text(e.at), operator_text(e.operator), e.station,
                 action_name(e.action), e.target, details_text(e.details)]
                for e in log_view.search(self.session.db, self.session.actor, limit=limit, **filters)]

    def refresh(self) -> None:
        if self.session.can("log_view"):
            filters = self._filters()
            tasks.read(self, lambda: self._query(filters, 500), on_done=self._show)

    def _show(self, rows) -> None:
        fill(self.model, rows)
        self.view.resizeColumnsToContents()
        self.status.setText(_("{n} rows").format(n=len(rows)))

    def verify(self) -> None:
        def run():
            with self.session.db.read() as s:
                return oplog.verify(s)
        tasks.read(self, run, on_done=lambda r: self.status.setText(
            _("The operation log is intact: {n} rows").format(n=r.rows) if r.ok else
            _("The operation log is broken at row {seq}").format(seq=r.bad_seq)))

    def export(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(self, _("Export"), "oplog.xlsx", "Excel (*.xlsx);;CSV (*.csv)")
        if not path:
            return
        filters = self._filters()

        def in_words(s, target, **filters) -> int:      # the writer the service runs after its check
            from printing.oplog_export import LocalTime, export_rows

            local = LocalTime(station_time.zone())          # the station's clock, one offset look-up an hour
            return export_rows(target, ([seq, local(at).replace("T", " "), operator_text(op),
                                         station, action_name(action), target_, details_text(details)]
                                        for seq, at, op, station, action, target_, details
                                        in oplog.search_rows(s, **filters)))

        def run():          # streamed from the cursor to the file: a year of log in flat memory
            return log_view.export(self.session.db, self.session.actor, path, write=in_words, **filters)
        tasks.read(self, run, on_done=lambda n: self.status.setText(
            _("{n} log rows written to {file}").format(n=n, file=path)))

