"""Settings editors: the services behind them (both backends) and the tabs offscreen; a cashier
sees disabled buttons and the services refuse it anyway."""
from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from archive import query as archive_query
from billing import settings_service as schedules
from billing.tariffs import plan_store
from models import settings
from models.errors import InvalidInput, PermissionDenied
from models.oplog import OpLogEntry


def _actions(db) -> list[str]:
    with db.read() as s:
        return list(s.execute(sa.select(OpLogEntry.action).order_by(OpLogEntry.seq)).scalars())


def test_schedule_crud_is_audited(db, root, cashier):
    sid = schedules.add_schedule(db, root, schedules.ScheduleSpec("每小时", kind="hourly", at_time="00:15"))
    schedules.update_schedule(db, root, sid, schedules.ScheduleSpec("每小时", kind="interval", every_minutes=15))
    [row] = schedules.list_schedules(db)
    assert (row.kind, row.every_minutes, row.tag, row.enabled) == ("interval", 15, "", True)
    with pytest.raises(InvalidInput):
        schedules.add_schedule(db, root, schedules.ScheduleSpec("x", kind="interval", every_minutes=0))
    with pytest.raises(PermissionDenied):
        schedules.delete_schedule(db, cashier, sid)
    schedules.delete_schedule(db, root, sid)
    assert schedules.list_schedules(db) == []
    acts = _actions(db)
    assert [a for a in acts if a.startswith("schedule.")] == ["schedule.add", "schedule.update", "schedule.delete"]
    assert "denied" in acts


def test_holidays_and_settings_form(db, root, cashier, station_config):
    schedules.set_holidays(db, root, [(date(2026, 10, 1), "国庆"), (date(2026, 10, 2), "")])
    schedules.set_holidays(db, root, [(date(2026, 10, 2), "国庆"), (date(2026, 10, 3), "国庆")])
    assert schedules.list_holidays(db) == [(date(2026, 10, 2), "国庆"), (date(2026, 10, 3), "国庆")]
    changed = schedules.save_settings(db, root, {"company.name": "某物业", "backup.keep": "30",
                                                 "automation.quiet_hours": "22:00-07:00"})
    assert sorted(changed) == ["backup.keep", "company.name"]
    assert settings.get(db, "company.name") == "某物业" and settings.get_local("backup.keep") == 30
    with pytest.raises(PermissionDenied):
        schedules.save_settings(db, cashier, {"backup.keep": 5})
    with pytest.raises(PermissionDenied):
        schedules.set_holidays(db, cashier, [])
    assert settings.get_local("backup.keep") == 30
    with pytest.raises(InvalidInput):
        schedules.save_settings(db, root, {"receipt.layout": '{"paper": "napkin"}'})


# --- the tabs, offscreen ----------------------------------------------------------------------
def _tab(qtbot, cls, db, actor):
    from ui.session import StationSession

    tab = cls(StationSession(db, actor, "TEST"))
    qtbot.addWidget(tab)
    tab.show()
    tab.refresh()
    return tab


def _saved(qtbot, tab, word="saved"):
    qtbot.waitUntil(lambda: word in tab.status.text() or "added" in tab.status.text(), timeout=10_000)


def test_links_tab(qtbot, gui_db, gui_root):
    from ui.pages.settings_links_tab import LinkDialog, LinksTab

    tab = _tab(qtbot, LinksTab, gui_db, gui_root)
    dlg = LinkDialog(tab, "一号楼", "tcp://nowhere")
    qtbot.addWidget(dlg)
    assert not dlg.check()                                  # no port: OK disabled
    dlg.url.setText("tcp://10.0.0.9:8001")
    assert dlg.check()
    tab.add(dlg)
    _saved(qtbot, tab)
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1, timeout=5000)
    tab.view.selectRow(0)
    tab.set_enabled(False)
    _saved(qtbot, tab)
    qtbot.waitUntil(lambda: not archive_query.list_links(gui_db)[0].enabled, timeout=5000)


def test_tariffs_tab_adds_flat_tou_and_tiered(qtbot, gui_db, gui_root):
    from ui.pages.settings_tariffs_tab import TariffsTab, VersionDialog

    tab = _tab(qtbot, TariffsTab, gui_db, gui_root)
    for name, kind in (("居民", "flat"), ("峰谷", "tou"), ("阶梯", "tiered")):
        dlg = VersionDialog([], tab)
        qtbot.addWidget(dlg)
        dlg.name.setEditText(name)
        dlg.kind.setCurrentIndex(dlg.kind.findData(kind))
        dlg.prices["peak"].setText("0.90")
        dlg.prices["valley"].setText("0.30")
        tab.status.setText("")
        tab.add(dlg)
        _saved(qtbot, tab)
    kinds = {p.name: p.versions[0][1] for p in plan_store.list_plans(gui_db)}
    assert kinds == {"居民": "flat", "峰谷": "tou", "阶梯": "tiered"}
    qtbot.waitUntil(lambda: tab.model.rowCount() == 3, timeout=5000)


