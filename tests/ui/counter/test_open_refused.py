"""The open-account dialog when the service refuses (not only its own checks): it stays open,
keeps what was typed, marks the field the refusal names; a second try with the field corrected
opens the account and closes the dialog, reusing the customer the first try added. The
counter's result list says why a row matched."""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from PySide6.QtCore import Qt

from billing import accounts_open
from models.archive import Customer
from resources import i18n
from tests.billing import factories
from tests.ui.counter.test_accounts import _choices, _page
from ui.widgets.account_dialogs import OpenAccountDialog


def test_service_refusal_keeps_the_dialog_and_marks_the_meter(qtbot, station):
    db, root = station
    i18n.set_language("zh_CN")
    rooms = factories.place(db, rooms=2)
    for n in ("A1", "A2"):
        factories.meter(db, n, room_id=rooms[0])
    factories.flat_tariff(db, root)
    win, page = _page(qtbot, db, root)
    c = _choices(qtbot, page)
    dlg = OpenAccountDialog(c["customers"], c["rooms"], c["free"], c["plans"], page)
    qtbot.addWidget(dlg)
    dlg.submit = lambda: page.submit_open(dlg)
    dlg.show()
    other = factories.account(db, root, name="别的窗口")            # meanwhile another station binds A1
    accounts_open.bind_meter(db, root, other.number, accounts_open.MeterOpening("A1", Decimal("1")))
    dlg.customer.setEditText("孙八")
    dlg.phone.setText("13612345678")
    dlg.meters.set_checked("A1", "10")
    dlg.tariff.setCurrentIndex(dlg.tariff.findData("flat"))
    dlg.accept()                                                   # the OK button
    qtbot.waitUntil(lambda: dlg.error.isVisible(), timeout=10000)
    assert dlg.isVisible() and not dlg.busy and "A1" in dlg.error.text()
    assert dlg.marked is dlg.meters
    assert dlg.customer.currentText() == "孙八" and dlg.phone.text() == "13612345678"
    assert dlg.meters.rows() == [("A1", "10")] and dlg.tariff.currentData() == "flat"
    dlg.meters.item(0, 0).setCheckState(Qt.CheckState.Unchecked)
    dlg.meters.set_checked("A2", "5")
    dlg.accept()
    qtbot.waitUntil(lambda: not dlg.isVisible(), timeout=10000)
    qtbot.waitUntil(lambda: page.card is not None, timeout=5000)
    assert [m.number for m in page.card.meters] == ["A2"] and page.card.customer == "孙八"
    with db.read() as s:                                           # the first try's customer, reused
        assert s.scalar(sa.select(sa.func.count()).select_from(Customer).where(Customer.name == "孙八")) == 1


def test_result_list_says_why_a_row_matched(qtbot, station):
    db, root = station
    i18n.set_language("zh_CN")
    acc = factories.account(db, root, name="钱七")
    win, page = _page(qtbot, db, root)
    counter = win.page("counter")
    number = acc.meters[0]
    counter.search.setText(number)
    counter.run_search()
    qtbot.waitUntil(lambda: counter.results.count() == 1, timeout=5000)
    assert f"表号 …{number[-4:]}" in counter.results.item(0).text()
    counter.search.setText("钱七")
    counter.run_search()
    qtbot.waitUntil(lambda: "姓名" in (counter.results.item(0).text() if counter.results.count() else ""),
                    timeout=5000)
