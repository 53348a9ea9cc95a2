"""The Meters page on a database: loads the board off-thread, filters, counts per state, merges
a reload in place, follows the bridge's live readings, stops its timer when hidden."""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from access import login as auth
from access import operators as operator_service
from tests.ui.meters import board_site
from ui import board_source, tasks
from ui.pages.meters_page import MetersPage
from ui.session import StationSession


class FakeBridge(QObject):          # the signals and payloads of ui.bridge.EventBridge
    readings = Signal(object)
    meter_states = Signal(object)


def test_board_loads_filters_and_updates(qtbot, sqlite_db):
    operator_service.create_first_operator(sqlite_db, "root", "secret-1", "T")
    root = auth.login(sqlite_db, "root", "secret-1", "T")
    site = board_site.build(sqlite_db, meters=240, buildings=2)
    board_site.set_meter(sqlite_db, site.meters[0], relay_state="open")
    bridge = FakeBridge()
    page = MetersPage(StationSession(sqlite_db, root, "T", services={"bridge": bridge}))
    qtbot.addWidget(page)
    page.show()
    assert page.timer.isActive()
    page.refresh()
    qtbot.waitUntil(lambda: page.model.rowCount() == 240, timeout=5000)
    assert page.model.counts["not_opened"] == 120 and page.model.counts["tripped"] == 1
    assert page.summary["tripped"].text() == "Tripped 1"
    assert page.building.count() == 3 and page.tag.count() == 2
    page.building.setCurrentIndex(1)
    assert page.floor.count() == 4                                # All + 3 floors of that building
    assert 0 < page.proxy.rowCount() < 240
    page.building.setCurrentIndex(0)
    page.state.setCurrentIndex(page.state.findData("tripped"))
    assert page.proxy.rowCount() == 1 and page.proxy.visible_ids() == [site.meters[0]]
    page.state.setCurrentIndex(0)
    page.text.setText(site.numbers[5])
    qtbot.waitUntil(lambda: page.proxy.rowCount() == 1, timeout=2000)
    assert "1 of 240" in page.status.text()
    page.text.clear()
    qtbot.waitUntil(lambda: page.proxy.rowCount() == 240, timeout=2000)
    # a reload with one changed meter: dataChanged for it, no reset
    resets, changed = [], []
    page.model.modelReset.connect(lambda: resets.append(1))
    page.model.dataChanged.connect(lambda a, b, roles=None: changed.append((a.row(), b.row())))
    board_site.set_account(sqlite_db, site.meters[2], balance_fen=0)
    page.reload()
    row = page.model.row_of(site.meters[2])
    qtbot.waitUntil(lambda: (row, row) in changed, timeout=5000)
    assert not resets and page.model.rows[row].state == "arrears" and page.model.counts["arrears"] == 1
    # live events from the poller's bridge
    bridge.readings.emit([{"meter_id": site.meters[4], "values": {"voltage": "231.4", "energy": "55.5"}}])
    r4 = page.model.rows[page.model.row_of(site.meters[4])]
    assert r4.last_values["voltage"] == "231.4" and r4.energy_milli == 55500
    bridge.meter_states.emit({site.meters[4]: "lost"})
    assert page.model.rows[page.model.row_of(site.meters[4])].state == "lost"
    page.hide()
    assert not page.timer.isActive()
    tasks.wait_idle()


def test_main_window_shows_my_pages_for_a_cashier(qtbot, sqlite_db):
    from ui.main_window import MainWindow

    operator_service.create_first_operator(sqlite_db, "root", "secret-1", "T")
    root = auth.login(sqlite_db, "root", "secret-1", "T")
    operator_service.add_operator(sqlite_db, root, "cas", "pass-123", "cashier")
    cas = auth.login(sqlite_db, "cas", "pass-123", "T")
    board_site.build(sqlite_db, meters=10)
    win = MainWindow(StationSession(sqlite_db, cas, "T"))
    qtbot.addWidget(win)
    win.show()
    keys = [p.key for p in win.pages]
    for key in ("meters", "control", "alarms"):
        win.nav.setCurrentRow(keys.index(key))
    qtbot.waitUntil(lambda: win.page("meters").model.rowCount() == 10, timeout=5000)
    qtbot.waitUntil(lambda: win.page("control").meters.rowCount() == 10, timeout=5000)
    control = win.page("control")
    board = win.page("meters")
    board.view.selectRow(2)
    control.take_board_selection()
    assert control.selected_ids() == board.selected_meter_ids() and len(control.selected_ids()) == 1
    control.view.selectAll()
    control.action.setCurrentIndex(control.action.findData("trip"))
    assert not control.send_button.isEnabled()
    win.nav.setCurrentRow(keys.index("counter"))
    assert not win.page("meters").timer.isActive()
    win.page("alarms").watch_timer.stop()
    tasks.wait_idle()


