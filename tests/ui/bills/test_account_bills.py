"""A postpaid account's bills on the accounts page, printed from the window: the original, then
a counted copy; the PDF read back with pdftotext; hidden for prepaid accounts; rights."""
from __future__ import annotations

import sqlalchemy as sa

from models.oplog import OpLogEntry
from resources import i18n
from tests.billing import factories
from tests.billing.bills.conftest import bill, local, pdf_text, postpaid
from tests.ui.counter.conftest import login_as
from ui.main_window import MainWindow
from ui.session import StationSession


def _page(qtbot, db, actor):
    win = MainWindow(StationSession(db, actor, "T"))
    qtbot.addWidget(win)
    win.show()
    win.nav.setCurrentRow(1)
    page = win.page("accounts")
    page.printer.show_preview = False
    page.bills.output.show_preview = False
    return win, page


def _select(qtbot, page, number):
    if not any(h.number == number for h in page.hits):
        page.refresh()
        qtbot.waitUntil(lambda: any(h.number == number for h in page.hits), timeout=5000)
    page.select(number)
    qtbot.waitUntil(lambda: page.card is not None and page.card.number == number, timeout=5000)


def _logged(db, action):
    with db.read() as s:
        return s.execute(sa.select(OpLogEntry.operator).where(OpLogEntry.action == action)).scalars().all()


def test_postpaid_bill_prints_and_reprints_from_the_account_page(qtbot, station):
    db, root = station
    i18n.set_language("zh_CN")
    acc = postpaid(db, root)
    prepaid = factories.account(db, root)
    bill(db, root, acc, "2026-10", {acc.meters[0]: "160"}, local(2026, 10, 25, 8))
    bill(db, root, acc, "2026-11", {acc.meters[0]: "175.5"}, local(2026, 11, 25, 8))
    _win, page = _page(qtbot, db, root)
    panel = page.bills

    _select(qtbot, page, prepaid.number)
    assert not panel.isVisibleTo(page)
    _select(qtbot, page, acc.number)
    qtbot.waitUntil(lambda: len(panel.bills) == 2, timeout=5000)
    assert panel.isVisibleTo(page)
    assert [b.month for b in panel.bills] == ["2026-11", "2026-10"]
    assert panel.print_button.isEnabled() and panel.print_button.text() == "打印账单"

    with qtbot.waitSignal(panel.output.written, timeout=15000) as got:
        panel.print_button.click()
    path = got.args[0]
    assert path.endswith(f"B202611-{acc.number}.pdf") and not panel.output.last_copy
    text = pdf_text(path)
    for needle in ("缴费通知单", "2026-11", "160.00", "175.50", "15.50", "应缴金额", "¥37.75"):  # 30.00 + 7.75
        assert needle in text, needle
    assert "重打" not in text
    qtbot.waitUntil(lambda: panel.bills and panel.bills[0].issued, timeout=5000)
    assert panel.print_button.text() == "重打账单（副本）"

    with qtbot.waitSignal(panel.output.written, timeout=15000) as got:
        panel.print_button.click()
    assert got.args[0].endswith(f"B202611-{acc.number}-copy1.pdf") and panel.output.last_copy
    assert "重打 #1" in pdf_text(got.args[0])
    qtbot.waitUntil(lambda: panel.bills and panel.bills[0].reprints == 1, timeout=5000)
    assert (_logged(db, "bill.issue"), _logged(db, "bill.reprint")) == (["root"], ["root"])


def test_an_operator_without_the_receipt_right_cannot_print(qtbot, station):
    db, root = station
    acc = postpaid(db, root)
    bill(db, root, acc, "2026-10", {acc.meters[0]: "160"}, local(2026, 10, 25, 8))
    viewer = login_as(db, root, "vie", "viewer")
    _win, page = _page(qtbot, db, viewer)
    _select(qtbot, page, acc.number)
    qtbot.waitUntil(lambda: len(page.bills.bills) == 1, timeout=5000)
    assert not page.bills.print_button.isEnabled()
    assert _logged(db, "bill.issue") == []
