"""Printing postpaid bills the way receipts are printed (ui/printing_qt.py): the PDF is saved in
the bills folder, then previewed, only saved, or sent to the printer named by station.printer.

    out = BillOutput(session, parent_widget)
    out.written.connect(lambda path: ...)
    out.output("000012", "2026-10")      # the first print is the original; later ones counted copies

The bill is gathered, logged (issue or reprint) and rendered off the GUI thread, through the
single writer (billing/bill_print.py does the counting and the rights check).
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from ui.printing_qt import PREVIEW, SAVE_ONLY, destination, preview, print_pdf


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

        def job():
            printed = bill_print.print_bill(s.db, s.actor, account, month)
            path = bill_print.bill_folder() / printed.file_name
            bill_print.write_pdf(printed, path)
            dest = destination(str(settings.get_local("station.printer") or ""))
            if dest not in (PREVIEW, SAVE_ONLY):
                print_pdf(path, dest)
            return str(path), dest, printed.copy

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
        path, dest, copy = result
        self.last_path, self.last_copy = path, copy
        if dest == PREVIEW and self.show_preview:
            self.dialogs = [d for d in self.dialogs if d.isVisible()] + [preview(self.parent_widget, path)]
        self.written.emit(path)
