"""A closed account reads 已销户 on the card, not the shift report's 交班时间 (one msgid had two
meanings); the open-account dialog keeps what was typed when something is wrong, marks the field
and says why, and closes only when it is right."""
from __future__ import annotations

import dataclasses
from types import SimpleNamespace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from billing import counter_query
from resources import i18n
from tests.ui.counter.test_counter import _account
from ui.widgets.account_card import AccountCardView
from ui.widgets.account_dialogs import OpenAccountDialog


def test_closed_account_is_named_as_such(qtbot, station):
    i18n.set_language("zh_CN")
    db, root = station
    acc = _account(db, root)
    card = counter_query.account_card(db, root, acc.number)
    view = AccountCardView()
    qtbot.addWidget(view)
    view.show_card(dataclasses.replace(card, state="closed"))
    assert view.state.text() == "已销户"
    view.show_card(card)
    assert view.state.text() not in ("已销户", "交班时间")


def _dialog(qtbot):
    customers = [SimpleNamespace(id=7, name="王小明", phone="13800001111")]
    rooms = [SimpleNamespace(id=3, building="A栋", floor="1F", number="101")]
    meters = [("240100000001", "electric", "101"), ("240100000002", "electric", "102")]
    plans = [SimpleNamespace(name="居民电价")]
    dlg = OpenAccountDialog(customers, rooms, meters, plans)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def _ok(qtbot, dlg):
    box = dlg.findChild(QDialogButtonBox)
    qtbot.mouseClick(box.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)


def test_open_account_dialog_keeps_input_on_error(qtbot):
    i18n.set_language("zh_CN")
    dlg = _dialog(qtbot)
    with qtbot.waitSignal(dlg.finished, timeout=200, raising=False) as finished:
        _ok(qtbot, dlg)                                        # no customer at all
    assert not finished.signal_triggered and dlg.isVisible()
    assert dlg.error.isVisible() and "客户" in dlg.error.text() and dlg.marked is dlg.customer
    dlg.customer.setEditText("李四")
    dlg.phone.setText("13900002222")
    dlg.meters.set_checked("240100000002", "12x.5")
    _ok(qtbot, dlg)
    assert dlg.isVisible() and "240100000002" in dlg.error.text() and dlg.marked is dlg.meters
    assert dlg.customer.currentText() == "李四" and dlg.phone.text() == "13900002222"
    assert dlg.meters.rows() == [("240100000002", "12x.5")]    # what was typed is still there
    dlg.meters.set_checked("240100000002", "12.5")
    _ok(qtbot, dlg)
    assert dlg.isVisible() and dlg.marked is dlg.tariff          # station-side prepaid needs a tariff
    dlg.tariff.setCurrentIndex(1)
    dlg.alarm1.setText("1.00")                                   # below the second alarm (5.00)
    _ok(qtbot, dlg)
    assert dlg.isVisible() and dlg.marked is dlg.alarm1
    dlg.alarm1.setText("30")
    with qtbot.waitSignal(dlg.accepted, timeout=2000):
        _ok(qtbot, dlg)
    assert not dlg.error.isVisible()
    assert dlg.chosen_customer() == (None, "李四") and dlg.meters.openings()[0].reading == "12.5"
