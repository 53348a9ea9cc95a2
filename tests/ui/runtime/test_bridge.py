"""EventBridge: events published on worker threads reach the GUI thread as a few coalesced
signals; link and meter states are counted for the status bar; new alarms in the database are
announced by alarm_raised (polled off the GUI thread)."""
from __future__ import annotations

import threading

from comms import events as ev
from models.db import Database
from ui import tasks
from ui.bridge import EventBridge


def test_flood_is_coalesced_and_alarms_are_announced(qtbot, tmp_path):
    db = Database.open(f"sqlite:///{tmp_path / 'b.db'}", upgrade=True)
    bus = ev.EventBus()
    bridge = EventBridge(bus, db, flush_ms=50, alarm_ms=100)
    try:
        batches: list[list] = []
        statuses: list[dict] = []
        alarms: list = []
        bridge.readings.connect(batches.append)
        bridge.status_changed.connect(statuses.append)
        bridge.alarm_raised.connect(alarms.extend)
        qtbot.waitUntil(lambda: bridge._alarm_after is not None, timeout=5000)

        def flood() -> None:
            bus.publish(ev.LINK_STATE, link_id=1, state="online")
            bus.publish(ev.LINK_STATE, link_id=2, state="lost")
            for i in range(2000):
                bus.publish(ev.READING, meter_id=i % 144, values={"energy": str(i)})
                if i % 144 == 0:
                    bus.publish(ev.METER_STATE, meter_id=i % 144, state="online")

        worker = threading.Thread(target=flood, name="flood")
        worker.start()
        worker.join()
        qtbot.waitUntil(lambda: sum(len(b) for b in batches) == 2000, timeout=5000)
        assert len(batches) < 40                      # a handful of batches, not 2000 signals
        assert statuses[-1]["links_online"] == 1 and statuses[-1]["links_lost"] == 1
        assert statuses[-1]["meters_online"] >= 1 and statuses[-1]["last_reading"]

        from billing.alarm_log import raise_alarm

        with db.write() as s:
            raise_alarm(s, "link_lost", message="bus 2 silent")
        qtbot.waitUntil(lambda: len(alarms) == 1, timeout=5000)
        assert alarms[0].kind == "link_lost"
    finally:
        bridge.close()
        bus.publish(ev.READING, meter_id=1, values={})    # ignored after close
        tasks.wait_idle()
        db.dispose()
    assert bridge._pending == []


def test_a_late_death_notice_never_wipes_the_next_childs_states(qtbot):
    """The runtime child's end is a mark in the event stream (ev.RUNTIME_LOST, published by its
    supervisor after the dead child's last event): what came before it is "unknown", what a new
    child already said after it stands, even when the GUI thread runs the death notice
    (mark_unknown) after the new child's first events (a busy window; found in review)."""
    bus = ev.EventBus()
    b = EventBridge(bus, None, flush_ms=60_000)
    try:
        bus.publish(ev.METER_STATE, meter_id=1, state="online")        # the old child
        bus.publish(ev.METER_STATE, meter_id=2, state="online")
        bus.publish(ev.LINK_STATE, link_id=7, state="online")
        bus.publish(ev.RUNTIME_LOST)                                    # it died here
        bus.publish(ev.METER_STATE, meter_id=1, state="online")        # the new child's first good read
        seen: list[dict] = []
        b.meter_states.connect(seen.append)
        b.mark_unknown()                                                # the GUI thread, late
        assert b.meters == {1: "online", 2: "unknown"} and b.links == {7: "unknown"}
        assert seen == [{1: "online", 2: "unknown"}]                    # every state said again
        assert b.status()["polling"] is False and b.status()["meters_unknown"] == 1
        b.mark_polling()
        assert b.status()["polling"] is True
    finally:
        b.close()
