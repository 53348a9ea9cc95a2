"""Printing the station's PDFs (receipts, bills) through QPrinter, previewing them, or saving them.

Our receipts are PDF bytes from printing/receipt.py (reportlab, CJK font embedded). Qt's own PDF
module (QtPdf) is not part of PySide6-Essentials, so the pages are rendered with pypdfium2
(PDFium, wheels for Windows, Linux and macOS, no external program) at the printer's resolution
and painted onto the QPrinter page by page.

Threads and lifetimes (a sale used to crash the station in the preview):
- PDFium is not thread-safe (pypdfium2's documentation), so every use of it holds _PDFIUM; the
  pages are rendered to QImages off the GUI thread (QImage is safe there).
- Everything of Qt's print support (QPrinter, QPrinterInfo, QPainter on a printer, the preview)
  runs on the GUI thread only: Qt documents QPainter on a QPrinter in threads, but its print
  support plugin and the CUPS printer list are lazily created globals shared with the preview on
  the GUI thread. A worker does the I/O (database, PDF file, rendering); the GUI thread paints.
- The preview's QPrinter belongs to the dialog (created and deleted by the dialog in C++): a
  QPrinter owned by a Python local was freed when preview() returned while the dialog still
  painted its pages from it (segfault in QPicture::play 1-6 s later). The dialog deletes itself
  on close.

Where a receipt goes is the station setting station.printer:
    ""      save the PDF and show a print preview (the cashier prints from there)
    "PDF"   only save the PDF (the file path is shown)
    NAME    print on that printer (the PDF is saved as well, as a record of what was printed)
"""
from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

import shiboken6
from PySide6.QtCore import QObject, QRectF, QSizeF, Qt, Signal
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPainter
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

from models.errors import StationError
from resources.i18n import _

PREVIEW, SAVE_ONLY = "preview", "pdf"
# 200 dpi: above a dot-matrix printer's 180 dpi and a thermal printer's 203 dpi; painting the three
# parts at 200 dpi takes ~90 ms on the GUI thread (300 dpi: ~150 ms, 2 shared cores)
PRINT_DPI, PREVIEW_DPI = 200, 200
_PDFIUM = threading.Lock()          # PDFium is not thread-safe
_FORMATS = {"RGB": QImage.Format.Format_RGB888, "RGBA": QImage.Format.Format_RGBA8888,
            "RGBX": QImage.Format.Format_RGBX8888, "L": QImage.Format.Format_Grayscale8}


def destination(printer_setting: str) -> str:
    """"preview", "pdf" or the printer name, from the station.printer setting."""
    name = (printer_setting or "").strip()
    if not name:
        return PREVIEW
    if name.upper() == "PDF":
        return SAVE_ONLY
    return name


def receipt_folder() -> Path:
    """Where printed receipts are saved (METERSTATION_RECEIPT_DIR, else <data>/receipts)."""
    from models.station_paths import receipt_dir

    folder = receipt_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def free_receipt_path(folder: Path, stem: str) -> Path:
    """<stem>.pdf in the receipts folder, or <stem>-2.pdf, -3 … when that name is taken (claimed
    with an exclusive create): a kept receipt is never replaced. Receipt numbers are unique in one
    database, not in the folder: a demo (its own temporary database, the user's data folder) or a
    restored older backup numbers again from where its database stands, and its 00000556-sale.pdf
    replaced the station's own (found in the real-window walk). As the CLI's receipt_target does."""
    n = 1
    while True:
        target = folder / (f"{stem}.pdf" if n == 1 else f"{stem}-{n}.pdf")
        try:
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            return target
        except FileExistsError:
            n += 1


def _document(pdf: bytes | str | os.PathLike):
    try:
        import pypdfium2 as pdfium
    except ImportError as e:   # pragma: no cover - a packaging fault
        raise StationError(_("Printing needs the pypdfium2 package; the PDF was saved instead")) from e
    data = pdf if isinstance(pdf, bytes) else Path(pdf).read_bytes()
    return pdfium.PdfDocument(data)


def page_images(pdf: bytes | str | os.PathLike, dpi: int = 200) -> list[QImage]:
    """Every page rendered to a QImage at `dpi` (for preview and printing)."""
    with _PDFIUM:
        return _page_images(pdf, dpi)