class LiveBridge(FakeBridge):       # with the signals that say what changed behind the live feed
    settled = Signal(object)
    alarm_raised = Signal(object)
    commands = Signal(object)


def test_a_visit_reloads_only_what_the_bridge_did_not_bring(qtbot, sqlite_db, monkeypatch):
    import ui.pages.meters_page as meters_page

    operator_service.create_first_operator(sqlite_db, "root", "secret-1", "T")
    root = auth.login(sqlite_db, "root", "secret-1", "T")
    site = board_site.build(sqlite_db, meters=12, buildings=1)
    asked: list = []

    def counted(db, actor=None, *, meter_ids=None):
        asked.append(None if meter_ids is None else sorted(meter_ids))
        return board_source.monitor_rows.__wrapped__(db, actor, meter_ids=meter_ids)

    counted.__wrapped__ = board_source.monitor_rows
    monkeypatch.setattr(board_source, "monitor_rows", counted)
    bridge = LiveBridge()
    page = MetersPage(StationSession(sqlite_db, root, "T", services={"bridge": bridge}))
    qtbot.addWidget(page)
    page.show()
    page.refresh()                                     # the first visit: the whole board
    qtbot.waitUntil(lambda: page.model.rowCount() == 12 and not page._loading, timeout=5000)
    assert asked == [None]
    page.refresh()                                     # nothing changed behind the feed: no query
    assert asked == [None] and not page._loading
    # the runtime settled an account: that account's meters only, its new balance shown
    meter = site.meters[0]
    account = page.model.rows[page.model.row_of(meter)].account_id
    assert account is not None
    board_site.set_account(sqlite_db, meter, balance_fen=-700)
    bridge.settled.emit([{"accounts": [account], "charged": 1, "fen": 700, "tripped": []}])
    page.refresh()
    qtbot.waitUntil(lambda: len(asked) == 2 and not page._loading, timeout=5000)
    assert asked[1] == [meter]
    assert page.model.rows[page.model.row_of(meter)].balance_fen == -700
    assert page.model.rows[page.model.row_of(meter)].state == "arrears"
    # a command finished on another meter: that meter
    bridge.commands.emit([{"name": "command_done", "item_id": 1, "meter_id": site.meters[3]}])
    page.refresh()
    qtbot.waitUntil(lambda: len(asked) == 3 and not page._loading, timeout=5000)
    assert asked[2] == [site.meters[3]]
    # an alarm was raised on a meter: that meter (its open-alarm marker)
    from billing.alarm_log import AlarmRow
    bridge.alarm_raised.emit([AlarmRow(id=1, kind="overvoltage", title="Over-voltage", state="open",
                                       raised_at=board_site.T0, message="", account="", customer="",
                                       meter=site.numbers[5], link="", building="", acked_by="", acked_at=None,
                                       cleared_at=None, details={})])
    page.refresh()
    qtbot.waitUntil(lambda: len(asked) == 4 and not page._loading, timeout=5000)
    assert asked.pop() == [site.meters[5]]
    # the windows wrote to the database (a sale, an archive edit): the whole board again
    tasks.write(None, lambda: board_site.set_account(sqlite_db, site.meters[2], balance_fen=1))
    tasks.wait_idle()
    page.refresh()
    qtbot.waitUntil(lambda: len(asked) == 4 and not page._loading, timeout=5000)
    assert asked[3] is None
    # a board older than BRIDGED_STALE_S: the whole board
    page.fresh.at -= meters_page.BRIDGED_STALE_S
    page.refresh()
    qtbot.waitUntil(lambda: len(asked) == 5 and not page._loading, timeout=5000)
    assert asked[4] is None
    page.hide()
    tasks.wait_idle()


def test_without_a_live_feed_every_visit_reloads(qtbot, sqlite_db, monkeypatch):

    operator_service.create_first_operator(sqlite_db, "root", "secret-1", "T")
    root = auth.login(sqlite_db, "root", "secret-1", "T")
    board_site.build(sqlite_db, meters=5, buildings=1)
    asked: list = []
    real = board_source.monitor_rows
    monkeypatch.setattr(board_source, "monitor_rows",
                        lambda db, actor=None, **kw: asked.append(kw) or real(db, actor, **kw))
    page = MetersPage(StationSession(sqlite_db, root, "T"))
    qtbot.addWidget(page)
    for n in (1, 2):
        page.refresh()
        qtbot.waitUntil(lambda n=n: len(asked) == n and not page._loading, timeout=5000)
    assert page.model.rowCount() == 5
    tasks.wait_idle()
