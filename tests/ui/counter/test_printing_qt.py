"""ui.printing_qt: receipt PDFs rendered (pypdfium2) onto QPrinter pages at the paper's size,
the station.printer setting (preview / PDF only / a printer), the non-modal print preview."""
from __future__ import annotations

import subprocess
from datetime import datetime
from decimal import Decimal

import pytest
from PySide6.QtGui import QImage

from printing.receipt import ReceiptData, render_receipt_pdf
from ui import printing_qt


def _pdf() -> bytes:
    return render_receipt_pdf(ReceiptData(kind="sale", receipt_no="00000042", printed_at=datetime.now().astimezone(),
                                          operator="root", amount=Decimal("12.50"), balance_after=Decimal("20.00"),
                                          customer="张三"))


def test_destination():
    assert printing_qt.destination("") == printing_qt.PREVIEW
    assert printing_qt.destination(" pdf ") == printing_qt.SAVE_ONLY
    assert printing_qt.destination("EPSON LQ-630K") == "EPSON LQ-630K"


def test_pages_are_painted_at_the_paper_size(qapp, tmp_path):
    out = tmp_path / "printed.pdf"
    assert printing_qt.print_pdf(_pdf(), "", output_file=str(out)) == 3
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    assert "Pages:           3" in info and "683 x 264 pts" in info           # 241 x 93 mm
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(out), str(tmp_path / "p")], check=True)
    img = QImage(str(next(tmp_path.glob("p*.png"))))
    dark = sum(1 for x in range(img.width()) for y in range(img.height())
               if img.pixelColor(x, y).lightness() < 128)
    assert dark > 200                                      # the receipt is on the page, not a blank sheet


def test_unknown_printer_is_one_clear_error(qapp):
    from models.errors import StationError

    with pytest.raises(StationError, match="no printer"):
        printing_qt.print_pdf(_pdf(), "No Such Printer 123")


def test_preview_opens_without_blocking(qtbot, tmp_path):
    path = tmp_path / "r.pdf"
    path.write_bytes(_pdf())
    dlg = printing_qt.preview(None, path)
    qtbot.addWidget(dlg)
    qtbot.waitUntil(dlg.isVisible, timeout=5000)
    dlg.close()


def test_preview_outlives_the_call_that_made_it(qtbot, tmp_path):
    """The preview's pages are painted long after preview() returned (the crash of issue 16:
    its QPrinter was a Python local, freed at return, and the dialog painted from freed memory)."""
    import gc

    import shiboken6
    from PySide6.QtWidgets import QWidget

    path = tmp_path / "r.pdf"
    path.write_bytes(_pdf())
    parent = QWidget()
    qtbot.addWidget(parent)
    dlg = printing_qt.preview(parent, path)
    qtbot.waitUntil(dlg.isVisible, timeout=5000)
    gc.collect()
    for _ in range(3):                         # repaint the pages again and again, as the dialog does
        qtbot.wait(200)
        image = dlg.grab().toImage()
        assert image.width() > 300
    dark = sum(1 for x in range(0, image.width(), 4) for y in range(0, image.height(), 4)
               if image.pixelColor(x, y).lightness() < 100)
    assert dark > 50                           # the receipt is drawn in the preview, not an empty page
    assert dlg.property("pageCount") == 3
    dlg.close()                                # deletes itself, with its printer
    qtbot.waitUntil(lambda: not shiboken6.isValid(dlg), timeout=5000)


def test_preview_fits_a_1366x768_screen(qtbot, tmp_path):
    path = tmp_path / "r.pdf"
    path.write_bytes(_pdf())
    dlg = printing_qt.preview(None, path)
    qtbot.addWidget(dlg)
    area = dlg.screen().availableGeometry()
    assert dlg.width() <= area.width() and dlg.height() <= area.height()
    dlg.close()


def test_pages_rendered_in_threads_at_once(qapp):
    """PDFium is not thread-safe: renders from several threads at once go through one lock."""
    from concurrent.futures import ThreadPoolExecutor

    data = _pdf()
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _i: printing_qt.RenderedPages.render(data, 100), range(8)))
    assert all(len(r.images) == 3 and r.images[0].width() == results[0].images[0].width() for r in results)


def test_the_preview_prints_with_ctrl_p(qtbot, tmp_path):
    """Found walking the counter with the keyboard only: the receipt preview (the default
    destination) had no key that prints - none of Qt's toolbar buttons takes a shortcut or Tab
    focus. Ctrl+P now triggers the preview's own Print action (its printer dialog, as a click)."""
    from PySide6.QtCore import QCoreApplication, Qt, QTimer
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QApplication

    path = tmp_path / "r.pdf"
    path.write_bytes(_pdf())
    dlg = printing_qt.preview(None, path)              # deletes itself on close (not qtbot's to close)
    qtbot.waitUntil(dlg.isVisible, timeout=5000)
    dlg.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dlg, timeout=5000)
    [print_action] = [a for a in dlg.findChildren(QAction)
                      if a.text() == QCoreApplication.translate("QPrintPreviewDialog", "Print")]
    fired = []
    print_action.triggered.connect(lambda *_a: fired.append(True))

    def close_the_printer_dialog() -> None:          # the print dialog Qt opens is modal: cancel it
        modal = QApplication.activeModalWidget()
        if modal is not None and modal is not dlg:
            modal.reject()
        elif not fired:
            QTimer.singleShot(50, close_the_printer_dialog)

    QTimer.singleShot(50, close_the_printer_dialog)
    qtbot.keyClick(dlg, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bool(fired), timeout=5000)
    dlg.close()
