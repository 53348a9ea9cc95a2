"""Background events reaching the screen: the runtime's EventBus turned into Qt signals.

    host = RuntimeHost(session)          # session.services["bridge"], ["runtime_host"]
    window = MainWindow(session)         # pages connect to session.services["bridge"] signals
    host.start()                         # starts the runtime in its child process (ui/runtime_process.py;
                                         # in_process=True: builds StationRuntime off the GUI thread);
                                         # then session.services["runtime"] is set
    ...
    shutdown(session)                    # stops the runtime (the child: "stop", ≤ 10 s, then killed;
                                         # in process: joins its threads), then the demo

EventBridge subscribes to the bus. Its listener runs on poller/store threads and only appends to
a locked list; a 200 ms QTimer on the GUI thread drains it and emits coalesced signals, so a
flood of readings costs the event loop one short slot call per 200 ms, never one per event:

    readings(list[dict])       [{"meter_id", "values": {quantity: text}}], batched
    read_failures(list[dict])  [{"meter_id", "error", "link"?}]
    meter_states(dict)         {meter_id: "online" | "lost" | "unknown"} (last state wins)
    link_states(dict)          {link_id: "online" | "lost" | "unknown"} (what changed)
    commands(list[dict])       [{"name": "command_done"|"command_failed", item_id, meter_id, ...}]
    cycles(list[dict])         poller cycle summaries
    settled(list[dict])        runtime settlement results (accounts, charged, fen, tripped)
    events(list[Event])        every other event (jobs_run ...)
    status_changed(dict)       links_total/online/lost/unknown, meters_online/lost/unknown, polling,
                               last_reading (local time text)
    alarm_raised(list)         new billing.alarm_log.AlarmRow rows (polled off-thread every 3 s)
    runtime_ready(object)      the runtime once it polls: the StationRuntime (in process) or the
                               child process's RuntimeProxy (ui/runtime_process.py), again after
                               each restart of the child
    runtime_lost(str)          the child ended unasked (the status bar's translated line)

When the runtime's child ends unasked, every meter and link state the bridge holds becomes
"unknown" (mark_unknown): nobody watches them any more, and an operator must not read "online"
as fresh while polling is down or before the new child has read them. The new child's poller
says each state again as it reads (online on a meter's first good read, lost on its first failed
read when the archive already had it lost, a link's state on its first exchange). `unread`
holds the meters marked so whose state no runtime has said since: a board built later (the
pages are built on their first visit) marks their rows "unknown" with it
(billing/monitor_query.py, ui/item_models/meter_table.py).
"""
from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from PySide6.QtCore import QObject, QTimer, Signal

from comms import events as ev
from models import station_time
from models.db import Database
from ui import runtime_process as _runtime_process  # noqa: F401 - with the window, not in start() after its paint
from ui import tasks

log = logging.getLogger(__name__)
SETTLED = "settled"
_ALARM_HINTS = {ev.METER_STATE, ev.LINK_STATE, ev.COMMAND_FAILED, SETTLED}


