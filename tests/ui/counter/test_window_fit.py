"""The main window fits the smallest common counter screen (1366x768, less a task bar) with every
page shown, the counter needs no scrolling there (refund/reversal/reprint, key hints and status
bar on screen), and the window's geometry is remembered in the station's config folder."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint

from models import settings
from resources import i18n
from tests.ui.counter.test_counter import _account, _find
from ui.main_window import MainWindow
from ui.session import StationSession


def _main(qtbot, db, root, demo=True):
    win = MainWindow(StationSession(db, root, "T", demo=demo))
    qtbot.addWidget(win)
    win.show()
    return win


def test_minimum_size_fits_1366x740_on_every_page(qtbot, station):
    i18n.set_language("zh_CN")
    db, root = station
    win = _main(qtbot, db, root)
    for i in range(len(win.pages)):
        win.nav.setCurrentRow(i)
        qtbot.wait(50)
        hint = win.minimumSizeHint()
        assert hint.width() <= 1366 and hint.height() <= 740, (win.pages[i].key, hint)
        assert win.minimumSize().width() <= 1366 and win.minimumSize().height() <= 740


def test_counter_needs_no_scrolling_at_1366x768(qtbot, station):
    i18n.set_language("zh_CN")
    db, root = station
    acc = _account(db, root)
    win = _main(qtbot, db, root)
    win.resize(1366, 768 - 30)                            # a screen less its task bar
    page = win.page("counter")
    page.printer.show_preview = False
    _find(qtbot, page, "1111", acc.number)
    qtbot.wait(100)
    scroll = win.stack.currentWidget()
    assert not scroll.verticalScrollBar().isVisible() and not scroll.horizontalScrollBar().isVisible()
    bottom = win.rect().bottom()
    for b in (page.receipts.refund_button, page.receipts.reverse_button, page.receipts.reprint_button):
        assert b.isVisible() and b.mapTo(win, QPoint(0, b.height())).y() <= bottom, b.text()
    status = win.statusBar()
    assert status.isVisible() and status.mapTo(win, QPoint(0, status.height())).y() <= bottom + 1


def test_a_page_taller_than_the_window_scrolls(qtbot, station):
    db, root = station
    win = _main(qtbot, db, root)
    win.resize(900, 500)
    win.nav.setCurrentRow(len(win.pages) - 1)           # settings: the overview lists every setting
    qtbot.waitUntil(lambda: win.stack.currentWidget().verticalScrollBar().isVisible(), timeout=3000)
    assert win.height() <= 500 + 1


def test_geometry_is_remembered_in_the_config_folder(qtbot, station):
    db, root = station
    win = _main(qtbot, db, root, demo=False)
    win.resize(700, 520)                                  # within the offscreen screen (800x600)
    win.close()
    assert (settings.config_dir() / "window.ini").exists()
    again = _main(qtbot, db, root, demo=False)
    assert (again.width(), again.height()) == (700, 520)
    again.close()
    demo = _main(qtbot, db, root)                        # the demo neither uses nor writes it
    assert (demo.width(), demo.height()) != (700, 520)


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_no_page_scrolls_sideways_in_the_default_1280_wide_window(qtbot, station, lang):
    """The window opens 1280 wide on a 1366 × 768 screen. The meters page's state chips, view
    buttons and shown-count in one row made the page wider than that: it was cut off at the
    right and scrolled sideways (seen in the real window)."""
    i18n.set_language(lang)
    db, root = station
    win = _main(qtbot, db, root)
    win.resize(1280, 768 - 30)
    for i, page in enumerate(win.pages):
        win.nav.setCurrentRow(i)
        qtbot.wait(50)
        scroll = win.stack.currentWidget()
        assert not scroll.horizontalScrollBar().isVisible(), (page.key, scroll.widget().minimumSizeHint())
