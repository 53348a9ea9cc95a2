"""The windows (offscreen): Settings → 告警限值 adds, edits and removes limits through the service
(logged), its dialog stays open with the wrong field marked, the abnormal-use rules save; the
alarms page says a power-quality alarm in words with the value and the limit."""
from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from access import login as auth
from access import operators as operator_service
from billing import alarm_log
from billing import quality_thresholds as qt
from models import settings
from models.archive import Meter
from models.db import Database
from models.oplog import OpLogEntry
from resources import i18n
from tests.billing.automation.conftest import add_link, add_meter
from tests.billing.automation.timed_helpers import tag_meters
from ui import tasks
from ui.pages.alarms_page import AlarmsPage
from ui.pages.settings_quality_tab import QualityTab, ThresholdDialog
from ui.session import StationSession


@pytest.fixture
def site(tmp_path):
    db = Database.open(f"sqlite:///{tmp_path / 't.db'}", upgrade=True)
    operator_service.create_first_operator(db, "root", "secret-1", "T")
    root = auth.login(db, "root", "secret-1", "T")
    tag_meters(db, "area:一号楼", [add_meter(db, add_link(db, "tcp://127.0.0.1:9"), "000000000001")])
    yield db, root
    tasks.wait_idle()
    db.dispose()


def test_tab_crud_dialog_keeps_bad_input_and_rules(qtbot, site):
    db, root = site
    i18n.set_language("zh_CN")
    tab = QualityTab(StationSession(db, root, "T"))
    qtbot.addWidget(tab)
    tab.show()
    tab.refresh()
    qtbot.waitUntil(lambda: tab.tags == ["area:一号楼"], timeout=5000)
    assert tab.idle_days.value() == 7 and tab.rule_edits["alarms.spike_factor"].text() == "3"
    dlg = ThresholdDialog(tab.tags, None, tab)
    qtbot.addWidget(dlg)
    dlg.scope.setCurrentIndex(dlg.scope.findData("tag:area:一号楼"))
    assert dlg.scope.currentText() == "分组 一号楼（区域）"
    dlg.fields["over_voltage"].setText("253")
    dlg.fields["under_voltage"].setText("abc")
    dlg.show()
    dlg.accept()                                              # bad value: stays open, field marked, says why
    assert dlg.isVisible() and "abc" in dlg.error.text() and "border" in dlg.fields["under_voltage"].styleSheet()
    assert dlg.fields["over_voltage"].text() == "253"
    dlg.fields["under_voltage"].setText("260")                # above the upper limit
    dlg.accept()
    assert dlg.isVisible() and dlg.error.text() == "欠压下限必须低于过压上限"
    dlg.fields["under_voltage"].setText("198")
    dlg.accept()
    assert not dlg.isVisible()
    tab.add(dlg)
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1, timeout=5000)
    assert qt.list_thresholds(db)[0].limits == qt.Limits(Decimal(253), Decimal(198))
    assert tab.model.index(0, 0).data() == "分组 一号楼（区域）"
    tab.view.selectRow(0)
    edit = ThresholdDialog(tab.tags, tab.selected(), tab)
    qtbot.addWidget(edit)
    assert not edit.scope.isEnabled() and edit.fields["over_voltage"].text() == "253"
    edit.fields["overload"].setText("13.2")
    tab.edit(edit)
    qtbot.waitUntil(lambda: qt.list_thresholds(db)[0].limits.overload == Decimal("13.2"), timeout=5000)
    tab.idle_days.setValue(10)
    tab.rule_edits["alarms.spike_factor"].setText("4")
    tab.save_rules()
    qtbot.waitUntil(lambda: tab.status.text() == "异常用电规则已保存", timeout=5000)
    assert (settings.get(db, "alarms.idle_days"), settings.get(db, "alarms.spike_factor")) == (10, "4")
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1, timeout=5000)
    tab.view.selectRow(0)
    tab.remove()
    qtbot.waitUntil(lambda: qt.list_thresholds(db) == [], timeout=5000)
    with db.read() as s:
        actions = s.execute(sa.select(OpLogEntry.action).where(OpLogEntry.action.like("quality.%"))).scalars().all()
    assert sorted(actions) == ["quality.threshold_remove", "quality.threshold_set", "quality.threshold_set"]


def test_alarms_page_says_the_value_and_the_limit(qtbot, site):
    db, root = site
    i18n.set_language("zh_CN")
    with db.write() as s:
        mid = s.scalar(sa.select(Meter.id))
        alarm_log.raise_alarm(s, "over_voltage", meter_id=mid, message="stored text",
                              details={"value": "258.3", "limit": "253", "unit": "V", "quantity": "voltage"})
        alarm_log.raise_alarm(s, "under_voltage", meter_id=mid, message="stored text",
                              details={"value": "190", "limit": "198", "unit": "V", "quantity": "voltage_c"})
    page = AlarmsPage(StationSession(db, root, "T"))
    qtbot.addWidget(page)
    page.refresh()
    qtbot.waitUntil(lambda: page.tree.topLevelItemCount() == 1 and page.tree.topLevelItem(0).childCount() == 2,
                    timeout=5000)
    texts = {page.tree.topLevelItem(0).child(i).text(1): page.tree.topLevelItem(0).child(i).text(7)
             for i in range(2)}
    assert texts == {"电压过高": "电压过高 258.3 V（上限 253 V）", "电压过低": "C相 电压过低 190 V（下限 198 V）"}
    page.search_history()
    qtbot.waitUntil(lambda: page.history_model.rowCount() == 2, timeout=5000)
