"""Plain events from the background (poller, commands, scheduler) to whoever listens.

The poller never knows about Qt: it publishes `Event`s here, and ui/ has one adapter that turns
them into Qt signals (the Electrum trigger_callback pattern). Listeners run on the publishing
thread and must be quick and must not raise (errors are logged and swallowed).
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

# event names
READING = "reading"                  # meter_id, values, flag
READ_FAILED = "read_failed"          # meter_id, error
METER_STATE = "meter_state"          # meter_id, state (online | lost)
LINK_STATE = "link_state"            # link_id, state (online | lost)
COMMAND_DONE = "command_done"        # item_id, meter_id, kind, confirmed, detail
COMMAND_FAILED = "command_failed"    # item_id, meter_id, kind, error, final
CYCLE_DONE = "cycle_done"            # link_id, meters, ok, failed, seconds
RUNTIME_LOST = "runtime_lost"        # (none) the runtime that sent what came before has ended


@dataclass(frozen=True)
class Event:
    name: str
    data: dict[str, Any] = field(default_factory=dict)


class EventBus:
    """Listeners are kept as a tuple replaced whole on (un)subscribe, so publish - once per read
    at 10,000 meters - takes no lock and copies nothing, and costs nothing with no listener."""

    def __init__(self) -> None:
        self._listeners: tuple[Callable[[Event], None], ...] = ()
        # someone listens: worth building an event's data (an attribute, not a property: asked
        # once per read at 10,000 meters; set with the listeners)
        self.listening = False
        self._lock = threading.Lock()

    def subscribe(self, listener: Callable[[Event], None]) -> Callable[[], None]:
        with self._lock:
            self._listeners = (*self._listeners, listener)
            self.listening = True

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    rest = list(self._listeners)
                    rest.remove(listener)
                    self._listeners = tuple(rest)
                    self.listening = bool(rest)
        return unsubscribe

    def publish(self, name: str, **data: Any) -> None:
        listeners = self._listeners
        if not listeners:
            return
        event = Event(name, data)
        for listener in listeners:
            try:
                listener(event)
            except Exception:  # noqa: BLE001 - a bad listener must not stop the poller
                log.exception("event listener failed for %s", name)
