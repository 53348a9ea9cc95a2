"""The control page with the poller's bridge: the list is patched live (meter states,
readings) and a visit reloads it only when it is older than BRIDGED_STALE_S or the window wrote
to the database since (a 10,000-row board query and merge on every visit stalled the window); a
finished command reloads it at once and the bridge's coalesced command events poll the progress."""
from __future__ import annotations

from access import login as auth
from access import operators as operator_service
from comms import events as ev
from tests.ui.meters import board_site
from ui import board_source, tasks
from ui.bridge import EventBridge
from ui.pages import control_page
from ui.pages.control_page import ControlPage
from ui.session import StationSession


def test_list_patched_live_and_reloaded_only_when_stale(qtbot, sqlite_db, monkeypatch):
    operator_service.create_first_operator(sqlite_db, "root", "secret-1", "T")
    root = auth.login(sqlite_db, "root", "secret-1", "T")
    site = board_site.build(sqlite_db, meters=4, opened_every=1)
    loads = []
    real = board_source.monitor_rows
    monkeypatch.setattr(board_source, "monitor_rows", lambda *a, **kw: loads.append(1) or real(*a, **kw))
    bus = ev.EventBus()
    bridge = EventBridge(bus, None, flush_ms=10_000)
    session = StationSession(sqlite_db, root, "T")
    session.services["bridge"] = bridge
    page = ControlPage(session)
    qtbot.addWidget(page)
    polls = []
    page.poll = lambda: polls.append(1)
    page._connect_bridge()                          # again, with poll() replaced: a second connection
    page.show()
    page.refresh()
    qtbot.waitUntil(lambda: page.meters.rowCount() == 4, timeout=5000)
    assert len(loads) == 1
    page.refresh()                                  # a visit right after: the live list is kept
    qtbot.wait(200)
    assert len(loads) == 1
    meter = site.meters[2]
    bus.publish(ev.METER_STATE, meter_id=meter, state="lost")
    bus.publish(ev.COMMAND_DONE, item_id=1, meter_id=meter)
    bridge.flush()
    row = page.meters.rows[page.meters.row_of(meter)]
    assert row.comm_state == "lost" and row.state == "lost"
    assert polls                                    # the bridge's "commands" reached the progress
    other = site.meters[1]
    page.meters.update_row(other, comm_state="online", relay_state="closed")
    before = page.meters.rows[page.meters.row_of(other)]
    bus.publish(ev.READING, meter_id=other, values={"energy": "12.5"})     # nothing this list shows
    bridge.flush()
    assert page.meters.rows[page.meters.row_of(other)] is before
    bus.publish(ev.READING, meter_id=other, values={"energy": "12.6", "relay": "open"})
    bus.publish(ev.READING, meter_id=meter, values={"energy": "1.0"})       # the lost one is back
    bridge.flush()
    assert page.meters.rows[page.meters.row_of(other)].relay_state == "open"
    assert page.meters.rows[page.meters.row_of(meter)].comm_state == "online"
    done = []                                       # the window writes (an opening, a sale) ...
    tasks.write(page, lambda: None, on_done=done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=5000)
    page.refresh()                                  # ... so a visit within the bound reloads: the list
    qtbot.waitUntil(lambda: len(loads) == 2, timeout=5000)      # never shows what the window changed
    qtbot.waitUntil(lambda: not page._loading, timeout=5000)
    page.refresh()                                  # and the next one, nothing written, keeps it
    qtbot.wait(200)
    assert len(loads) == 2
    monkeypatch.setattr(control_page, "BRIDGED_STALE_S", 0)
    page.refresh()                                  # older than the bound: reloaded
    qtbot.waitUntil(lambda: len(loads) == 3, timeout=5000)
    page.refresh(force=True)
    qtbot.waitUntil(lambda: len(loads) == 4, timeout=5000)
    bridge.close()