def _page_images(pdf, dpi: int) -> list[QImage]:
    doc = _document(pdf)
    images = []
    try:
        for i in range(len(doc)):
            page = doc[i]
            bitmap = page.render(scale=dpi / 72, rev_byteorder=True)    # RGBA/RGBX bytes
            w, h = bitmap.width, bitmap.height
            fmt = _FORMATS.get(bitmap.mode)
            if fmt is None:   # pragma: no cover - PDFium gave a mode we did not ask for
                raise StationError(_("The PDF page could not be rendered for printing"))
            img = QImage(bytes(bitmap.buffer), w, h, bitmap.stride, fmt).copy()
            img.setDotsPerMeterX(round(dpi / 0.0254))
            img.setDotsPerMeterY(round(dpi / 0.0254))
            images.append(img)
            bitmap.close()
            page.close()
    finally:
        doc.close()
    return images


def page_sizes_mm(pdf: bytes | str | os.PathLike) -> list[tuple[float, float]]:
    with _PDFIUM:
        doc = _document(pdf)
        try:
            return [(doc[i].get_width() / 72 * 25.4, doc[i].get_height() / 72 * 25.4) for i in range(len(doc))]
        finally:
            doc.close()


class RenderedPages:
    """A PDF rendered for printing: the page sizes (mm) and one QImage per page. Made on any
    thread (render()); painted on the GUI thread (paint())."""

    def __init__(self, sizes_mm: list[tuple[float, float]], images: list[QImage]) -> None:
        self.sizes_mm = sizes_mm
        self.images = images

    @classmethod
    def render(cls, pdf: bytes | str | os.PathLike, dpi: int = PRINT_DPI) -> RenderedPages:
        data = pdf if isinstance(pdf, bytes) else Path(pdf).read_bytes()
        return cls(page_sizes_mm(data), page_images(data, dpi))

    def paint(self, printer: QPrinter) -> int:
        return paint_images(printer, self.sizes_mm, self.images)


def paint_pages(printer: QPrinter, pdf: bytes | str | os.PathLike) -> int:
    """Paint every page of the PDF onto `printer`, one printer page each; returns the page count."""
    sizes = page_sizes_mm(pdf)
    if not sizes:
        return 0
    dpi = max(min(printer.resolution(), PRINT_DPI), 96)
    return paint_images(printer, sizes, page_images(pdf, dpi))


def paint_images(printer: QPrinter, sizes: list[tuple[float, float]], images: list[QImage]) -> int:
    """Paint pre-rendered pages onto `printer` (GUI thread), the paper the size of the first page."""
    if not sizes or not images:
        return 0
    w, h = sizes[0]
    printer.setPageSize(QPageSize(QSizeF(w, h), QPageSize.Unit.Millimeter, "", QPageSize.SizeMatchPolicy.ExactMatch))
    printer.setPageOrientation(QPageLayout.Orientation.Portrait)
    printer.setFullPage(True)
    painter = QPainter()
    if not painter.begin(printer):
        raise StationError(_("The printer {name} could not be opened").format(name=printer.printerName() or "PDF"))
    try:
        for i, img in enumerate(images):
            if i:
                printer.newPage()
            target = QRectF(printer.pageLayout().fullRectPixels(printer.resolution()))
            painter.drawImage(target, img)
    finally:
        painter.end()
    return len(images)


def printer_names() -> list[str]:
    return [p.printerName() for p in QPrinterInfo.availablePrinters()]


