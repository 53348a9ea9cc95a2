"""The counter driven offscreen through the real main window: find by typing, sell with the
keyboard, the receipt PDF (three parts, amount, capitals, number), the sales report and its
Excel export, rights (a cashier cannot refund), and a double Enter that sells once."""
from __future__ import annotations

import re
import subprocess
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication

from billing import refunds
from billing.reports import takings as reports
from models.archive import Customer
from models.errors import PermissionDenied
from models.ledger import LedgerEntry
from resources import i18n
from tests.billing import factories
from tests.ui.counter.conftest import login_as
from ui import tasks
from ui.main_window import MainWindow
from ui.session import StationSession


def _account(db, root, name="王小明", phone="13800001111", mode="station-prepaid"):
    rooms = factories.place(db)
    view = factories.account(db, root, name=name, room_id=rooms[0], mode=mode)
    with db.write() as s:
        s.execute(sa.update(Customer).where(Customer.name == name).values(phone=phone))
    return view


def _window(qtbot, db, actor):
    win = MainWindow(StationSession(db, actor, "T"))
    qtbot.addWidget(win)
    win.show()
    page = win.page("counter")
    page.printer.show_preview = False
    return win, page


def type_text(qtbot, widget, text: str) -> None:
    """Type like the cashier: ASCII key by key, Chinese committed by the input method."""
    widget.setFocus()
    if text.isascii():
        qtbot.keyClicks(widget, text)
    else:
        event = QInputMethodEvent("", [])
        event.setCommitString(text)
        QApplication.sendEvent(widget, event)


def _find(qtbot, page, text, number):
    type_text(qtbot, page.search, text)
    qtbot.waitUntil(lambda: any(h.number == number for h in page.hits), timeout=5000)
    qtbot.keyClick(page.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.card is not None and page.card.number == number, timeout=5000)


def _purchases(db, number):
    with db.read() as s:
        return s.execute(sa.select(LedgerEntry).where(LedgerEntry.kind == "purchase")).scalars().all()


def pdf_text(path, page: int | None = None, crop=None) -> str:
    """Text without whitespace (stacked vertical labels read as one word); crop = (x, y, w, h) pt."""
    cmd = ["pdftotext", "-enc", "UTF-8"]
    if page is not None:
        cmd += ["-f", str(page), "-l", str(page)]
    if crop is not None:
        cmd += ["-r", "72"] + [a for k, v in zip("xyWH", crop, strict=True) for a in (f"-{k}", str(int(v)))]
    out = subprocess.run(cmd + [str(path), "-"], capture_output=True, check=True, text=True).stdout
    return re.sub(r"\s+", "", out)


def assert_receipt(path, *needles) -> None:
    """Three plies (存根联 / 客户联 / 记账联, one per page of continuous paper), each with the needles."""
    strip = (683.15 - 14 * 72 / 25.4 - 30, 0, 30, 263)
    for page, ply in enumerate(("第一联存根联", "第二联客户联", "第三联记账联"), 1):
        assert pdf_text(path, page, strip) == ply
        body = pdf_text(path, page)
        for needle in needles:
            assert needle in body, (page, needle)


