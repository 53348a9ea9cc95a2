"""Timed control in the windows (offscreen): the settings tab adds, edits and removes schedules
through the service (logged), its dialog stays open with the message on a bad time, the 调休
dialog saves workdays, and the control page's panel lists what is scheduled next."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from access import login as auth
from access import operators as operator_service
from billing.timed import service as timed
from models.db import Database
from models.oplog import OpLogEntry
from tests.billing.automation.conftest import add_link, add_meter
from tests.billing.automation.timed_helpers import tag_meters
from ui import tasks
from ui.pages.control_page import ControlPage
from ui.pages.settings_timed_tab import TimedDialog, TimedTab, WorkdaysDialog
from ui.session import StationSession


@pytest.fixture
def site(tmp_path):
    db = Database.open(f"sqlite:///{tmp_path / 't.db'}", upgrade=True)
    operator_service.create_first_operator(db, "root", "secret-1", "T")
    root = auth.login(db, "root", "secret-1", "T")
    tag_meters(db, "area:宿舍楼", [add_meter(db, add_link(db, "tcp://127.0.0.1:9"), "000000000001")])
    yield db, root
    tasks.wait_idle()
    db.dispose()


def test_settings_tab_crud_and_dialog_keeps_bad_input(qtbot, site):
    db, root = site
    tab = TimedTab(StationSession(db, root, "T"))
    qtbot.addWidget(tab)
    tab.show()
    tab.refresh()
    qtbot.waitUntil(lambda: tab.tags == ["area:宿舍楼"], timeout=5000)
    dlg = TimedDialog(tab.tags, None, tab)
    qtbot.addWidget(dlg)
    dlg.name.setText("宿舍熄灯")
    dlg.off.setText("25:00")
    dlg.days.setCurrentIndex(dlg.days.findData("school"))
    dlg.skip.setText("2026-12-31, 2027-01-01")
    dlg.show()
    dlg.accept()                                              # bad time: stays open, says why
    assert dlg.isVisible() and "25:00" in dlg.error.text() and dlg.name.text() == "宿舍熄灯"
    dlg.off.setText("23:00")
    dlg.accept()
    assert not dlg.isVisible()
    tab.add(dlg)
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1, timeout=5000)
    row = timed.list_timed(db)[0]
    assert (row.off_at, row.on_at, row.days, len(row.skip)) == ("23:00", "06:00", "school", 2)
    tab.view.selectRow(0)
    edit = TimedDialog(tab.tags, tab.selected(), tab)
    qtbot.addWidget(edit)
    edit.on.setText("06:30")
    tab.edit(edit)
    qtbot.waitUntil(lambda: timed.list_timed(db)[0].on_at == "06:30", timeout=5000)
    wd = WorkdaysDialog([], tab)
    qtbot.addWidget(wd)
    wd.text.setPlainText("2026-10-10 国庆调休\n")
    tab.workdays(wd)
    qtbot.waitUntil(lambda: len(timed.list_workdays(db)) == 1, timeout=5000)
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1, timeout=5000)
    tab.view.selectRow(0)
    tab.delete()
    qtbot.waitUntil(lambda: timed.list_timed(db) == [], timeout=5000)
    with db.read() as s:
        actions = s.execute(sa.select(OpLogEntry.action).where(OpLogEntry.action.like("%timed.%")
                                                               | (OpLogEntry.action == "workdays.set"))).scalars().all()
    assert sorted(actions) == ["timed.add", "timed.remove", "timed.update", "workdays.set"]


def test_control_page_shows_next_scheduled(qtbot, site):
    db, root = site
    timed.add_timed(db, root, timed.TimedSpec("商铺关门", "area:宿舍楼", off_at="21:30", on_at="07:00"))
    page = ControlPage(StationSession(db, root, "T"))
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    panel = page.timed_panel
    qtbot.waitUntil(lambda: panel.model.rowCount() == 8, timeout=5000)
    assert [u.action for u in panel.upcoming[:2]] in (["off", "on"], ["on", "off"])
    assert all(u.schedule == "商铺关门" for u in panel.upcoming) and not panel.empty.isVisible()
    assert panel.upcoming == sorted(panel.upcoming)
