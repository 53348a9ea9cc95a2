"""The counter cannot sell to the wrong account or a wrong amount: a clicked or arrowed result
row is the account on the card and in the sale form; the confirmation names the customer, the
room, the meter(s), the amount in figures and capitals and the method; 0 or a wrong amount is
refused in the form and never reaches the confirmation; quick amounts; cash received/change."""
from __future__ import annotations

from PySide6.QtCore import Qt

from resources import i18n
from tests.ui.counter.test_counter import _account, _purchases, _window, type_text
from ui import tasks


def _two(qtbot, station):
    db, root = station
    a = _account(db, root, name="王小明", phone="13800001111")
    b = _account(db, root, name="王大明", phone="13800002222")
    win, page = _window(qtbot, db, root)
    type_text(qtbot, page.search, "王")
    qtbot.waitUntil(lambda: len(page.hits) == 2 and page.results.count() == 2, timeout=5000)
    qtbot.waitUntil(lambda: page.card is not None, timeout=5000)       # the highlighted row's card
    return db, win, page, a, b


def _row(page, number):
    return next(page.results.item(i) for i in range(page.results.count())
                if page.results.item(i).data(Qt.ItemDataRole.UserRole) == number)


def _click(qtbot, page, number):
    item = _row(page, number)
    rect = page.results.visualItemRect(item)
    qtbot.mouseClick(page.results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def _card_is(page, number) -> bool:
    return page.card is not None and page.card.number == number and page.sale.account == number


def test_clicking_a_result_row_loads_that_account(qtbot, station):
    db, win, page, a, b = _two(qtbot, station)
    first = page.results.item(0).data(Qt.ItemDataRole.UserRole)
    qtbot.waitUntil(lambda: _card_is(page, first), timeout=5000)       # the card = the highlighted row
    other = b.number if first == a.number else a.number
    _click(qtbot, page, other)
    assert page.sale.account in (None, other)            # never the previous account meanwhile
    qtbot.waitUntil(lambda: _card_is(page, other), timeout=5000)
    assert page.results.currentItem().data(Qt.ItemDataRole.UserRole) == other
    assert page.sale.amount.hasFocus()                   # a click chooses: on to the amount
    _click(qtbot, page, first)
    qtbot.waitUntil(lambda: _card_is(page, first), timeout=5000)


def test_arrow_keys_and_enter_load_the_highlighted_account(qtbot, station):
    db, win, page, a, b = _two(qtbot, station)
    numbers = [page.results.item(i).data(Qt.ItemDataRole.UserRole) for i in range(2)]
    qtbot.waitUntil(lambda: _card_is(page, numbers[0]), timeout=5000)
    page.search.setFocus()
    qtbot.keyClick(page.search, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: _card_is(page, numbers[1]), timeout=5000)
    assert page.search.hasFocus()                        # arrows only look; Enter chooses
    qtbot.keyClick(page.search, Qt.Key.Key_Up)
    qtbot.waitUntil(lambda: _card_is(page, numbers[0]), timeout=5000)
    qtbot.keyClick(page.search, Qt.Key.Key_Down)
    qtbot.keyClick(page.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: _card_is(page, numbers[1]) and page.sale.amount.hasFocus(), timeout=5000)


def test_the_newest_choice_wins(qtbot, station):
    db, win, page, a, b = _two(qtbot, station)
    for _ in range(3):
        page.pick(a.number)
        page.pick(b.number)
    tasks.wait_idle()
    qtbot.waitUntil(lambda: _card_is(page, b.number), timeout=5000)
    qtbot.wait(300)                                      # no late answer for a turns up afterwards
    assert _card_is(page, b.number)


def test_confirmation_names_customer_room_meter_amount_and_method(qtbot, station):
    i18n.set_language("zh_CN")
    db, win, page, a, b = _two(qtbot, station)
    _click(qtbot, page, b.number)
    qtbot.waitUntil(lambda: _card_is(page, b.number), timeout=5000)
    card = page.card
    qtbot.keyClicks(page.sale.amount, "100")
    qtbot.keyClick(page.sale.amount, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.sale.confirm_box is not None and page.sale.confirm_box.isVisible(), timeout=5000)
    text = page.sale.confirm_box.text()
    for needle in ("王大明", card.room, b.number, card.meters[0].number, "¥100.00", "壹佰元整", "200.00 kWh",
                   "现金"):
        assert needle in text, (needle, text)
    assert "王小明" not in text
    page.sale.confirm_box.reject()
    qtbot.waitUntil(lambda: not page.sale.busy, timeout=3000)


def test_zero_or_wrong_amount_is_refused_inline(qtbot, station):
    i18n.set_language("zh_CN")
    db, win, page, a, b = _two(qtbot, station)
    sale = page.sale
    qtbot.waitUntil(lambda: sale.account is not None, timeout=5000)
    qtbot.keyClicks(sale.amount, "100")
    qtbot.waitUntil(lambda: sale.energy.text() == "200.00", timeout=5000)
    sale.amount.clear()
    qtbot.keyClicks(sale.amount, "0")
    qtbot.keyClick(sale.amount, Qt.Key.Key_Return)
    qtbot.wait(400)
    assert sale.confirm_box is None                      # never the confirmation
    assert sale.error.text() == "请输入大于 0 的金额" and sale.error.isVisible()
    assert sale.energy.text() == ""                      # not the 200.00 of the amount before
    sale.amount.clear()
    qtbot.keyClicks(sale.amount, "12.345")
    qtbot.waitUntil(lambda: "小数" in sale.error.text(), timeout=3000)
    assert sale.energy.text() == ""
    qtbot.keyClick(sale.amount, Qt.Key.Key_Return)
    qtbot.wait(300)
    assert sale.confirm_box is None and not sale.busy
    sale.amount.clear()
    qtbot.keyClicks(sale.amount, "20")
    qtbot.waitUntil(lambda: sale.energy.text() == "40.00" and sale.error.text() == "", timeout=5000)
    sale.energy.clear()
    qtbot.keyClicks(sale.energy, "0")                    # zero energy is refused the same way
    qtbot.keyClick(sale.energy, Qt.Key.Key_Return)
    qtbot.wait(400)
    assert sale.confirm_box is None and sale.error.text() == "请输入大于 0 的金额" and sale.amount.text() == ""
    assert _purchases(db, a.number) == []


def test_quick_amounts_and_cash_change(qtbot, station):
    i18n.set_language("zh_CN")
    db, win, page, a, b = _two(qtbot, station)
    sale = page.sale
    qtbot.waitUntil(lambda: sale.account is not None, timeout=5000)
    assert [btn.text() for btn in sale.quick_buttons] == ["50", "100", "200", "500"]
    qtbot.mouseClick(sale.quick_buttons[1], Qt.MouseButton.LeftButton)
    assert sale.amount.text() == "100"
    qtbot.waitUntil(lambda: sale.energy.text() == "200.00", timeout=5000)
    assert sale.method.currentData() == "cash" and sale.received.isVisible()
    qtbot.keyClicks(sale.received, "50")
    assert "少于" in sale.error.text()                   # less received than due
    qtbot.keyClick(sale.received, Qt.Key.Key_Return)
    qtbot.wait(400)
    assert sale.confirm_box is None
    sale.received.clear()
    qtbot.keyClicks(sale.received, "150")
    assert sale.change.text() == "找零 ¥50.00" and sale.error.text() == ""
    qtbot.keyClick(sale.received, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: sale.confirm_box is not None and sale.confirm_box.isVisible(), timeout=5000)
    assert "实收：¥150.00，找零：¥50.00" in sale.confirm_box.text()
    sale.confirm_box.reject()
    qtbot.waitUntil(lambda: not sale.busy, timeout=3000)
    sale.method.setCurrentIndex(sale.method.findData("wechat"))
    assert not sale.received.isVisible()                 # received/change only for cash


def test_quick_amounts_follow_the_station_setting(qtbot, station):
    from models import settings

    settings.set_local("counter.quick_amounts", "20,30")
    db, root = station
    win, page = _window(qtbot, db, root)
    assert [btn.text() for btn in page.sale.quick_buttons] == ["20", "30"]


def test_result_list_shows_the_balance_after_a_sale(qtbot, station):
    i18n.set_language("zh_CN")
    db, win, page, a, b = _two(qtbot, station)
    _click(qtbot, page, a.number)
    qtbot.waitUntil(lambda: _card_is(page, a.number), timeout=5000)
    assert "¥0.00" in _row(page, a.number).text()
    qtbot.keyClicks(page.sale.amount, "100")
    qtbot.keyClick(page.sale.amount, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: page.sale.confirm_box is not None and page.sale.confirm_box.isVisible(), timeout=5000)
    qtbot.keyClick(page.sale.confirm_box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "¥100.00" in _row(page, a.number).text(), timeout=5000)
    assert _card_is(page, a.number)                      # the refreshed list keeps the account chosen
    assert page.results.currentItem().data(Qt.ItemDataRole.UserRole) == a.number


def test_enter_before_the_results_takes_the_first_and_highlights_it(qtbot, station):
    db, win, page, a, b = _two(qtbot, station)
    second = page.results.item(1).data(Qt.ItemDataRole.UserRole)
    _click(qtbot, page, second)
    qtbot.waitUntil(lambda: _card_is(page, second), timeout=5000)
    page.search.clear()
    type_text(qtbot, page.search, "王")
    qtbot.keyClick(page.search, Qt.Key.Key_Return)          # before the search has answered
    qtbot.waitUntil(lambda: page.card.number == page.hits[0].number and page.sale.amount.hasFocus(),
                    timeout=5000)
    assert page.results.currentRow() == 0 and _card_is(page, page.hits[0].number)
