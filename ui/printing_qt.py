"""Printing the station's PDFs (receipts, bills) through QPrinter, previewing them, or saving them.

Our receipts are PDF bytes from printing/receipt.py (reportlab, CJK font embedded). Qt's own PDF
module (QtPdf) is not part of PySide6-Essentials, so the pages are rendered with pypdfium2
(PDFium, wheels for Windows, Linux and macOS, no external program) at the printer's resolution
and painted onto the QPrinter page by page. QPainter on a QPrinter may be used from a worker
thread, so print_pdf() runs through ui.tasks like any other I/O.

Where a receipt goes is the station setting station.printer:
    ""      save the PDF and show a print preview (the cashier prints from there)
    "PDF"   only save the PDF (the file path is shown)
    NAME    print on that printer (the PDF is saved as well, as a record of what was printed)
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from PySide6.QtCore import QObject, QRectF, QSizeF, Signal
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPainter
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

from models.errors import StationError
from resources.i18n import _

PREVIEW, SAVE_ONLY = "preview", "pdf"
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
    env = os.environ.get("METERSTATION_RECEIPT_DIR")
    if env:
        folder = Path(env)
    else:
        try:
            import platformdirs

            folder = Path(platformdirs.user_data_dir("MeterStation", appauthor=False)) / "receipts"
        except ImportError:   # pragma: no cover
            folder = Path(tempfile.gettempdir()) / "MeterStation-receipts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _document(pdf: bytes | str | os.PathLike):
    try:
        import pypdfium2 as pdfium
    except ImportError as e:   # pragma: no cover - a packaging fault
        raise StationError(_("Printing needs the pypdfium2 package; the PDF was saved instead")) from e
    data = pdf if isinstance(pdf, bytes) else Path(pdf).read_bytes()
    return pdfium.PdfDocument(data)


def page_images(pdf: bytes | str | os.PathLike, dpi: int = 200) -> list[QImage]:
    """Every page rendered to a QImage at `dpi` (for preview and printing)."""
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
    doc = _document(pdf)
    try:
        return [(doc[i].get_width() / 72 * 25.4, doc[i].get_height() / 72 * 25.4) for i in range(len(doc))]
    finally:
        doc.close()


def paint_pages(printer: QPrinter, pdf: bytes | str | os.PathLike) -> int:
    """Paint every page of the PDF onto `printer`, one printer page each; returns the page count."""
    sizes = page_sizes_mm(pdf)
    if not sizes:
        return 0
    w, h = sizes[0]
    printer.setPageSize(QPageSize(QSizeF(w, h), QPageSize.Unit.Millimeter, "", QPageSize.SizeMatchPolicy.ExactMatch))
    printer.setPageOrientation(QPageLayout.Orientation.Portrait)
    printer.setFullPage(True)
    dpi = max(min(printer.resolution(), 300), 96)
    images = page_images(pdf, dpi)
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


def print_pdf(pdf: bytes | str | os.PathLike, printer_name: str, *, copies: int = 1,
              output_file: str | None = None) -> int:
    """Print the PDF on `printer_name` (output_file: Qt's PDF output instead, for tests)."""
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


def preview(parent, pdf_path: str | os.PathLike):
    """A non-modal print preview of the PDF; printing from it goes to the chosen printer."""
    from PySide6.QtPrintSupport import QPrintPreviewDialog

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    dlg = QPrintPreviewDialog(printer, parent)
    dlg.setWindowTitle(_("Print preview") + " — " + Path(pdf_path).name)
    dlg.paintRequested.connect(lambda p: paint_pages(p, pdf_path))
    dlg.open()
    return dlg


class ReceiptOutput(QObject):
    """Saves a stored receipt as PDF and prints or previews it, off the GUI thread.

        out = ReceiptOutput(session, parent_widget)
        out.written.connect(lambda path: ...)
        out.output("00000012")                # after a sale
        out.output("00000012", reprint=True)  # 重打: counted and logged, marked as a copy
    """

    written = Signal(str)

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

        def job():
            info = receipts.reprint(s.db, s.actor, number) if reprint else receipts.load(s.db, number)
            suffix = f"-copy{info.reprints}" if reprint else ""
            folder = receipt_folder()
            path = folder / f"{info.number}-{info.kind}{suffix}.pdf"
            receipts.write_pdf(s.db, info, str(path), copy=reprint)
            dest = destination(str(settings.get_local("station.printer") or ""))
            if dest not in (PREVIEW, SAVE_ONLY):
                print_pdf(path, dest)
            return str(path), dest

        run = safe.write if reprint else safe.read
        run(self.parent_widget, job, on_done=self._done)

    def _done(self, result) -> None:
        path, dest = result
        self.last_path = path
        if dest == PREVIEW and self.show_preview:
            self.dialogs = [d for d in self.dialogs if d.isVisible()] + [preview(self.parent_widget, path)]
        self.written.emit(path)
