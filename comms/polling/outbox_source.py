"""The poller's CommandSource backed by the persisted outbox (models.ledger.OutboxItem).

Due items (state pending, next_at reached) for meters are claimed (state "sending") and handed
to the link worker of their meter ahead of routine reads. A confirmed command becomes "done"
with an operation-log row, and what it changed on the meter (relay state, keep-power, a frozen
reading, the alarms it ends: a confirmed close clears the meter's "tripped" alarm, models.commands
CONTROL_CLEARS) is written in that same transaction. A failure is retried with back-off until it
expires (default 24 hours), then "expired"; a command that can never succeed (unsupported by
the meter's protocol, bad payload) is "failed" at once.

Exactly once (issue 11.8). A claim names its holder (claim_token: station, host, process id and
a random part) and carries a lease (lease_until) that the holder renews while it works. Claiming
is a guarded UPDATE ... WHERE state = 'pending' (PostgreSQL first locks the candidates with
SELECT ... FOR UPDATE SKIP LOCKED, so two pollers never wait on or take the same row); a command
is handed to the link only while its claim is still this source's, and its answer is recorded
only by the holder of the claim. A claim is released by someone else only when its lease has
expired (leases are written and compared in the database's clock, models/db_clock.py, so a
station whose PC clock is off cannot take a live claim), or - at start - when it names this
host and a process that no longer exists. A released claim, and a relay command that failed after
it may have reached the meter (no reply, garbled, not confirmed), is "in doubt": before it is
sent again its relay state is read back from the meter (comms/polling/command_delivery.py, verify_first) and a
meter already in that state is not sent the command twice. Purchases need no read-back: the
meter's purchase count refuses a repeat (billing/outbox.py next_purchase_number). Relay commands
of one meter, and its purchases, are
delivered strictly in queue order, so a read-back is never fooled by a later command.

Outbox kinds and their payloads: the contract of models/commands.py. Before an item is sent,
its meter's model must declare the capability the kind needs (models/capabilities.py) - else it
fails at once with the model's reason, never after a day of retries - and the kinds it waits for
(a close waits for the purchases queued before it) must be done: it stays pending while they
are, and fails when one of them failed or expired (the relay is never closed on money that is
not in the meter).
"""
from __future__ import annotations

import dataclasses
import logging
import os
import socket
import threading
import time
import uuid
from collections import defaultdict, deque
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from comms import events as ev
from comms.errors import CommsError, MeterRefused
from comms.interfaces import ACTIONS
from comms.polling.command_delivery import IN_DOUBT, PERMANENT, AcceptedUnconfirmed, PartlyApplied
from comms.polling.poller import Command
from models import capabilities, oplog
from models import commands as contract
from models.archive import Meter
from models.automation import FrozenReading, clear_meter_alarms
from models.base import rowcount, utcnow
from models.commands import CONTROL_CLEARS, CONTROL_EFFECT
from models.db import Database, retrying
from models.db_clock import db_now
from models.errors import InvalidInput
from models.ledger import OutboxItem
from resources.i18n import _

log = logging.getLogger(__name__)

BACKOFF = (10, 30, 60, 120, 300, 600)     # seconds after the 1st, 2nd... failure
LEASE = timedelta(seconds=60)             # a claim's lease; renewed every LEASE / 4 by its holder
# relay commands of one meter go strictly in queue order: a later one waits while an earlier one
# is pending or held by another claim (this source's own claims are sent in queue order). A
# read-back must not be fooled by an overtaking command: trip 2 applied, its sender killed, close
# 2 still waiting for a purchase, trip 3 in doubt reads "open" and is never sent; or a close by
# another poller, then the trip's read-back shows "closed" and sends it a second time.
# Purchases need no such order: the meter's purchase count refuses a repeat.
RELAY_KINDS = ("meter.trip", "meter.close", "meter.keep-power", "meter.keep-power-off",
               "meter.control", "meter.valve-open", "meter.valve-close")
RELAY_SUBS = ("control", "trip", "close", "keep-power", "keep-power-off", "valve-open", "valve-close")
DEFAULT_EXPIRY = timedelta(hours=24)
# kinds read back before a re-send when in doubt (comms/polling/command_delivery.py IN_DOUBT: why, per kind)
READ_BACK_SUBS = RELAY_SUBS + ("price", "settings")
SIMPLE_KINDS = ("recharge", "refund", "price", "settings", "sync_clock", "read", "read_frozen",
                "control")
# what a confirmed control action leaves on the meter's row