def print_pdf(pdf: bytes | str | os.PathLike | RenderedPages, printer_name: str, *, copies: int = 1,
              output_file: str | None = None) -> int:
    """Print the PDF (or its pages rendered off-thread) on `printer_name` (output_file: Qt's PDF
    output instead, for tests). GUI thread only."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    if output_file:
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(output_file)
    else:
        if printer_name not in printer_names():
            raise StationError(_("There is no printer {name} on this computer").format(name=printer_name))
        printer.setPrinterName(printer_name)
    printer.setCopyCount(max(copies, 1))
    printer.setDocName("MeterStation")
    if isinstance(pdf, RenderedPages):
        return pdf.paint(printer)
    return paint_pages(printer, pdf)


def save_pdf(pdf: bytes, name: str) -> Path:
    """Write the PDF bytes into the receipt folder atomically; returns the file."""
    folder = receipt_folder()
    target = folder / name
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".pdf")
    with os.fdopen(fd, "wb") as f:
        f.write(pdf)
    os.replace(tmp, target)
    return target


def preview(parent, pdf: str | os.PathLike | RenderedPages, title: str | None = None):
    """A non-modal print preview; printing from it goes to the printer chosen there.

    The dialog makes and owns its QPrinter (deleted with the dialog, in C++), keeps the rendered
    pages as an attribute of itself, and deletes itself when closed."""
    from PySide6.QtPrintSupport import QPrintPreviewDialog

    pages = pdf if isinstance(pdf, RenderedPages) else RenderedPages.render(pdf, PREVIEW_DPI)
    dlg = QPrintPreviewDialog(parent)                       # no printer argument: the dialog owns one
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dlg.setWindowTitle(_("Print preview") + (" — " + title if title else
                                              "" if isinstance(pdf, RenderedPages) else " — " + Path(pdf).name))
    dlg.setProperty("pageCount", len(pages.images))
    dlg.pages = pages                                       # lives as long as the dialog's wrapper

    def paint(printer: QPrinter) -> None:
        try:
            pages.paint(printer)
        except StationError as e:       # a printer chosen in the dialog could not be opened
            from ui import tasks

            tasks.show_error(dlg, e)

    dlg.paintRequested.connect(paint)
    keyboard_print(dlg)
    fit_to_screen(dlg, parent)
    dlg.open()
    return dlg


def keyboard_print(dlg) -> None:
    """Ctrl+P (the platform's Print key) prints from the preview: Qt's preview gives none of its
    toolbar buttons a shortcut or Tab focus, so a cashier at the keyboard could look at the
    receipt (the default destination) but not print it. The action is Qt's own (found by its
    text in Qt's translation), so printing goes through the dialog's printer dialog as a click does."""
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtGui import QAction, QKeySequence

    text = QCoreApplication.translate("QPrintPreviewDialog", "Print")
    for action in dlg.findChildren(QAction):
        if action.text() == text:
            action.setShortcut(QKeySequence(QKeySequence.StandardKey.Print))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)      # it sits in the toolbar
            return


def fit_to_screen(dlg, parent) -> None:
    """A dialog no larger than the available screen (a 1366x768 counter PC), centred on it."""
    screen = (parent.screen() if parent is not None else None) or dlg.screen()
    if screen is None:   # pragma: no cover - no screen at all
        return
    area = screen.availableGeometry()
    w = min(max(dlg.sizeHint().width(), 900), area.width() - 40)
    h = min(max(dlg.sizeHint().height(), 600), area.height() - 60)
    dlg.resize(w, h)
    dlg.move(area.x() + (area.width() - w) // 2, area.y() + max((area.height() - h) // 2 - 10, 0))


class ReceiptOutput(QObject):
    """Saves a stored receipt as PDF and prints or previews it.

        out = ReceiptOutput(session, parent_widget)
        out.written.connect(lambda path: ...)
        out.output("00000012")                # after a sale
        out.output("00000012", reprint=True)  # 重打: counted and logged, marked as a copy

    A worker loads the receipt, writes the PDF and renders its pages; the GUI thread then opens
    the preview or paints the pages onto the printer (see the module's notes on threads)."""

    written = Signal(str)
    printed = Signal(str, int)       # printer name, pages sent

    def __init__(self, session, parent) -> None:
        super().__init__(parent)
        self.session = session
        self.parent_widget = parent
        self.show_preview = True          # tests switch the preview dialog off
        self.last_path: str | None = None
        self.dialogs: list = []

    def output(self, number: str, *, reprint: bool = False) -> None:
        from billing import receipts
        from models import settings
        from ui.widgets import counter_tasks as safe

        s = self.session
        dest = destination(str(settings.get_local("station.printer") or ""))
        preview_wanted = dest == PREVIEW and self.show_preview

        def job():
            info = receipts.reprint(s.db, s.actor, number) if reprint else receipts.load(s.db, number)
            suffix = f"-copy{info.reprints}" if reprint else ""
            path = free_receipt_path(receipt_folder(), f"{info.number}-{info.kind}{suffix}")
            try:
                receipts.write_pdf(s.db, info, str(path), copy=reprint)
            except BaseException:
                path.unlink(missing_ok=True)          # the name claimed above, left empty
                raise
            pages = None
            if preview_wanted or dest not in (PREVIEW, SAVE_ONLY):
                pages = RenderedPages.render(path, PREVIEW_DPI if dest == PREVIEW else PRINT_DPI)
            return str(path), dest, pages

        run = safe.write if reprint else safe.read
        run(self.parent_widget, job, on_done=self._done)

    def _done(self, result) -> None:
        from ui import tasks

        path, dest, pages = result
        self.last_path = path
        if dest == PREVIEW and pages is not None:
            self.dialogs = [d for d in self.dialogs if shiboken6.isValid(d) and d.isVisible()]
            self.dialogs.append(preview(self.parent_widget, pages, Path(path).name))
        elif dest not in (PREVIEW, SAVE_ONLY) and pages is not None:
            try:
                sent = print_pdf(pages, dest)
            except StationError as e:
                tasks.show_error(self.parent_widget, e)
            else:
                self.printed.emit(dest, sent)
        self.written.emit(path)