def test_schedules_receipt_station_backup_tabs(qtbot, gui_db, gui_root, tmp_path):
    from models.receipt_layout import ReceiptLayout, stored_layout
    from ui.pages.settings_backup_tab import BackupTab
    from ui.pages.settings_receipt_tab import ReceiptTab
    from ui.pages.settings_schedules_tab import ScheduleDialog, SchedulesTab
    from ui.pages.settings_station_tab import StationEditTab

    tab = _tab(qtbot, SchedulesTab, gui_db, gui_root)
    dlg = ScheduleDialog([], None, tab)
    qtbot.addWidget(dlg)
    dlg.name.setText("日抄")
    dlg.kind.setCurrentIndex(dlg.kind.findData("daily"))
    dlg.at.setText("06:30")
    tab.add(dlg)
    _saved(qtbot, tab)
    assert [(r.name, r.kind, r.at_time) for r in schedules.list_schedules(gui_db)] == [("日抄", "daily", "06:30")]

    rec = _tab(qtbot, ReceiptTab, gui_db, gui_root)
    qtbot.waitUntil(lambda: rec.font.value() == 9.0, timeout=5000)
    rec.paper.setCurrentIndex(rec.paper.findData("a4"))
    rec.footer.setText("谢谢惠顾")
    rec.titles["sale"].setText("购电凭证")
    from PySide6.QtCore import Qt
    keys = rec.field_list.keys()
    rec.field_list.item(keys.index("reference"), 0).setCheckState(Qt.CheckState.Unchecked)
    rec.field_list.selectRow(keys.index("account"))
    rec.up.click()                                  # account number first
    rec.field_list.item(0, 1).setText("户号")
    rec.submit()
    _saved(qtbot, rec)
    layout = stored_layout(settings.get(gui_db, "receipt.paper"), "公司", settings.get(gui_db, "receipt.layout"))
    assert (layout.paper, layout.footer, layout.title("sale"), layout.company_name) == \
        ("a4", "谢谢惠顾", "购电凭证", "公司")
    assert "reference" not in [f.key for f in layout.visible()]
    assert (layout.fields[0].key, layout.fields[0].text()) == ("account", "户号")
    assert isinstance(layout, ReceiptLayout)

    st = _tab(qtbot, StationEditTab, gui_db, gui_root)
    st.fields["company.name"].setText("某某物业")
    st.holidays.setPlainText("2026-10-01 国庆节\n2026-10-02")
    st.submit()
    _saved(qtbot, st)
    assert settings.get(gui_db, "company.name") == "某某物业"
    assert schedules.list_holidays(gui_db) == [(date(2026, 10, 1), "国庆节"), (date(2026, 10, 2), "")]

    bk = _tab(qtbot, BackupTab, gui_db, gui_root)
    qtbot.waitUntil(lambda: bk.at.text() != "", timeout=5000)
    target = tmp_path / "copy.db"
    bk.backup_now(str(target))
    qtbot.waitUntil(lambda: "written" in bk.status.text(), timeout=20_000)
    assert target.stat().st_size > 0
    bk.keep.setValue(7)
    bk.submit()
    _saved(qtbot, bk)
    assert settings.get_local("backup.keep") == 7


def test_cashier_sees_disabled_editors_and_is_refused(qtbot, gui_db, gui_root, gui_cashier, shown_errors):
    from ui.pages.settings_page import SettingsPage
    from ui.session import StationSession

    page = SettingsPage(StationSession(gui_db, gui_cashier, "TEST"))
    qtbot.addWidget(page)
    for tab in (page.station_edit, page.links_tab, page.tariffs_tab, page.schedules_tab, page.receipt_tab,
                page.backup_tab):
        assert tab.actions and not any(b.isEnabled() for b in tab.actions), type(tab).__name__
    page.receipt_tab.submit()                      # the button is disabled; the service refuses anyway
    qtbot.waitUntil(lambda: "no right" in page.receipt_tab.status.text(), timeout=5000)
    assert settings.get(gui_db, "receipt.layout") == "" and isinstance(shown_errors[0], PermissionDenied)
