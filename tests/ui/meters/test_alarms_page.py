"""The alarms page: open alarms grouped by area, acknowledge a selection (logged), new alarms
pop up grouped by area without a modal box, history by date range and kind."""
from __future__ import annotations

from access import login as auth
from access import operators as operator_service
from billing import alarm_log
from tests.ui.meters import board_site
from ui import tasks
from ui.pages.alarms_page import AlarmsPage
from ui.session import StationSession


def _raise(db, site, specs):
    with db.write() as s:
        for kind, index in specs:
            m = site.meters[index]
            alarm_log.raise_alarm(s, kind, meter_id=m, account_id=site.accounts.get(m), message=f"{kind} {index}")


def test_open_grouped_ack_popup_history(qtbot, sqlite_db):
    operator_service.create_first_operator(sqlite_db, "root", "secret-1", "T")
    root = auth.login(sqlite_db, "root", "secret-1", "T")
    site = board_site.build(sqlite_db, meters=12, buildings=2)     # floors alternate buildings per 3 rooms
    _raise(sqlite_db, site, [("arrears", 0), ("alarm1", 2), ("meter_lost", 4)])
    page = AlarmsPage(StationSession(sqlite_db, root, "T"))
    qtbot.addWidget(page)
    page.resize(900, 600)
    page.show()
    qtbot.waitUntil(lambda: page.last_id is not None, timeout=5000)   # baseline taken, no pop-up
    assert page.notice is None
    page.refresh()
    qtbot.waitUntil(lambda: page.tree.topLevelItemCount() == 2, timeout=5000)
    areas = [page.tree.topLevelItem(i).text(0) for i in range(2)]
    assert areas[0].startswith("B") and "(2, 2 new)" in areas[0] and "(1, 1 new)" in areas[1]
    first = page.tree.topLevelItem(0)
    assert first.child(0).text(1) in ("Arrears", "Low balance")
    first.setSelected(True)                                          # a whole area
    assert len(page.selected_alarm_ids()) == 2
    page.acknowledge()
    qtbot.waitUntil(lambda: "2 alarms acknowledged" in page.open_status.text(), timeout=5000)
    qtbot.waitUntil(lambda: "(2, 0 new)" in page.tree.topLevelItem(0).text(0), timeout=5000)
    assert page.tree.topLevelItem(0).child(0).text(2) == "Acknowledged"
    # a new alarm pops up, grouped by area, non-modal
    _raise(sqlite_db, site, [("tripped", 6), ("alarm2", 8)])
    page.watch()
    qtbot.waitUntil(lambda: page.notice is not None and page.notice.isVisible(), timeout=5000)
    text = page.notice.text.text()
    assert "Tripped for arrears" in text and "Very low balance" in text and len(text.splitlines()) in (1, 2)
    assert not page.notice.isModal() and page.notice.parentWidget() is page.window()
    qtbot.waitUntil(lambda: page.tree.topLevelItemCount() == 2 and "5 open" in page.open_status.text(),
                    timeout=5000)
    # history: all kinds, then one kind
    page.tabs.setCurrentIndex(1)
    page.search_history()
    qtbot.waitUntil(lambda: page.history_model.rowCount() == 5, timeout=5000)
    page.kind.setCurrentIndex(page.kind.findData("arrears"))
    page.search_history()
    qtbot.waitUntil(lambda: page.history_model.rowCount() == 1, timeout=5000)
    assert page.history_model.row_text(0)[2] == "Arrears" and page.history_model.row_text(0)[8] == "root"
    assert page.history_status.text() == "1 alarms"
    page.watch_timer.stop()
    tasks.wait_idle()


def test_operator_without_report_right_sees_nothing(qtbot, sqlite_db):
    from models.rights import Actor

    nobody = Actor(name="nobody", role="custom", rights=frozenset({"sell"}), station="T")
    page = AlarmsPage(StationSession(sqlite_db, nobody, "T"))
    qtbot.addWidget(page)
    assert not page.ack_button.isEnabled() and not page.watch_timer.isActive()
    page.refresh()
    assert "no right" in page.open_status.text()
    tasks.wait_idle()


def test_a_refill_keeps_the_column_widths_the_operator_set(qtbot, sqlite_db):
    """The open tree's columns are fitted at its first fill only: a refill (a new alarm while the
    page is shown) keeps the widths the operator dragged, and does not walk every item to fit
    them again (at 1,500 open alarms 25 ms of the GUI thread's 75-83 ms refill)."""
    operator_service.create_first_operator(sqlite_db, "root", "secret-1", "T")
    root = auth.login(sqlite_db, "root", "secret-1", "T")
    site = board_site.build(sqlite_db, meters=12, buildings=2)
    _raise(sqlite_db, site, [("arrears", 0), ("alarm1", 2)])
    page = AlarmsPage(StationSession(sqlite_db, root, "T"))
    qtbot.addWidget(page)
    page.resize(900, 600)
    page.show()
    page.refresh()
    qtbot.waitUntil(lambda: page._open_shown is not None and len(page._open_shown) == 2, timeout=5000)
    page.tree.setColumnWidth(1, 333)                                 # the operator widens a column
    _raise(sqlite_db, site, [("meter_lost", 4), ("tripped", 6)])
    before = page._open_shown
    page.refresh()
    qtbot.waitUntil(lambda: page._open_shown != before, timeout=5000)
    assert sum(page.tree.topLevelItem(i).childCount() for i in range(page.tree.topLevelItemCount())) == 4
    assert page.tree.columnWidth(1) == 333
    tasks.wait_idle()