def test_keyboard_sale_receipt_report_excel(qtbot, station, tmp_path):
    db, root = station
    i18n.set_language("zh_CN")
    acc = _account(db, root)
    win, page = _window(qtbot, db, root)
    qtbot.waitUntil(lambda: page.search.hasFocus(), timeout=3000)
    _find(qtbot, page, "1111", acc.number)                     # by phone
    assert page.card.customer == "王小明" and page.sale.amount.hasFocus()
    qtbot.keyClicks(page.sale.amount, "100")
    qtbot.waitUntil(lambda: page.sale.energy.text() == "200.00", timeout=5000)   # flat 0.50/kWh
    qtbot.keyClick(page.sale.amount, Qt.Key.Key_Tab)
    qtbot.keyClick(page.sale.energy, Qt.Key.Key_Tab)
    assert page.sale.method.hasFocus()
    qtbot.keyClick(page.sale.method, Qt.Key.Key_3)                 # WeChat
    qtbot.keyClick(page.sale.method, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.sale.confirm_box is not None and page.sale.confirm_box.isVisible(), timeout=5000)
    box = page.sale.confirm_box
    assert "¥100.00" in box.text() and "壹佰元整" in box.text()
    qtbot.keyClick(box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.printer.last_path is not None, timeout=10000)
    tasks.wait_idle()
    assert_receipt(page.printer.last_path, "¥100.00", "壹佰元整", "收据号：00000001", "王小明", "微信支付")
    qtbot.waitUntil(lambda: page.card.balance == Decimal("100.00"), timeout=5000)
    assert "100.00" in page.card_view.balance.text()
    [entry] = _purchases(db, acc.number)
    assert entry.method == "wechat" and entry.amount_fen == 10000
    rows = reports.sales(db, date.today(), date.today(), actor=root)
    assert [(r.method, r.sales, r.count) for r in rows] == [("wechat", Decimal("100.00"), 1)]
    from openpyxl import load_workbook

    from printing.excel import Column, write_table_xlsx

    out = tmp_path / "sales.xlsx"
    cols = [Column("日期", "day", "date"), Column("收费员", "operator"), Column("方式", "method"),
            Column("笔数", "count", "int"), Column("售电", "sales", "money")]
    write_table_xlsx(out, "售电日报", cols, [r.__dict__ for r in rows], totals=["sales"])
    values = [[c for c in row] for row in load_workbook(out).active.iter_rows(values_only=True)]
    assert any(tuple(row[1:4]) == ("root", "wechat", 1) and Decimal(str(row[4])) == Decimal("100") for row in values)


def test_double_enter_sells_once(qtbot, station):
    db, root = station
    acc = _account(db, root, name="李四", phone="13900002222")
    win, page = _window(qtbot, db, root)
    _find(qtbot, page, "李四", acc.number)
    qtbot.keyClicks(page.sale.amount, "50")
    qtbot.keyClick(page.sale.amount, Qt.Key.Key_Return)
    qtbot.keyClick(page.sale.amount, Qt.Key.Key_Return)           # a second press: no second box
    qtbot.waitUntil(lambda: page.sale.confirm_box is not None, timeout=5000)
    box = page.sale.confirm_box
    qtbot.keyClick(box, Qt.Key.Key_Return)
    qtbot.keyClick(page.sale.amount, Qt.Key.Key_Return)           # the amount is still there? no sale twice
    qtbot.keyClick(page.sale.amount, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: page.printer.last_path is not None, timeout=10000)
    tasks.wait_idle()
    assert len(_purchases(db, acc.number)) == 1
    # the same form key twice (a retry after a lost answer): replayed, not sold again
    page.sale.sell(acc.number, amount=Decimal("20"))
    page.sale.sell(acc.number, amount=Decimal("20"))
    tasks.wait_idle()
    qtbot.waitUntil(lambda: "twice" in page.status.text() or len(_purchases(db, acc.number)) == 2, timeout=5000)
    tasks.wait_idle()
    assert len(_purchases(db, acc.number)) == 2


def test_cashier_cannot_refund(qtbot, station):
    db, root = station
    acc = _account(db, root, name="赵六", phone="13700003333")
    from billing import sales

    sales.sell(db, root, acc.number, Decimal("30"))
    cashier = login_as(db, root, "wang", "cashier")
    win, page = _window(qtbot, db, cashier)
    _find(qtbot, page, acc.number, acc.number)
    qtbot.waitUntil(lambda: page.receipts.model.rowCount() >= 1, timeout=5000)
    page.receipts.view.selectRow(0)
    assert not page.receipts.refund_button.isEnabled()
    assert not page.receipts.reverse_button.isEnabled()
    assert page.receipts.reprint_button.isEnabled()
    with pytest.raises(PermissionDenied):
        refunds.refund(db, cashier, acc.number, "10")
    admin_win, admin_page = _window(qtbot, db, root)
    _find(qtbot, admin_page, acc.number, acc.number)
    qtbot.waitUntil(lambda: admin_page.receipts.model.rowCount() >= 1, timeout=5000)
    admin_page.receipts.view.selectRow(0)
    assert admin_page.receipts.refund_button.isEnabled() and admin_page.receipts.reverse_button.isEnabled()
    admin_page.receipts.refund("10")
    qtbot.waitUntil(lambda: admin_page.card.balance == Decimal("20.00"), timeout=5000)
    tasks.wait_idle()


