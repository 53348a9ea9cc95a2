"""Printing a report: the rows shown become a PDF (billing.reports.catalog.report_pdf, reportlab,
CJK font embedded) and its pages are rendered in a worker; the GUI thread opens the print
preview (ui.printing_qt.preview), from which the user prints on any printer.

    printer = ReportPrinter(page)
    printer.show("sale_records", "", start, end, rows, filters=[("操作员", "cas")])
    printer.show_preview = False       # tests: make the PDF only
    printer.last_pdf                   # the bytes of the last PDF
"""
from __future__ import annotations

from datetime import date

import shiboken6
from PySide6.QtCore import QObject, Signal

from models.errors import InvalidInput
from resources.i18n import _
from ui import tasks

MAX_ROWS = 1000         # about 25 A4 pages; each previewed page is a ~12 MB image at 200 dpi


class ReportPrinter(QObject):
    ready = Signal(object)              # the preview dialog (None without preview)

    def __init__(self, parent) -> None:
        super().__init__(parent)
        self.parent_widget = parent
        self.show_preview = True
        self.last_pdf: bytes | None = None
        self.dialogs: list = []

    def show(self, key: str, group: str, start: date, end: date, rows: list, *,
             filters: list[tuple[str, str]] = ()) -> None:
        from billing.reports.catalog import REPORTS, report_pdf
        from models import settings
        from ui.printing_qt import PREVIEW_DPI, RenderedPages

        if len(rows) > MAX_ROWS:
            tasks.show_error(self.parent_widget, InvalidInput(
                _("{n} rows are too many to print (at most {max}); narrow the filters or export to Excel").format(
                    n=len(rows), max=MAX_ROWS)))
            return
        db = self.parent_widget.session.db
        title = _(REPORTS[key].title)
        want_preview = self.show_preview
        filters = list(filters)

        def job():
            company = str(settings.get(db, "company.name") or "")
            pdf = report_pdf(key, rows, start, end, group, filters=filters, company=company)
            return pdf, (RenderedPages.render(pdf, PREVIEW_DPI) if want_preview else None)

        def done(result) -> None:
            from ui.printing_qt import preview

            pdf, pages = result
            self.last_pdf = pdf
            dlg = None
            if pages is not None:
                self.dialogs = [d for d in self.dialogs if shiboken6.isValid(d) and d.isVisible()]
                dlg = preview(self.parent_widget, pages, title)
                self.dialogs.append(dlg)
            self.ready.emit(dlg)
        tasks.read(self.parent_widget, job, on_done=done)