def to_command(item: OutboxItem) -> Command | None:
    """The poller's Command for an item of the outbox contract (models/commands.py); None when
    the kind is not in the contract. BadPayload (InvalidInput) when its payload does not fit."""
    spec = contract.KINDS.get(item.kind)
    if item.meter_id is None or spec is None:
        return None
    payload = dataclasses.asdict(contract.parse(item.kind, item.payload))
    sub = spec.sub
    if item.in_doubt and sub in READ_BACK_SUBS:   # may have reached the meter: read back first
        payload = {**payload, "verify_first": True}
    if sub in SIMPLE_KINDS:
        return Command(item.id, item.meter_id, sub, payload)
    if sub in ACTIONS:
        return Command(item.id, item.meter_id, "control", {**payload, "action": sub})
    return None


def claim_token(station: str) -> str:
    """Who holds a claim: station, host, process id and a random part (unique per source)."""
    return f"{station[:40]}|{socket.gethostname()[:40]}|{os.getpid()}|{uuid.uuid4().hex[:10]}"


def _dead_here(token: str | None) -> bool:
    """True when the token names a process on this host that no longer exists."""
    parts = (token or "").split("|")
    if len(parts) != 4 or parts[1] != socket.gethostname()[:40]:
        return False
    try:
        pid = int(parts[2])
    except ValueError:
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:               # exists, another user's
        return False
    return False


RELEASED = {"state": "pending", "claim_token": None, "lease_until": None, "in_doubt": True}


def _blocked(s: Session, item: OutboxItem, token: str = "") -> str | None:
    """"wait" while an earlier item this one waits for (same meter) is not done yet; the
    translated reason when such an item failed or expired; None when it may go."""
    spec = contract.KINDS[item.kind]
    if item.kind in RELAY_KINDS and s.execute(sa.select(OutboxItem.id).where(
            OutboxItem.meter_id == item.meter_id, OutboxItem.id < item.id, OutboxItem.kind.in_(RELAY_KINDS),
            sa.or_(sa.and_(OutboxItem.state == "sending", OutboxItem.claim_token != token),
                   OutboxItem.state == "pending")).limit(1)).first():
        return "wait"
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


def store_frozen(s: Session, meter_id: int, result: dict[str, Any]) -> None:
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


def apply_effect(s: Session, command: Command, result: Any, at: datetime) -> None:
    """What a confirmed command changed on the meter, into the archive (same transaction): the
    relay state, keep-power, and the alarms the action ends (a confirmed close: the meter's
    "tripped" alarm, cleared at `at`, the confirmation's time), a frozen reading. A read from
    the outbox that finds the relay in the state the meter's last relay command (done) left
    confirms that command: the read-back of one the meter accepted but did not confirm."""
    if command.kind == "control":
        action = command.payload.get("action", "")
        effect = CONTROL_EFFECT.get(action)
        if effect:
            s.execute(sa.update(Meter).where(Meter.id == command.meter_id).values(**effect))
        clear_meter_alarms(s, command.meter_id, CONTROL_CLEARS.get(action, ()), at)
    elif command.kind == "read" and isinstance(result, dict):
        relay = str((result.get("values") or {}).get("relay") or "")
        action = _last_relay_action(s, command) if relay in RELAY_CLEARS else None
        if action is not None and RELAY_CLEARS[relay] == action:
            clear_meter_alarms(s, command.meter_id, CONTROL_CLEARS.get(action, ()), at)
    elif command.kind == "read_frozen" and isinstance(result, dict):
        store_frozen(s, command.meter_id, result)


# a relay read back in this state confirms this action (the one CONTROL_CLEARS has alarms for)
RELAY_CLEARS = {"closed": "close"}


def _last_relay_action(s: Session, command: Command) -> str | None:
    """The action of the meter's last relay command queued before this read, when it is done
    (a pending or sending one may still change the relay); None otherwise."""
    last = s.execute(sa.select(OutboxItem.kind, OutboxItem.payload, OutboxItem.state).where(
        OutboxItem.meter_id == command.meter_id, OutboxItem.id < command.item_id,
        OutboxItem.kind.in_(RELAY_KINDS), OutboxItem.state.in_(("pending", "sending", "done")))
        .order_by(OutboxItem.id.desc()).limit(1)).first()
    if last is None or last[2] != "done":
        return None
    sub = contract.KINDS[last[0]].sub
    if sub == "control":
        try:
            return str(getattr(contract.parse(last[0], last[1]), "action", ""))
        except InvalidInput:
            return None
    return sub


