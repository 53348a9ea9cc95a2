"""Low-balance and arrears notices to customers by SMS, through the persisted outbox.

The scheduler calls both every minute (on the one station that runs the jobs):

    notify_new_alarms(db, now)           # newly raised alarm1/alarm2/arrears -> one "sms" item each
    station.sms_delivery.send_due_notices(db, now)   # due "sms" items -> the sender (comms/sms)

This module decides what is sent and keeps the outbox rows (claim_due, record_outcome, release);
the sending itself talks to a modem, so it lives above billing and comms (station/sms_delivery.py).

- One SMS per alarm, never two: queueing an item writes {"sms": {"item": id}} into the alarm's
  details in the same transaction (an alarm whose customer has no phone is marked
  {"sms": {"skipped": "no phone"}}), and only alarms without that mark are looked at. Alarms
  raised more than 24 hours ago, cleared alarms and closed accounts are not notified.
- Outbox items: kind "sms", account_id set, meter_id NULL (so the meter poller's OutboxSource
  never claims them), payload {"phone", "text", "alarm_id"}, expiring 24 hours after queueing.
- Sending claims due items (state "sending" with a 10-minute lease in next_at, so a station
  that died mid-send releases them by itself), sends outside any transaction, then records
  each outcome: done, or retried with back-off (attempts, next_at, last_error), or expired —
  each with its operation-log row (sms.sent / sms.failed / sms.expired) by `operator`: the
  service identity the runtime acts as (access/service_identity.py), as every other piece of
  the station's unattended work; "system" only where no runtime passes one (the demo's history).
- A modem or port that cannot be set up fails every claimed item of the run (an attempt each,
  so a dead modem shows in last_error and the items expire after 24 hours). A modem that stops
  answering mid-batch stops the batch: the items not tried yet go back to pending, due at
  once, without counting an attempt.
- sms.sender "none" (the default): nothing is queued and nothing is sent.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from billing.money import from_fen
from models import oplog, settings
from models.accounts import Account
from models.archive import Customer
from models.automation import Alarm
from models.db import Database
from models.ledger import OutboxItem
from resources.i18n import _

KIND = "sms"
ALARM_KINDS = ("alarm1", "alarm2", "arrears")
BACKOFF = (60, 300, 900, 1800, 3600)      # seconds after the 1st, 2nd... failure
EXPIRY = timedelta(hours=24)
LOOKBACK = timedelta(hours=24)
LEASE = timedelta(minutes=10)
BATCH = 200


def station_name() -> str:
    return str(settings.get_local("station.name"))


def sender_kind() -> str:
    """The setting sms.sender: "none" (nothing is queued or sent), "modem" or "file"."""
    return str(settings.get_local("sms.sender"))


# --- texts ---------------------------------------------------------------------------------------
def _builtin(kind: str) -> str:
    if kind == "arrears":
        return _("Dear {customer}: electricity account {account} is in arrears (balance {balance} yuan) "
                 "and power may be cut off. Please top up as soon as possible.")
    return _("Dear {customer}: the balance of electricity account {account} is only {balance} yuan. "
             "Please top up soon.")


class _Fields(dict[str, str]):
    def __missing__(self, key: str) -> str:
        raise KeyError(key)


def notice_text(kind: str, *, customer: str, account: str, balance_fen: int,
                template: str = "", company: str = "") -> str:
    """The SMS text of an alarm: the configured template (or the built-in one), signed with
    the company name (【…】) when one is set."""
    fields = _Fields(customer=customer, account=account, balance=str(from_fen(balance_fen)), company=company)
    text = ""
    if template:
        try:
            text = template.format_map(fields)
        except (KeyError, ValueError, IndexError, AttributeError):
            text = ""
    if not text:
        text = _builtin(kind).format_map(fields)
    if company and company not in text:
        text = f"【{company}】{text}"
    return text


def _details(alarm: Alarm) -> dict[str, Any]:
    try:
        data = json.loads(alarm.details or "{}")
        return data if isinstance(data, dict) else {}
    except ValueError:
        return {}


# --- queueing ------------------------------------------------------------------------------------
def notify_new_alarms(db: Database, now: datetime, *, operator: str = "system") -> int:
    """Queue one SMS for each newly raised balance alarm whose customer has a phone; returns
    how many were queued."""
    if sender_kind() == "none":
        return 0
    stored = settings.all_db_settings(db)
    templates = {"alarm1": stored.get("sms.template_low", ""), "alarm2": stored.get("sms.template_low", ""),
                 "arrears": stored.get("sms.template_arrears", "")}
    company = str(stored.get("company.name", "") or "")
    station = station_name()
    queued = 0
    with db.write() as s:
        rows = s.execute(
            sa.select(Alarm, Account, Customer)
            .join(Account, Account.id == Alarm.account_id)
            .join(Customer, Customer.id == Account.customer_id)
            .where(Alarm.kind.in_(ALARM_KINDS), Alarm.state != "cleared",
                   Alarm.raised_at >= now - LOOKBACK, Alarm.raised_at <= now)
            .order_by(Alarm.id).with_for_update(of=Alarm)).all()
        for alarm, account, customer in rows:
            details = _details(alarm)
            if "sms" in details:
                continue
            phone = (customer.phone or "").strip()
            if account.state != "open" or not phone:
                details["sms"] = {"skipped": "closed" if account.state != "open" else "no phone"}
                alarm.details = json.dumps(details, ensure_ascii=False)
                continue
            text = notice_text(alarm.kind, customer=customer.name, account=account.number,
                               balance_fen=account.balance_fen, template=str(templates[alarm.kind] or ""),
                               company=company)
            item = OutboxItem(kind=KIND, account_id=account.id, meter_id=None, priority=5,
                              payload=json.dumps({"phone": phone, "text": text, "alarm_id": alarm.id},
                                                 ensure_ascii=False),
                              state="pending", attempts=0, next_at=now, created_at=now,
                              expires_at=now + EXPIRY)
            s.add(item)
            s.flush()
            details["sms"] = {"item": item.id}
            alarm.details = json.dumps(details, ensure_ascii=False)
            oplog.append(s, operator=operator, station=station, action="sms.queued", target=account.number,
                         details={"item": item.id, "alarm": alarm.id, "kind": alarm.kind, "phone": phone},
                         at=now)
            queued += 1
    return queued


# --- sending -------------------------------------------------------------------------------------
@dataclass
class NoticeRun:
    sent: int = 0
    failed: int = 0          # will be retried
    expired: int = 0
    deferred: int = 0        # not tried in this run (modem down); pending again, no attempt counted


def claim_due(db: Database, now: datetime, station: str, run: NoticeRun, *,
              operator: str = "system") -> list[tuple[int, str, str]]:
    claimed: list[tuple[int, str, str]] = []
    with db.write() as s:
        items = s.execute(
            sa.select(OutboxItem).where(OutboxItem.kind == KIND, OutboxItem.state.in_(("pending", "sending")),
                                        OutboxItem.next_at <= now)
            .order_by(OutboxItem.priority, OutboxItem.id).limit(BATCH).with_for_update()).scalars().all()
        for item in items:
            expires = item.expires_at or (item.created_at + EXPIRY)
            if expires <= now:
                item.state = "expired"
                item.last_error = (item.last_error or "expired before it could be sent")[:300]
                oplog.append(s, operator=operator, station=station, action="sms.expired",
                             target=str(item.id), details={"item": item.id, "error": item.last_error}, at=now)
                run.expired += 1
                continue
            try:
                payload = json.loads(item.payload or "{}")
                phone, text = str(payload["phone"]), str(payload["text"])
            except (ValueError, KeyError, TypeError):
                item.state, item.last_error = "failed", "bad payload"
                oplog.append(s, operator=operator, station=station, action="sms.failed",
                             target=str(item.id), details={"item": item.id, "error": "bad payload"}, at=now)
                continue
            item.state, item.next_at = "sending", now + LEASE
            claimed.append((item.id, phone, text))
    return claimed


def record_outcome(db: Database, now: datetime, station: str, item_id: int, error: Exception | None,
                   refs: list[int], run: NoticeRun, *, operator: str = "system") -> None:
    with db.write() as s:
        item = s.get(OutboxItem, item_id)
        if item is None:
            return
        item.attempts += 1
        payload = json.loads(item.payload or "{}")
        phone = payload.get("phone", "")
        if error is None:
            item.state, item.done_at, item.last_error = "done", now, ""
            oplog.append(s, operator=operator, station=station, action="sms.sent", target=phone,
                         details={"item": item.id, "alarm": payload.get("alarm_id"), "refs": refs,
                                  "attempts": item.attempts}, at=now)
            run.sent += 1
            return
        expires = item.expires_at or (item.created_at + EXPIRY)
        nxt = now + timedelta(seconds=BACKOFF[min(item.attempts, len(BACKOFF)) - 1])
        item.last_error = str(error)[:300]
        if nxt >= expires:
            item.state = "expired"
            oplog.append(s, operator=operator, station=station, action="sms.expired", target=phone,
                         details={"item": item.id, "error": item.last_error, "attempts": item.attempts}, at=now)
            run.expired += 1
        else:
            item.state, item.next_at = "pending", nxt
            oplog.append(s, operator=operator, station=station, action="sms.failed", target=phone,
                         details={"item": item.id, "error": item.last_error, "attempts": item.attempts,
                                  "next_at": nxt.isoformat()}, at=now)
            run.failed += 1


def release(db: Database, now: datetime, ids: list[int], run: NoticeRun) -> None:
    if not ids:
        return
    with db.write() as s:
        s.execute(sa.update(OutboxItem).where(OutboxItem.id.in_(ids), OutboxItem.state == "sending")
                  .values(state="pending", next_at=now).execution_options(synchronize_session=False))
    run.deferred += len(ids)
