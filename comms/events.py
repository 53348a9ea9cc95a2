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


@dataclass(frozen=True)
class Event:
    name: str
    data: dict[str, Any] = field(default_factory=dict)


class EventBus:
    def __init__(self) -> None:
        self._listeners: list[Callable[[Event], None]] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Callable[[Event], None]) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)
        return unsubscribe

    def publish(self, name: str, **data: Any) -> None:
        event = Event(name, data)
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:  # noqa: BLE001 - a bad listener must not stop the poller
                log.exception("event listener failed for %s", name)
