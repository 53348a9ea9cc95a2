"""The poller's CommandSource backed by the persisted outbox (models.ledger.OutboxItem).

Due items (state pending, next_at reached) for meters are claimed (state "sending") and handed
to the link worker of their meter ahead of routine reads. A confirmed command becomes "done"
with an operation-log row, and what it changed on the meter (relay state, keep-power, a frozen
reading) is written in that same transaction. A failure is retried with back-off until it
expires (default 24 hours), then "expired"; a command that can never succeed (unsupported by
the meter's protocol, bad payload) is "failed" at once. Items claimed by a station that died are
released on start.

Outbox kinds and their payloads: the contract of models/commands.py. Before an item is sent,
its meter's model must declare the capability the kind needs (models/capabilities.py) - else it
fails at once with the model's reason, never after a day of retries - and the kinds it waits for
(a close waits for the purchases queued before it) must be done: it stays pending while they
are, and fails when one of them failed or expired (the relay is never closed on money that is
not in the meter).
"""
from __future__ import annotations

import dataclasses
import threading
import time
from collections import defaultdict, deque
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from comms import events as ev
from comms.commands import PERMANENT, AcceptedUnconfirmed
from comms.driver import ACTIONS
from comms.errors import CommsError
from comms.poller import Command
from models import capabilities, oplog
from models import commands as contract
from models.archive import Meter
from models.automation import FrozenReading
from models.base import utcnow
from models.db import Database
from models.errors import InvalidInput
from models.ledger import OutboxItem
from resources.i18n import _

BACKOFF = (10, 30, 60, 120, 300, 600)     # seconds after the 1st, 2nd... failure
DEFAULT_EXPIRY = timedelta(hours=24)
SIMPLE_KINDS = ("recharge", "refund", "price", "settings", "sync_clock", "read", "read_frozen",
                "control")
# what a confirmed control action leaves on the meter's row
CONTROL_EFFECT: dict[str, dict[str, Any]] = {
    "trip": {"relay_state": "open"}, "close": {"relay_state": "closed"},
    "keep-power": {"keep_power": True}, "keep-power-off": {"keep_power": False},
}


def to_command(item: OutboxItem) -> Command | None:
    """The poller's Command for an item of the outbox contract (models/commands.py); None when
    the kind is not in the contract. BadPayload (InvalidInput) when its payload does not fit."""
    spec = contract.KINDS.get(item.kind)
    if item.meter_id is None or spec is None:
        return None
    payload = dataclasses.asdict(contract.parse(item.kind, item.payload))
    sub = spec.sub
    if sub in SIMPLE_KINDS:
        return Command(item.id, item.meter_id, sub, payload)
    if sub in ACTIONS:
        return Command(item.id, item.meter_id, "control", {**payload, "action": sub})
    return None


def _blocked(s, item: OutboxItem) -> str | None:
    """"wait" while an earlier item this one waits for (same meter) is not done yet; the
    translated reason when such an item failed or expired; None when it may go."""
    spec = contract.KINDS[item.kind]
    if not spec.waits_for:
        return None
    states = set(s.execute(sa.select(OutboxItem.state).where(
        OutboxItem.meter_id == item.meter_id, OutboxItem.id < item.id,
        OutboxItem.kind.in_(spec.waits_for), OutboxItem.state != "done")).scalars())
    if states & {"pending", "sending"}:
        return "wait"
    if states:
        return _("An earlier purchase was not confirmed in the meter; {kind} is not sent").format(
            kind=item.kind)
    return None


def _milli(text: str | None) -> int | None:
    return None if text is None else int((Decimal(text) * 1000).to_integral_value())


def store_frozen(s, meter_id: int, result: dict[str, Any]) -> None:
    """Insert or refresh the FrozenReading of one meter/kind/period (a re-read is no error)."""
    values = result["values"]
    columns = {"energy_milli": _milli(values["energy"]),
               **{f"t{t}_milli": _milli(values.get(f"energy_t{t}")) for t in range(1, 5)},
               "read_at": utcnow()}
    period = date.fromisoformat(result["period"])
    row = s.execute(sa.select(FrozenReading).where(
        FrozenReading.meter_id == meter_id, FrozenReading.kind == result["kind"],
        FrozenReading.period == period)).scalar_one_or_none()
    if row is None:
        s.add(FrozenReading(meter_id=meter_id, kind=result["kind"], period=period, **columns))
    else:
        for key, value in columns.items():
            setattr(row, key, value)


