"""Arrears control (欠费控制): trip the meters of a station-side prepaid account in arrears
when its policy says (a meter-side prepaid meter trips itself when its own balance runs out).

Policies (billing.alarms.arrears_action): trip-now, never, trip-at=HH:MM (from that local time
of day on). An account that respects quiet hours is not tripped during quiet hours or on a
holiday (billing/automation/calendar.py); the trip happens when they end. Meters with keep-power
(保电) are never tripped. A trip is one "meter.trip" outbox item at priority 0 — never a second
one while the first is pending, nor after it was done until the meter is closed again — and a
"tripped" alarm. A purchase that makes the balance positive closes the relay (billing/sales.py
queues "meter.close"); the alarm stays raised until the meter confirms the close - cleared in the
transaction that records the confirmation (comms/polling/outbox_source.py apply_effect,
models.commands.CONTROL_CLEARS), not by the balance: the power is not back until then, and a
close that fails leaves it raised.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from billing import alarm_log, alarms, outbox
from billing.automation.calendar import quiet_now, to_local
from billing.lookup import active_bindings, room_building
from models.accounts import Account
from models.archive import Meter
from models.audit import record
from models.ledger import OutboxItem
from models.rights import Actor
from resources.i18n import _

TRIP = "meter.trip"


@dataclass
class ArrearsResult:
    tripped: list[int] = field(default_factory=list)      # meter ids a trip was queued for
    waiting: list[int] = field(default_factory=list)      # account ids whose trip waits (time/quiet)


def relay_is_tripped(session: Session, meter_id: int) -> bool:
    """True while a trip for this meter is pending, or was done and no close came after it."""
    last = session.execute(sa.select(OutboxItem.kind, OutboxItem.state)
                           .where(OutboxItem.meter_id == meter_id,
                                  OutboxItem.kind.in_([TRIP, outbox.CLOSE]),
                                  OutboxItem.state.in_(["pending", "sending", "done"]))
                           .order_by(OutboxItem.id.desc()).limit(1)).first()
    return last is not None and last[0] == TRIP


def check_account(session: Session, account: Account, now: datetime, actor: Actor, *,
                  quiet: bool | None = None, result: ArrearsResult | None = None) -> ArrearsResult:
    """Apply the arrears policy to one (locked or freshly read) account inside a transaction."""
    result = result or ArrearsResult()
    if account.state != "open" or account.mode != "station-prepaid":
        return result                  # postpaid: a bill owed; meter-prepaid: the meter trips itself
    if alarms.level(account) != "arrears":    # its "tripped" alarm ends with the confirmed close
        return result
    if quiet is None:
        quiet = quiet_now(session, now)
    action = alarms.arrears_action(account, to_local(now), quiet=quiet)
    if action == "wait":
        result.waiting.append(account.id)
    if action != "trip":
        return result
    for binding in active_bindings(session, account.id):
        meter = session.get(Meter, binding.meter_id)
        if meter is None or meter.keep_power or relay_is_tripped(session, meter.id):
            continue
        building = room_building(session, account.room_id)
        if not actor.can("relay_control", building):   # e.g. a service role configured without it
            record(session, actor, "denied", account.number,
                   {"action": "arrears.trip", "meter": meter.number, "right": "relay_control"})
            continue
        outbox.enqueue(session, TRIP, account_id=account.id, meter_id=meter.id, priority=0,
                       payload={"reason": "arrears", "balance_fen": account.balance_fen})
        alarm_log.raise_alarm(session, "tripped", account_id=account.id, meter_id=meter.id, at=now,
                              message=_("Account {account}: meter {meter} tripped for arrears").format(
                                  account=account.number, meter=meter.number),
                              details={"balance_fen": account.balance_fen,
                                       "policy": account.arrears_policy})
        record(session, actor, "arrears.trip", account.number,
               {"meter": meter.number, "balance_fen": account.balance_fen, "policy": account.arrears_policy})
        result.tripped.append(meter.id)
    return result


def check_all(session: Session, now: datetime, actor: Actor) -> ArrearsResult:
    """Every open prepaid account in arrears (the minute job: trip-at times, quiet hours ending)."""
    result = ArrearsResult()
    quiet = quiet_now(session, now)
    accounts = session.execute(sa.select(Account).where(Account.state == "open", Account.mode == "station-prepaid",
                                                        Account.balance_fen <= 0,
                                                        Account.arrears_policy != "never")
                               .order_by(Account.id)).scalars().all()
    for account in accounts:
        check_account(session, account, now, actor, quiet=quiet, result=result)
    return result
