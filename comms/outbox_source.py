"""The poller's CommandSource backed by the persisted outbox (models.ledger.OutboxItem).

Due items (state pending, next_at reached) for meters are claimed (state "sending") and handed
to the link worker of their meter ahead of routine reads. A confirmed command becomes "done"
with an operation-log row; a failure is retried with back-off until it expires (default
24 hours), then "expired". Items claimed by a station that died are released on start.

Outbox kinds understood: meter.recharge (payload amount, purchase_count), meter.control
(payload action), meter.<action> for the actions in comms.driver.ACTIONS, meter.sync_clock.
"""
from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from comms import events as ev
from comms.driver import ACTIONS
from comms.errors import CommsError
from comms.poller import Command
from models import oplog
from models.base import utcnow
from models.db import Database
from models.ledger import OutboxItem

BACKOFF = (10, 30, 60, 120, 300, 600)     # seconds after the 1st, 2nd... failure
DEFAULT_EXPIRY = timedelta(hours=24)


def to_command(item: OutboxItem) -> Command | None:
    payload = json.loads(item.payload or "{}")
    if item.meter_id is None or not item.kind.startswith("meter."):
        return None
    sub = item.kind.removeprefix("meter.")
    if sub in ("recharge", "sync_clock"):
        return Command(item.id, item.meter_id, sub, payload)
    if sub == "control":
        return Command(item.id, item.meter_id, "control", payload)
    if sub in ACTIONS:
        return Command(item.id, item.meter_id, "control", {**payload, "action": sub})
    return None


class OutboxSource:
    def __init__(self, db: Database, meter_links: dict[int, int], *, station: str,
                 events: ev.EventBus | None = None, refresh_seconds: float = 1.0) -> None:
        self.db = db
        self.meter_links = meter_links            # meter_id -> link_id
        self.station = station
        self.events = events or ev.EventBus()
        self.refresh_seconds = refresh_seconds
        self._queues: dict[int, deque[Command]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._last_refresh = 0.0
        self._release_stale()

    def _release_stale(self) -> None:
        with self.db.write() as s:
            s.execute(sa.update(OutboxItem).where(OutboxItem.state == "sending").values(state="pending"))

    def refresh(self) -> int:
        """Claim due items for known meters; returns how many were queued."""
        now = utcnow()
        with self.db.write() as s:
            items = s.execute(sa.select(OutboxItem).where(OutboxItem.state == "pending", OutboxItem.next_at <= now,
                                                          OutboxItem.meter_id.in_(list(self.meter_links)))
                              .order_by(OutboxItem.priority, OutboxItem.id).limit(500)).scalars().all()
            queued = 0
            for item in items:
                if item.expires_at is not None and item.expires_at <= now:
                    item.state, item.last_error = "expired", "expired before delivery"
                    continue
                cmd = to_command(item)
                if cmd is None:
                    item.state, item.last_error = "failed", f"unknown command {item.kind}"
                    continue
                item.state = "sending"
                self._queues[self.meter_links[item.meter_id]].append(cmd)
                queued += 1
        self._last_refresh = time.monotonic()
        return queued

    def take(self, link_id: int) -> Command | None:
        with self._lock:
            if time.monotonic() - self._last_refresh >= self.refresh_seconds:
                self.refresh()
            q = self._queues.get(link_id)
            return q.popleft() if q else None

    def wake(self) -> None:
        """Refresh on the next take (after a sale put something in the outbox)."""
        self._last_refresh = 0.0

    def finished(self, command: Command, result: Any, error: CommsError | None) -> None:
        now = utcnow()
        with self.db.write() as s:
            item = s.get(OutboxItem, command.item_id)
            if item is None:
                return
            item.attempts += 1
            if error is None:
                item.state, item.done_at, item.last_error = "done", now, ""
                oplog.append(s, operator="system", station=self.station, action=f"meter.{command.kind}",
                             target=str(command.meter_id), details={"item": item.id, "result": result,
                                                                   "payload": command.payload})
            else:
                expires = item.expires_at or (item.created_at + DEFAULT_EXPIRY)
                nxt = now + timedelta(seconds=BACKOFF[min(item.attempts, len(BACKOFF)) - 1])
                item.last_error = str(error)[:300]
                if nxt >= expires:
                    item.state = "expired"
                    oplog.append(s, operator="system", station=self.station, action=f"meter.{command.kind}.expired",
                                 target=str(command.meter_id), details={"item": item.id, "error": str(error)})
                else:
                    item.state, item.next_at = "pending", nxt
            final = item.state
        if error is None:
            self.events.publish(ev.COMMAND_DONE, item_id=command.item_id, meter_id=command.meter_id,
                                kind=command.kind, result=result)
        else:
            self.events.publish(ev.COMMAND_FAILED, item_id=command.item_id, meter_id=command.meter_id,
                                kind=command.kind, error=str(error), final=final == "expired")
