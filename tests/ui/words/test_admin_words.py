"""Admin screens in words (issue 16 item 6): tariff kinds and rates by name, link states in
Chinese, the operation log's actions and details translated (its filters read on the GUI
thread), the tariff dialog staying open on a wrong entry with the field marked."""
from __future__ import annotations

import threading

import sqlalchemy as sa
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from billing.tariffs import plan_store
from resources import i18n


def _cells(model) -> list[str]:
    return [str(model.index(r, c).data() or "") for r in range(model.rowCount()) for c in range(model.columnCount())]


def _tab(qtbot, cls, session):
    tab = cls(session)
    qtbot.addWidget(tab)
    tab.show()
    tab.refresh()
    return tab


def test_tariff_list_in_words(qtbot, gui_db, gui_root, session):
    from ui.pages.settings_tariffs_tab import TariffsTab

    i18n.set_language("zh_CN")
    plan_store.add_version(gui_db, gui_root, "居民", {"kind": "flat", "price": "0.5283"})
    plan_store.add_version(gui_db, gui_root, "峰谷", {"kind": "tou", "tou": {
        "prices": {"sharp": "1.15", "peak": "0.90", "valley": "0.30"},
        "schedules": {"day": [{"start": "00:00", "end": "08:00", "rate": "valley"},
                              {"start": "08:00", "end": "19:00", "rate": "peak"},
                              {"start": "19:00", "end": "21:00", "rate": "sharp"},
                              {"start": "21:00", "end": "24:00", "rate": "peak"}]},
        "seasons": [{"name": "all", "start": "01-01", "end": "12-31", "schedule": "day"}]}})
    plan_store.add_version(gui_db, gui_root, "阶梯", {"kind": "tiered", "price": "0.50", "tiers": {
        "basis": "monthly", "steps": [{"upto": "200", "add": "0"}, {"upto": "400", "add": "0.05"}, {"add": "0.30"}]}})
    tab = _tab(qtbot, TariffsTab, session)
    qtbot.waitUntil(lambda: tab.model.rowCount() == 3, timeout=5000)
    rows = {tab.model.index(r, 0).data(): (tab.model.index(r, 2).data(), tab.model.index(r, 3).data())
            for r in range(3)}
    assert rows["居民"] == ("单一电价", "0.5283 元")
    kind, prices = rows["峰谷"]
    assert kind == "分时电价" and prices.startswith("尖 1.15 · 峰 0.90 · 谷 0.30 元；")
    assert "00:00–08:00 谷" in prices and "19:00–21:00 尖" in prices
    kind, prices = rows["阶梯"]
    assert kind == "阶梯电价" and "基础电价 0.50 元" in prices
    assert "0–200：加价 0 元" in prices and "200–400：加价 0.05 元" in prices and "400 以上：加价 0.30 元" in prices
    assert "按月累计" in prices
    text = " ".join(_cells(tab.model))
    for code in ("flat", "tou", "tiered", "sharp", "peak", "valley", "="):
        assert code not in text


def test_tariff_dialog_stays_open_and_marks_the_field(qtbot):
    from ui.pages.settings_tariffs_tab import VersionDialog

    i18n.set_language("zh_CN")
    dlg = VersionDialog([])
    qtbot.addWidget(dlg)
    dlg.show()
    ok = dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    dlg.name.setEditText("峰谷")
    dlg.kind.setCurrentIndex(dlg.kind.findData("tou"))
    assert dlg.periods.text() == "23:00-07:00 谷, 07:00-23:00 峰" and dlg.periods.isVisible()
    assert not dlg.price.isVisible()                       # only the chosen kind's fields
    dlg.prices["peak"].setText("0.9x")
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dlg.isVisible() and dlg.marked is dlg.prices["peak"] and "0.9x" in dlg.error.text()
    dlg.prices["peak"].setText("0.90")
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)       # the periods use 谷, which has no price
    assert dlg.isVisible() and dlg.marked is dlg.prices["valley"] and "谷" in dlg.error.text()
    assert dlg.prices["peak"].text() == "0.90"             # what was typed is kept
    dlg.prices["valley"].setText("0.30")
    with qtbot.waitSignal(dlg.accepted, timeout=2000):
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dlg.version()["tou"]["schedules"]["day"][0] == {"start": "23:00", "end": "07:00", "rate": "valley"}


