"""Printing postpaid bills the way receipts are printed (ui/printing_qt.py): the PDF is saved in
the bills folder, then previewed, only saved, or sent to the printer named by station.printer.

    out = BillOutput(session, parent_widget)
    out.written.connect(lambda path: ...)
    out.output("000012", "2026-10")      # the first print is the original; later ones counted copies

The bill is gathered, logged (issue or reprint), written and its pages rendered off the GUI
thread, through the single writer (billing/bill_print.py does the counting and the rights check);
the preview and the painting onto a printer happen on the GUI thread (ui/printing_qt.py says why).
"""
from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import QObject, Signal

from models.errors import StationError
from ui.printing_qt import PREVIEW, PREVIEW_DPI, PRINT_DPI, SAVE_ONLY, RenderedPages, destination, preview, print_pdf


class BillOutput(QObject):
    written = Signal(str)
    failed = Signal(str)

    def __init__(self, session, parent) -> None:
        super().__init__(parent)
        self.session = session
        self.parent_widget = parent
        self.show_preview = True          # tests switch the preview dialog off
        self.last_path: str | None = None
        self.last_copy = False
        self.dialogs: list = []

    def output(self, account: str, month: str, on_done=None) -> None:
        from billing import bill_print
        from models import settings
        from ui.widgets import counter_tasks as safe

        s = self.session
        dest = destination(str(settings.get_local("station.printer") or ""))
        preview_wanted = dest == PREVIEW and self.show_preview

        def job():
            printed = bill_print.print_bill(s.db, s.actor, account, month)
            path = bill_print.bill_folder() / printed.file_name
            bill_print.write_pdf(printed, path)
            pages = None
            if preview_wanted or dest not in (PREVIEW, SAVE_ONLY):
                pages = RenderedPages.render(path, PREVIEW_DPI if dest == PREVIEW else PRINT_DPI)
            return str(path), dest, printed.copy, pages

        def done(result) -> None:
            self._done(result)
            if on_done is not None:
                on_done(result)
        def error(e: BaseException) -> None:
            from ui import tasks

            tasks.show_error(self.parent_widget, e)
            self.failed.emit(str(e))
        safe.write(self.parent_widget, job, on_done=done, on_error=error)

    def _done(self, result) -> None:
        from ui import tasks

        path, dest, copy, pages = result
        self.last_path, self.last_copy = path, copy
        if dest == PREVIEW and pages is not None:
            self.dialogs = [d for d in self.dialogs if shiboken6.isValid(d) and d.isVisible()]
            self.dialogs.append(preview(self.parent_widget, pages, Path(path).name))
        elif dest not in (PREVIEW, SAVE_ONLY) and pages is not None:
            try:
                print_pdf(pages, dest)
            except StationError as e:
                tasks.show_error(self.parent_widget, e)
        self.written.emit(path)