class OutboxSource:
    def __init__(self, db: Database, meter_links: dict[int, int], *, station: str,
                 events: ev.EventBus | None = None, refresh_seconds: float = 1.0,
                 operator: str = "system") -> None:
        self.db = db
        self.operator = operator                  # who the log rows name: the service identity
        self.meter_links = meter_links            # meter_id -> link_id
        self.station = station
        self.events = events or ev.EventBus()
        self.refresh_seconds = refresh_seconds
        self._queues: dict[int, deque[Command]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._last_refresh = 0.0
        self._last_renew = 0.0
        self.token = claim_token(station)
        self._release_stale(at_start=True)

    def _release_stale(self, *, at_start: bool = False) -> int:
        """Release claims whose lease expired (and, at start, claims of dead processes of this
        host) as "in doubt": they may have reached the meter. Never a live holder's claim."""
        released = 0
        with self.db.write() as s:
            now = db_now(s)                  # leases are judged by the database's clock only
            released += rowcount(s.execute(sa.update(OutboxItem).where(
                OutboxItem.state == "sending",
                sa.or_(OutboxItem.lease_until.is_(None), OutboxItem.lease_until < now))
                .values(next_at=now, **RELEASED)))
            if at_start:
                held = s.execute(sa.select(OutboxItem.id, OutboxItem.claim_token).where(
                    OutboxItem.state == "sending")).all()
                dead = [i for i, token in held if _dead_here(token)]
                for chunk in range(0, len(dead), 500):
                    released += rowcount(s.execute(sa.update(OutboxItem).where(
                        OutboxItem.id.in_(dead[chunk:chunk + 500]), OutboxItem.state == "sending")
                        .values(next_at=now, **RELEASED)))
        if released:
            log.warning("released %d outbox claims of stopped pollers (in doubt: read back first)", released)
        return released

    def _renew(self) -> None:
        """Extend the lease of every claim this source holds (LEASE / 4 apart)."""
        if time.monotonic() - self._last_renew < LEASE.total_seconds() / 4:
            return
        with self.db.write() as s:
            s.execute(sa.update(OutboxItem).where(OutboxItem.claim_token == self.token,
                                                  OutboxItem.state == "sending")
                      .values(lease_until=db_now(s) + LEASE))
        self._last_renew = time.monotonic()

    def _still_mine(self, command: Command) -> bool:
        """Fence before a command goes to the meter: the claim is still this source's (its
        lease renewed); False when it was released and maybe claimed by another poller."""
        with self.db.write() as s:
            return rowcount(s.execute(sa.update(OutboxItem).where(
                OutboxItem.id == command.item_id, OutboxItem.claim_token == self.token,
                OutboxItem.state == "sending").values(lease_until=db_now(s) + LEASE))) == 1

    def refresh(self) -> int:
        """Claim due items for known meters; returns how many were queued."""
        self._release_stale()
        with self.db.write() as s:
            now = db_now(s)
            query = (sa.select(OutboxItem).where(OutboxItem.state == "pending", OutboxItem.next_at <= now,
                                                 OutboxItem.meter_id.in_(list(self.meter_links)))
                     .order_by(OutboxItem.priority, OutboxItem.id).limit(500))
            if self.db.dialect == "postgresql":     # another poller's candidates are skipped, not waited for
                query = query.with_for_update(skip_locked=True, of=OutboxItem)
            items = s.execute(query).scalars().all()
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
                if item.in_doubt and cmd.kind not in IN_DOUBT:    # no read-back, no guard: never blind
                    item.state = "failed"
                    item.last_error = _("{kind} may have reached the meter and cannot be checked there; "
                                        "it is not sent again").format(kind=item.kind)[:300]
                    oplog.append(s, operator=self.operator, station=self.station, action=f"{item.kind}.failed",
                                 target=str(item.meter_id), details={"item": item.id, "error": "in doubt"})
                    continue
                refusal = self._refusal(s, item)
                if refusal is not None:           # never sent: the model cannot do it
                    item.state, item.last_error = "failed", refusal[:300]
                    oplog.append(s, operator=self.operator, station=self.station, action=f"{item.kind}.failed",
                                 target=str(item.meter_id), details={"item": item.id, "error": refusal})
                    continue
                blocked = _blocked(s, item, self.token)
                if blocked == "wait":
                    continue
                if blocked is not None:
                    item.state, item.last_error = "failed", blocked[:300]
                    continue
                claimed = rowcount(s.execute(sa.update(OutboxItem).where(
                    OutboxItem.id == item.id, OutboxItem.state == "pending")
                    .values(state="sending", claim_token=self.token, lease_until=now + LEASE)
                    .execution_options(synchronize_session="fetch")))
                if claimed != 1 or item.meter_id is None:    # taken by another poller meanwhile
                    continue
                self._queues[self.meter_links[item.meter_id]].append(cmd)
                queued += 1
        self._last_refresh = time.monotonic()
        self._last_renew = time.monotonic()
        return queued

    def _refusal(self, s: Session, item: OutboxItem) -> str | None:
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
            self._renew()
            q = self._queues.get(link_id)
            while q:
                command = q.popleft()
                if self._still_mine(command):
                    return command
                log.warning("outbox item %s: claim lost (lease expired); left to its new holder",
                            command.item_id)
            return None

    def might_have(self, link_id: int) -> bool:
        """Whether take(link_id) has anything to do (a command queued for the link, a refresh
        or a lease renewal due) - without the lock or the database: the poller's event loop
        asks this before every read and calls take() off the loop only when it is true."""
        now = time.monotonic()
        return bool(self._queues.get(link_id)) or now - self._last_refresh >= self.refresh_seconds \
            or now - self._last_renew >= LEASE.total_seconds() / 4

    def wake(self) -> None:
        """Refresh on the next take (after a sale put something in the outbox)."""
        self._last_refresh = 0.0

    def _unconfirmed(self, s: Session, item: OutboxItem, command: Command, error: CommsError, now: datetime) -> int:
        """A control the meter accepted whose state could not be read back (issue 15): done
        (unconfirmed), never re-sent blindly; a read-back of the state is queued (meter.read,
        priority 0), which stores what the meter says like any read. Returns its item id."""
        action = str(command.payload.get("action", ""))
        quantity = "valve" if action.startswith("valve") else "relay"
        item.state, item.done_at, item.in_doubt = "done", now, False
        item.last_error = _("Accepted by the meter, not confirmed (read back queued): {reason}").format(
            reason=error)[:300]
        readback = OutboxItem(kind=contract.KINDS["meter.read"].name, account_id=item.account_id,
                              meter_id=item.meter_id, priority=0,
                              payload=contract.to_json("meter.read", {"quantities": (quantity,)}))
        s.add(readback)
        s.flush()
        oplog.append(s, operator=self.operator, station=self.station, action=f"meter.{command.kind}.unconfirmed",
                     target=str(command.meter_id), details={"item": item.id, "error": str(error),
                                                             "payload": command.payload, "read_back": readback.id})
        return readback.id

    def finished(self, command: Command, result: Any, error: CommsError | None) -> None:
        recorded = self._record(command, result, error)
        if recorded is None:
            return
        final, readback = recorded
        if readback is not None:
            self.events.publish(ev.COMMAND_DONE, item_id=command.item_id, meter_id=command.meter_id,
                                kind=command.kind, result={"confirmed": False, "read_back": readback})
        elif error is None:
            self.events.publish(ev.COMMAND_DONE, item_id=command.item_id, meter_id=command.meter_id,
                                kind=command.kind, result=result)
        else:
            self.events.publish(ev.COMMAND_FAILED, item_id=command.item_id, meter_id=command.meter_id,
                                kind=command.kind, error=str(error), final=final in ("expired", "failed"))

    @retrying
    def _record(self, command: Command, result: Any, error: CommsError | None) -> tuple[str, int | None] | None:
        """The meter's answer into the outbox item (one transaction, run again after a deadlock):
        (final state, read-back item id or None); None when the claim was no longer this source's."""
        with self.db.write() as s:
            now = db_now(s)
            item = s.get(OutboxItem, command.item_id, with_for_update=True)
            if item is None:
                return None
            if item.state != "sending" or item.claim_token != self.token:
                # the lease expired and the item was released: its new holder reads the meter
                # back before sending again; recording here would record it twice
                log.warning("outbox item %s: answer after the claim was lost (%s); not recorded",
                            command.item_id, "ok" if error is None else error)
                return None
            item.attempts += 1
            item.claim_token, item.lease_until = None, None
            readback = None
            if isinstance(error, PartlyApplied):         # what the meter took, recorded before the retry
                oplog.append(s, operator=self.operator, station=self.station,
                             action=f"meter.{command.kind}.partial", target=str(command.meter_id),
                             details={"item": item.id, "applied": error.applied, "error": str(error.cause)})
            if isinstance(error, AcceptedUnconfirmed):
                readback = self._unconfirmed(s, item, command, error, now)
            elif error is None:
                item.state, item.done_at, item.last_error = "done", now, ""
                item.in_doubt = False
                apply_effect(s, command, result, now)
                oplog.append(s, operator=self.operator, station=self.station, action=f"meter.{command.kind}",
                             target=str(command.meter_id), details={"item": item.id, "result": result,
                                                                   "payload": command.payload})
            else:
                expires = item.expires_at or (item.created_at + DEFAULT_EXPIRY)
                nxt = now + timedelta(seconds=BACKOFF[min(item.attempts, len(BACKOFF)) - 1])
                item.last_error = str(error)[:300]
                if isinstance(error, PERMANENT) or nxt >= expires:
                    item.state = "failed" if isinstance(error, PERMANENT) else "expired"
                    oplog.append(s, operator=self.operator, station=self.station,
                                 action=f"meter.{command.kind}.{item.state}",
                                 target=str(command.meter_id), details={"item": item.id, "error": str(error)})
                else:
                    item.state, item.next_at = "pending", nxt
                    # it may have reached the meter unless the meter answered "no": read back first
                    item.in_doubt = item.in_doubt or not isinstance(error, MeterRefused)
            return item.state, readback