def test_link_states_and_protocols_in_words(qtbot, gui_db, gui_root, session):
    from archive import service as archive_service
    from models.archive import Link
    from ui.pages.settings_links_tab import LinkDialog, LinksTab

    i18n.set_language("zh_CN")
    archive_service.add_link(gui_db, gui_root, "一号楼", "tcp://10.0.0.9:8001", "dlt645-2007")
    archive_service.add_link(gui_db, gui_root, "水表", "tcp://10.0.0.9:8002", "cjt188")
    archive_service.add_link(gui_db, gui_root, "三号楼", "tcp://10.0.0.9:8003", "modbus")
    with gui_db.write() as s:
        s.execute(sa.update(Link).where(Link.name == "一号楼").values(state="online"))
        s.execute(sa.update(Link).where(Link.name == "水表").values(state="lost"))
    tab = _tab(qtbot, LinksTab, session)
    qtbot.waitUntil(lambda: tab.model.rowCount() == 3, timeout=5000)
    rows = {tab.model.index(r, 0).data(): (tab.model.index(r, 2).data(), tab.model.index(r, 4).data())
            for r in range(3)}
    assert rows == {"一号楼": ("DL/T 645-2007", "在线"), "水表": ("CJ/T 188", "失联"), "三号楼": ("Modbus", "未知")}
    dlg = LinkDialog(tab, "水表", "tcp://10.0.0.9:8002", "cjt188")
    qtbot.addWidget(dlg)
    assert dlg.protocol.currentText() == "CJ/T 188" and dlg.protocol.currentData() == "cjt188"


def test_operation_log_in_words_filters_read_on_gui_thread(qtbot, gui_db, gui_root, session):
    from decimal import Decimal

    from billing import sales
    from tests.billing import factories
    from ui.pages.log_tab import LogTab

    view = factories.account(gui_db, gui_root)
    sales.sell(gui_db, gui_root, view.number, Decimal("50"), method="wechat")
    i18n.set_language("zh_CN")
    tab = LogTab(session)
    qtbot.addWidget(tab)
    threads = []
    read = tab._filters
    tab._filters = lambda: (threads.append(threading.current_thread()), read())[1]
    tab.refresh()
    qtbot.waitUntil(lambda: tab.model.rowCount() > 3, timeout=5000)
    assert threads == [threading.main_thread()]
    rows = [[str(tab.model.index(r, c).data() or "") for c in range(7)] for r in range(tab.model.rowCount())]
    actions = {r[4] for r in rows}
    assert {"登录", "售电", "新增计费方案", "已开户"} <= actions and "sale" not in actions
    sale = next(r for r in rows if r[4] == "售电")
    assert "收据号：" in sale[6] and "付款方式：微信支付" in sale[6] and "{" not in sale[6]
    assert all("{" not in r[6] and '"' not in r[6] for r in rows)


def test_unknown_codes_are_shown_as_they_are():
    from ui.pages.log_words import action_name, details_text

    i18n.set_language("zh_CN")
    assert action_name("future.thing") == "future.thing"
    assert details_text('{"zz_new": 5, "amount": "1.00"}') == "zz_new：5；金额（元）：1.00"
    assert details_text("not json") == "not json" and details_text("{}") == ""


def test_add_operator_dialog_stays_open_on_a_bad_name_or_password(qtbot):
    from ui.pages.operators_tab import AddOperatorDialog

    i18n.set_language("zh_CN")
    dlg = AddOperatorDialog([("cashier", "收银员")])
    qtbot.addWidget(dlg)
    dlg.show()
    ok = dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
    dlg.name.setText("王 芳")                                  # a space is not allowed
    dlg.password.setText("pass-1234")
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dlg.isVisible() and dlg.marked is dlg.name and dlg.error.isVisible()
    dlg.name.setText("wangfang")
    dlg.password.setText("1")
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dlg.isVisible() and dlg.marked is dlg.password and dlg.name.text() == "wangfang"
    dlg.password.setText("pass-1234")
    with qtbot.waitSignal(dlg.accepted, timeout=2000):
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dlg.role.currentData() == "cashier" and dlg.role.currentText() == "收银员"


def test_operation_log_found_by_the_action_in_words(qtbot, gui_db, gui_root, session):
    from decimal import Decimal

    from billing import sales
    from tests.billing import factories
    from ui.pages.log_tab import LogTab

    view = factories.account(gui_db, gui_root)
    sales.sell(gui_db, gui_root, view.number, Decimal("50"))
    i18n.set_language("zh_CN")
    tab = LogTab(session)
    qtbot.addWidget(tab)
    tab.action.setText("售电")
    tab.refresh()
    qtbot.waitUntil(lambda: tab.model.rowCount() > 0, timeout=5000)
    assert {tab.model.index(r, 4).data() for r in range(tab.model.rowCount())} == {"售电"}
    tab.action.setText("login*")                                   # a code pattern still works
    tab.refresh()
    qtbot.waitUntil(lambda: tab.model.index(0, 4).data() == "登录", timeout=5000)
    tab.action.setText("没有这种操作")
    tab.refresh()
    qtbot.waitUntil(lambda: tab.model.rowCount() == 0, timeout=5000)