def apply_effect(s, command: Command, result: Any) -> None:
    """What a confirmed command changed on the meter, into the archive (same transaction)."""
    if command.kind == "control":
        effect = CONTROL_EFFECT.get(command.payload.get("action", ""))
        if effect:
            s.execute(sa.update(Meter).where(Meter.id == command.meter_id).values(**effect))
    elif command.kind == "read_frozen" and isinstance(result, dict):
        store_frozen(s, command.meter_id, result)


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
                try:
                    cmd = to_command(item)
                except InvalidInput as bad:
                    item.state, item.last_error = "failed", str(bad)[:300]
                    continue
                if cmd is None:
                    item.state, item.last_error = "failed", _("Unknown meter command {kind}").format(
                        kind=item.kind)
                    continue
                refusal = self._refusal(s, item)
                if refusal is not None:           # never sent: the model cannot do it
                    item.state, item.last_error = "failed", refusal[:300]
                    oplog.append(s, operator="system", station=self.station, action=f"{item.kind}.failed",
                                 target=str(item.meter_id), details={"item": item.id, "error": refusal})
                    continue
                blocked = _blocked(s, item)
                if blocked == "wait":
                    continue
                if blocked is not None:
                    item.state, item.last_error = "failed", blocked[:300]
                    continue
                item.state = "sending"
                self._queues[self.meter_links[item.meter_id]].append(cmd)
                queued += 1
        self._last_refresh = time.monotonic()
        return queued

    def _refusal(self, s, item: OutboxItem) -> str | None:
        """The model's reason it cannot take this kind (models/capabilities.py), else None."""
        meter = s.get(Meter, item.meter_id)
        if meter is None:
            return None
        try:
            caps = capabilities.of_meter(meter)
        except InvalidInput as bad:
            return str(bad)
        return caps.refusal(contract.KINDS[item.kind].capability)

    def take(self, link_id: int) -> Command | None:
        with self._lock:
            if time.monotonic() - self._last_refresh >= self.refresh_seconds:
                self.refresh()
            q = self._queues.get(link_id)
            return q.popleft() if q else None

    def wake(self) -> None:
        """Refresh on the next take (after a sale put something in the outbox)."""
        self._last_refresh = 0.0

    def _unconfirmed(self, s, item: OutboxItem, command: Command, error: CommsError, now) -> int:
        """A control the meter accepted whose state could not be read back (issue 15): done
        (unconfirmed), never re-sent blindly; a read-back of the state is queued (meter.read,
        priority 0), which stores what the meter says like any read. Returns its item id."""
        action = str(command.payload.get("action", ""))
        quantity = "valve" if action.startswith("valve") else "relay"
        item.state, item.done_at = "done", now
        item.last_error = _("Accepted by the meter, not confirmed (read back queued): {reason}").format(
            reason=error)[:300]
        readback = OutboxItem(kind=contract.KINDS["meter.read"].name, account_id=item.account_id,
                              meter_id=item.meter_id, priority=0,
                              payload=contract.to_json("meter.read", {"quantities": (quantity,)}))
        s.add(readback)
        s.flush()
        oplog.append(s, operator="system", station=self.station, action=f"meter.{command.kind}.unconfirmed",
                     target=str(command.meter_id), details={"item": item.id, "error": str(error),
                                                             "payload": command.payload, "read_back": readback.id})
        return readback.id

    def finished(self, command: Command, result: Any, error: CommsError | None) -> None:
        now = utcnow()
        with self.db.write() as s:
            item = s.get(OutboxItem, command.item_id)
            if item is None:
                return
            item.attempts += 1
            readback = None
            if isinstance(error, AcceptedUnconfirmed):
                readback = self._unconfirmed(s, item, command, error, now)
            elif error is None:
                item.state, item.done_at, item.last_error = "done", now, ""
                apply_effect(s, command, result)
                oplog.append(s, operator="system", station=self.station, action=f"meter.{command.kind}",
                             target=str(command.meter_id), details={"item": item.id, "result": result,
                                                                   "payload": command.payload})
            else:
                expires = item.expires_at or (item.created_at + DEFAULT_EXPIRY)
                nxt = now + timedelta(seconds=BACKOFF[min(item.attempts, len(BACKOFF)) - 1])
                item.last_error = str(error)[:300]
                if isinstance(error, PERMANENT) or nxt >= expires:
                    item.state = "failed" if isinstance(error, PERMANENT) else "expired"
                    oplog.append(s, operator="system", station=self.station,
                                 action=f"meter.{command.kind}.{item.state}",
                                 target=str(command.meter_id), details={"item": item.id, "error": str(error)})
                else:
                    item.state, item.next_at = "pending", nxt
            final = item.state
        if readback is not None:
            self.events.publish(ev.COMMAND_DONE, item_id=command.item_id, meter_id=command.meter_id,
                                kind=command.kind, result={"confirmed": False, "read_back": readback})
        elif error is None:
            self.events.publish(ev.COMMAND_DONE, item_id=command.item_id, meter_id=command.meter_id,
                                kind=command.kind, result=result)
        else:
            self.events.publish(ev.COMMAND_FAILED, item_id=command.item_id, meter_id=command.meter_id,
                                kind=command.kind, error=str(error), final=final in ("expired", "failed"))
