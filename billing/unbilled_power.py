"""No power without an account to pay for it: closing an account (销户) trips its meters' relays,
and the next account bound to such a meter closes it again when that account would not trip it.

    trip_closed(s, account, meter_ids, actor)     # close_account, in its transaction
    restore_bound(s, account, meter, actor)       # accounts_open.bind, in its transaction

A meter left switched on after its account closed hands out electricity nobody is charged for
(the settlement charges only open bindings). So at the close each of its meters gets a trip in
the outbox ("account closed"), in the close's own transaction, unless:
  - the meter is kept powered (保电, Meter.keep_power: the station never switches it off),
  - its model has no relay (models/capabilities.py: a meter without "trip" is left as it is),
    or it is on no link (nothing can reach it; billing/control.py refuses commands to it too),
  - it is tripped already (an arrears trip pending or done, billing/automation/arrears.py),
  - the operator closing the account may not switch relays in its building (relay_control):
    the close goes on, the refusal is logged ("denied", account.close.trip), as the arrears trip does.

Binding a meter whose last relay command was that close trip (opening an account, adding a
meter, moving a tenant, replacing a meter) queues a close in the same transaction when the new
account would not trip it: postpaid (billed afterwards), a prepaid account with money paid in,
or one whose arrears policy is "never". A prepaid account at zero leaves it tripped: its first
sale closes it (billing/sales.credit_commands: a balance from <= 0 to > 0 closes the relay),
as the arrears control would have tripped a live meter of an account at zero. A meter an
operator tripped by hand (the control page) is never closed by a binding.
"""
from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy.orm import Session

from billing import outbox
from billing.control import offered
from billing.ledger import paid_balance_fen
from billing.lookup import room_building
from models import commands as contract
from models.accounts import Account
from models.archive import Meter
from models.audit import record
from models.ledger import OutboxItem
from models.rights import Actor

TRIP, CLOSE = contract.TRIP, contract.CLOSE
REASON = "account closed"


def _last_relay_item(s: Session, meter_id: int) -> tuple[str, str] | None:
    """(kind, payload) of the meter's newest trip or close that is pending, sending or done."""
    row = s.execute(sa.select(OutboxItem.kind, OutboxItem.payload)
                    .where(OutboxItem.meter_id == meter_id, OutboxItem.kind.in_([TRIP, CLOSE]),
                           OutboxItem.state.in_(["pending", "sending", "done"]))
                    .order_by(OutboxItem.id.desc()).limit(1)).first()
    return None if row is None else (row[0], row[1])


def _may_switch(s: Session, actor: Actor, account: Account, meter: Meter, action: str) -> bool:
    if actor.can("relay_control", room_building(s, meter.room_id)):
        return True
    record(s, actor, "denied", account.number, {"action": action, "meter": meter.number, "right": "relay_control"})
    return False


def trip_closed(s: Session, account: Account, meter_ids: list[int], actor: Actor) -> list[int]:
    """Queue a trip for each of a closing account's meters that may be switched off (module
    notes); returns the meter ids tripped."""
    tripped: list[int] = []
    for meter_id in meter_ids:
        meter = s.get(Meter, meter_id)
        if meter is None or meter.keep_power or meter.link_id is None or "trip" not in offered(meter):
            continue
        last = _last_relay_item(s, meter_id)
        if last is not None and last[0] == TRIP:
            continue
        if not _may_switch(s, actor, account, meter, "account.close.trip"):
            continue
        outbox.enqueue(s, TRIP, account_id=account.id, meter_id=meter_id, priority=0,
                       payload={"reason": REASON, "balance_fen": account.balance_fen})
        record(s, actor, "account.close.trip", account.number, {"meter": meter.number})
        tripped.append(meter_id)
    return tripped


def _tripped_by_a_close(s: Session, meter_id: int) -> bool:
    last = _last_relay_item(s, meter_id)
    if last is None or last[0] != TRIP:
        return False
    try:
        reason = json.loads(last[1] or "{}").get("reason")
    except ValueError:
        return False
    return isinstance(reason, str) and reason == REASON


def restore_bound(s: Session, account: Account, meter: Meter, actor: Actor | None) -> bool:
    """Queue a close for a meter tripped by its former account's close, now bound to `account`,
    when that account would not trip it (module notes); True when queued."""
    if not _tripped_by_a_close(s, meter.id):
        return False
    keeps_power = (account.mode == "postpaid" or account.arrears_policy == "never"
                   or paid_balance_fen(account) > 0)
    if not keeps_power or meter.link_id is None or "close" not in offered(meter):
        return False
    if actor is not None and not _may_switch(s, actor, account, meter, "account.bind.close"):
        return False
    outbox.enqueue(s, CLOSE, account_id=account.id, meter_id=meter.id, priority=0,
                   payload={"reason": "account opened", "balance_fen": account.balance_fen})
    if actor is not None:
        record(s, actor, "account.bind.close", account.number, {"meter": meter.number})
    return True
