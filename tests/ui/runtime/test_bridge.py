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