class EventBridge(QObject):
    readings = Signal(object)
    read_failures = Signal(object)
    meter_states = Signal(object)
    link_states = Signal(object)
    commands = Signal(object)
    cycles = Signal(object)
    settled = Signal(object)
    events = Signal(object)
    status_changed = Signal(object)
    alarm_raised = Signal(object)
    runtime_ready = Signal(object)
    runtime_lost = Signal(str)

    def __init__(self, bus: ev.EventBus, db: Database | None = None, *, flush_ms: int = 200,
                 alarm_ms: int = 3000, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self._lock = threading.Lock()
        self._pending: list[ev.Event] = []
        self._closed = False
        self.links: dict[int, str] = {}
        self.meters: dict[int, str] = {}
        self.unread: set[int] = set()         # marked "unknown" by a runtime's end, not said since
        self.last_reading: datetime | None = None
        self.polling = True                   # False from a child's unasked end until the next one polls
        self.received = 0                     # events seen (tests, benchmarks)
        self._alarm_after: int | None = None
        self._alarm_busy = False
        self._alarm_due = False
        self._unsubscribe = bus.subscribe(self._listen)
        self._timer = QTimer(self)
        self._timer.setInterval(flush_ms)
        self._timer.timeout.connect(self.flush)
        self._timer.start()
        self._alarm_timer = QTimer(self)
        self._alarm_timer.setInterval(alarm_ms)
        self._alarm_timer.timeout.connect(self.poll_alarms)
        if db is not None:
            tasks.read(None, self._load_states, on_done=self._loaded, on_error=self._bg_error)

    # --- any thread ---------------------------------------------------------------------------
    def _listen(self, event: ev.Event) -> None:
        with self._lock:
            if not self._closed:
                self._pending.append(event)

    # --- GUI thread -----------------------------------------------------------------------------
    def flush(self) -> None:
        """Emit what arrived since the last flush, coalesced (also called by tests)."""
        with self._lock:
            batch, self._pending = self._pending, []
        if not batch:
            return
        self.received += len(batch)
        out: dict[str, list] = {"readings": [], "failures": [], "commands": [], "cycles": [],
                                "settled": [], "other": []}
        meters: dict[int, str] = {}
        links: dict[int, str] = {}
        lost = False
        for e in batch:
            name, data = e.name, e.data
            if name == ev.RUNTIME_LOST:             # the child ended here: what came before is stale
                self.meters.update(meters)
                self.links.update(links)
                meters, links = {}, {}
                self.meters = dict.fromkeys(self.meters, "unknown")
                self.unread = set(self.meters)
                self.links = dict.fromkeys(self.links, "unknown")
                self.polling = False
                lost = True
                continue
            if name == ev.READING:
                out["readings"].append(data)
            elif name == ev.READ_FAILED:
                out["failures"].append(data)
            elif name == ev.METER_STATE:
                meters[data["meter_id"]] = data["state"]
            elif name == ev.LINK_STATE:
                links[data["link_id"]] = data["state"]
            elif name in (ev.COMMAND_DONE, ev.COMMAND_FAILED):
                out["commands"].append({"name": name, **data})
            elif name == ev.CYCLE_DONE:
                out["cycles"].append(data)
            elif name == SETTLED:
                out["settled"].append(data)
            else:
                out["other"].append(e)
            if name in _ALARM_HINTS:
                self._alarm_due = True
        if out["readings"]:
            self.last_reading = station_time.now()      # shown in the status bar: the station's clock
        self.meters.update(meters)
        self.links.update(links)
        if self.unread:                           # a runtime said their state again (after the mark)
            self.unread.difference_update(meters)
        if lost:                                  # every state said again, the new child's on top
            meters, links = dict(self.meters), dict(self.links)
        for signal, key in ((self.readings, "readings"), (self.read_failures, "failures"),
                            (self.commands, "commands"), (self.cycles, "cycles"),
                            (self.settled, "settled"), (self.events, "other")):
            if out[key]:
                signal.emit(out[key])
        if meters:
            self.meter_states.emit(meters)
        if links:
            self.link_states.emit(links)
        if meters or links or out["readings"] or lost:
            self.status_changed.emit(self.status())
        if self._alarm_due and not self._alarm_busy and self._alarm_after is not None:
            self.poll_alarms()

    def status(self) -> dict[str, Any]:
        links = Counter(self.links.values())
        meters = Counter(self.meters.values())
        return {"links_total": len(self.links), "links_online": links["online"], "links_lost": links["lost"],
                "links_unknown": links["unknown"], "meters_online": meters["online"], "meters_lost": meters["lost"],
                "meters_unknown": meters["unknown"], "polling": self.polling,
                "last_reading": self.last_reading.strftime("%H:%M:%S") if self.last_reading else ""}

    def mark_unknown(self) -> None:
        """The runtime that watched the states is gone (its child ended): every meter and link
        state is "unknown" until a new runtime reads it. The child's process publishes
        RUNTIME_LOST on the bus in the stream's order, so this is a flush: what the dead child
        sent is applied before it, what a new child already sent after it (a late death notice
        on a busy GUI thread once wiped a new child's first "online" states for good). Without
        that event (an in-process runtime), nothing is marked."""
        self.flush()
        self.status_changed.emit(self.status())

    def mark_polling(self) -> None:
        """A runtime polls again; the states stay unknown until it has read them."""
        self.polling = True
        self.status_changed.emit(self.status())

    def _load_states(self) -> tuple[dict[int, str], dict[int, str], int]:
        from models.archive import Link, Meter
        from models.automation import Alarm

        assert self.db is not None
        with self.db.read() as s:
            links = dict(s.execute(sa.select(Link.id, Link.state).where(Link.enabled.is_(True))).all())
            meters = dict(s.execute(sa.select(Meter.id, Meter.comm_state)
                                    .where(Meter.state == "installed", Meter.link_id.is_not(None))).all())
            last = s.execute(sa.select(sa.func.max(Alarm.id))).scalar()
        return links, meters, int(last or 0)

    def _loaded(self, result: tuple[dict[int, str], dict[int, str], int]) -> None:
        links, meters, last = result
        if self._closed:
            return
        for k, v in links.items():
            self.links.setdefault(k, v if self.polling else "unknown")
        for k, v in meters.items():
            if k not in self.meters and not self.polling:
                self.unread.add(k)
            self.meters.setdefault(k, v if self.polling else "unknown")
        self._alarm_after = last
        self._alarm_timer.start()
        self.status_changed.emit(self.status())

    def poll_alarms(self) -> None:
        """Look for alarms newer than the last seen one, off the GUI thread."""
        if self.db is None or self._closed or self._alarm_busy or self._alarm_after is None:
            return
        from billing.alarm_log import list_alarms

        db, after = self.db, self._alarm_after
        self._alarm_busy, self._alarm_due = True, False
        tasks.read(None, lambda: list_alarms(db, after_id=after, limit=200), on_done=self._alarms,
                   on_error=self._bg_error)

    def _alarms(self, rows: list) -> None:
        self._alarm_busy = False
        if rows and not self._closed:
            self._alarm_after = max(self._alarm_after or 0, max(r.id for r in rows))
            self.alarm_raised.emit(list(reversed(rows)))        # oldest first

    def _bg_error(self, error: BaseException) -> None:
        self._alarm_busy = False
        log.warning("event bridge background read failed: %s", error)

    def close(self) -> None:
        """Stop listening and emitting (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._pending.clear()
        self._unsubscribe()
        self._timer.stop()
        self._alarm_timer.stop()


class RuntimeHost:
    """Owns the station runtime of a session and its EventBridge; start and stop never block the
    GUI thread while the station works (stop() waits only at shutdown).

    By default the runtime runs in a child process (ui/runtime_process.py, issue 12: its threads
    never hold the window's interpreter lock); session.services["runtime"] is then a RuntimeProxy
    (wake, read_group, read_now). in_process=True builds StationRuntime in this process (tests
    that need the runtime object or options that are not plain data, e.g. a clock); an in-memory
    SQLite database can only be polled in process."""

    def __init__(self, session, *, run_jobs: bool = True, in_process: bool | None = None,
                 **runtime_options: Any) -> None:
        self.session = session
        self.bus = ev.EventBus()
        self.bridge = EventBridge(self.bus, session.db)
        self.runtime = None
        self.error: BaseException | str | None = None
        self.run_jobs = run_jobs
        self.options = runtime_options
        if in_process is None:
            in_process = session.db.url.startswith("sqlite") and ":memory:" in session.db.url
        self.in_process = in_process
        self.process = None                     # ui.runtime_process.RuntimeProcess (child path)
        self._lock = threading.Lock()
        self._built = threading.Event()
        self._started = self._stopped = False
        session.services["bridge"] = self.bridge
        session.services["runtime_host"] = self

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        if self.in_process:
            tasks.read(None, self._build, on_done=self._ready, on_error=self._failed)
            return
        import json

        from ui.runtime_process import RuntimeProcess

        try:
            json.dumps(self.options)
        except TypeError as e:
            raise TypeError(f"runtime options for the child process must be plain data ({e}); "
                            "use RuntimeHost(..., in_process=True)") from None
        self._built.set()
        self.process = RuntimeProcess(self.bus, {"url": self.session.db.url, "station": self.session.station,
                                                 "run_jobs": self.run_jobs, "options": self.options})
        self.process.signals.started.connect(self._child_started)
        self.process.signals.problem.connect(self._child_problem)
        self.process.start()

    def _child_started(self, info: dict) -> None:
        from ui.runtime_process import RuntimeProxy

        if self._stopped or self.process is None:
            return
        proxy = RuntimeProxy(self.process, info)
        self.runtime = proxy
        self.error = None
        log.info("the station runtime polls in process %s: %s meters on %s links",
                 info.get("pid"), info.get("meters"), info.get("links"))
        self.session.services["runtime"] = proxy
        self.bridge.mark_polling()
        self.bridge.runtime_ready.emit(proxy)

    def _child_problem(self, text: str) -> None:
        if self._stopped:
            return
        self.error = text
        self.runtime = None
        self.session.services.pop("runtime", None)
        self.bridge.mark_unknown()               # nobody watches the meters now: no stale "online"
        tasks.report_background(text)            # the window's status bar (never a modal box)
        self.bridge.runtime_lost.emit(text)      # the window replaces the line once a child polls again

    def _build(self):
        from station.runtime import StationRuntime

        try:
            with self._lock:
                if self._stopped:
                    return None
                rt = StationRuntime(self.session.db, station=self.session.station, events=self.bus,
                                    run_jobs=self.run_jobs, **self.options)
                self.runtime = rt
                rt.start()
                return rt
        finally:
            self._built.set()

    def _ready(self, rt) -> None:
        if rt is not None and not self._stopped:
            self.session.services["runtime"] = rt
            self.bridge.runtime_ready.emit(rt)

    def _failed(self, error: BaseException) -> None:
        self.error = error
        log.error("the station runtime did not start: %s", error)
        self._built.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the runtime and join its threads, or stop the child process (≤ 10 s, then killed)
        (idempotent; shutdown and tests)."""
        with self._lock:
            already, self._stopped = self._stopped, True
        if already:
            return
        self.bridge.close()
        if self._started:
            self._built.wait(timeout)
        rt, self.runtime = self.runtime, None
        self.session.services.pop("runtime", None)
        if self.process is not None:
            self.process.stop()
        elif rt is not None:
            rt.stop()


def shutdown(session) -> None:
    """Stop what the session runs in the background: the runtime first, then the demo's simulators."""
    host = session.services.pop("runtime_host", None)
    if host is not None:
        host.stop()
    session.services.pop("bridge", None)
    demo = session.services.pop("demo", None)
    if demo is not None:
        demo.stop()