def test_reverse_and_reprint_from_the_card(qtbot, station):
    db, root = station
    i18n.set_language("zh_CN")
    acc = _account(db, root, name="钱五", phone="13500004444")
    from billing import sales

    sold = sales.sell(db, root, acc.number, Decimal("40"))
    win, page = _window(qtbot, db, root)
    _find(qtbot, page, acc.number, acc.number)
    qtbot.waitUntil(lambda: page.receipts.model.rowCount() == 1, timeout=5000)
    page.receipts.view.selectRow(0)
    assert page.receipts.reverse_button.isEnabled()
    page.receipts.reprint()
    qtbot.waitUntil(lambda: page.printer.last_path is not None, timeout=10000)
    assert "copy1" in page.printer.last_path
    assert_receipt(page.printer.last_path, "重打", f"收据号：{sold.receipt}", "肆拾元整")
    page.printer.last_path = None
    page.receipts.reverse(sold.receipt)
    qtbot.waitUntil(lambda: page.printer.last_path is not None, timeout=10000)
    assert_receipt(page.printer.last_path, "冲正", sold.receipt)
    qtbot.waitUntil(lambda: page.card.balance == Decimal("0.00") and page.receipts.model.rowCount() == 2,
                    timeout=5000)
    page.receipts.view.selectRow(1)                     # the original: reversed now
    assert page.receipts.model.item(1, 5).text() != "" and not page.receipts.reverse_button.isEnabled()
    tasks.wait_idle()


def test_failed_delivery_can_be_retried(qtbot, station):
    db, root = station
    acc = _account(db, root, name="吴十", phone="13300005555", mode="meter-prepaid")
    from billing import outbox, sales
    from models.ledger import OutboxItem

    sold = sales.sell(db, root, acc.number, Decimal("25"))
    item_id = sold.outbox[0]                              # the recharge (then a relay close)
    with db.write() as s:
        s.get(OutboxItem, item_id).state = "expired"
        s.get(OutboxItem, item_id).last_error = "No reply"
    cashier = login_as(db, root, "zhou", "cashier")
    win, page = _window(qtbot, db, cashier)
    _find(qtbot, page, acc.number, acc.number)
    qtbot.waitUntil(lambda: page.delivery.state_of(item_id) == "expired", timeout=5000)
    assert "No reply" in page.delivery.list.currentItem().text()        # the failed one is chosen
    assert page.delivery.retry_button.isEnabled()
    qtbot.mouseClick(page.delivery.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.delivery.state_of(item_id) == "pending", timeout=5000)
    tasks.wait_idle()
    with db.read() as s:
        row = s.get(OutboxItem, item_id)
        assert row.state == "pending" and row.expires_at is not None
    refunds.reverse(db, root, sold.receipt)             # withdrawn by a reversal: never re-sent
    from models.errors import Conflict

    with pytest.raises(Conflict):
        outbox.retry(db, cashier, item_id)


def test_sell_by_energy(qtbot, station):
    db, root = station
    acc = _account(db, root, name="郑一", phone="13200006666")
    win, page = _window(qtbot, db, root)
    _find(qtbot, page, "6666", acc.number)
    qtbot.keyClick(page.sale.amount, Qt.Key.Key_Tab)
    assert page.sale.energy.hasFocus()
    qtbot.keyClicks(page.sale.energy, "50")
    qtbot.waitUntil(lambda: page.sale.amount.text() == "25.00", timeout=5000)     # 50 kWh at 0.50
    qtbot.keyClick(page.sale.energy, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: page.sale.confirm_box is not None, timeout=5000)
    assert "50" in page.sale.confirm_box.text() and "25.00" in page.sale.confirm_box.text()
    qtbot.keyClick(page.sale.confirm_box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.printer.last_path is not None, timeout=10000)
    tasks.wait_idle()
    [entry] = _purchases(db, acc.number)
    assert entry.amount_fen == 2500 and entry.energy_milli == 50_000 and entry.method == "cash"
    qtbot.waitUntil(lambda: win.focusWidget() is page.search, timeout=3000)       # ready for the next customer
