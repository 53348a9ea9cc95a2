"""Side effects that must reach a meter, queued in the same transaction as the money movement.

The poller delivers them after commit and retries until the meter confirms (comms/). A
recharge carries the meter's purchase number (1, 2, 3... per meter, counted here under the
account lock), so a meter applies each purchase exactly once however often it is re-sent.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import commands as contract
from models.db import Database
from models.ledger import OutboxItem
from models.rights import Actor

RECHARGE, CLOSE, REFUND = contract.RECHARGE, contract.CLOSE, contract.REFUND


def enqueue(session: Session, kind: str, *, account_id: int | None, meter_id: int | None,
            entry_id: int | None = None, payload: Any = None,
            priority: int = 0) -> OutboxItem:
    """Queue one meter command of the contract (models/commands.py): `payload` is its payload
    dataclass or a dict of its fields; an unknown kind or a payload that does not fit it is
    refused (InvalidInput) before anything is written."""
    item = OutboxItem(kind=kind, account_id=account_id, meter_id=meter_id, entry_id=entry_id,
                      payload=contract.to_json(kind, payload), priority=priority)
    session.add(item)
    session.flush()
    return item


def next_purchase_number(session: Session, meter_id: int) -> int:
    """The purchase number of the next recharge or refund of this meter (1 for its first):
    the meter counts both, since a refund is written like a purchase."""
    count = session.execute(sa.select(sa.func.count()).select_from(OutboxItem)
                            .where(OutboxItem.meter_id == meter_id,
                                   OutboxItem.kind.in_((RECHARGE, REFUND)))).scalar()
    return int(count or 0) + 1


def pending_for_entry(session: Session, entry_id: int) -> list[OutboxItem]:
    return list(session.execute(sa.select(OutboxItem).where(OutboxItem.entry_id == entry_id)
                                .with_for_update()).scalars())


RETRY_WINDOW_HOURS = 24


def retry(db: Database, actor: Actor, item_id: int) -> str:
    """Send a failed or expired meter command again now (the cashier's Retry button).

    Needs the right to sell in the account's building. A recharge keeps its purchase number, so
    a meter that did apply it the first time ignores the repeat. A command withdrawn by a
    reversal is never re-sent. Returns the item's new state ("pending").
    """
    from datetime import timedelta

    from billing.lookup import room_building
    from models.accounts import Account
    from models.audit import audited, record
    from models.base import utcnow
    from models.errors import Conflict, NotFound
    from models.ledger import LedgerEntry
    from resources.i18n import _

    with audited(db, actor, "outbox.retry", str(item_id)) as s:
        actor.require("sell")                    # first: a refusal says nothing of what exists
        item = s.get(OutboxItem, item_id, with_for_update=True)
        if item is None:
            raise NotFound(_("There is no meter command {item}").format(item=item_id))
        account = s.get(Account, item.account_id) if item.account_id is not None else None
        actor.require("sell", room_building(s, account.room_id) if account else None)
        reversed_ = item.entry_id is not None and s.execute(
            sa.select(LedgerEntry.id).where(LedgerEntry.reverses_id == item.entry_id)).first() is not None
        if item.last_error == "reversed" or reversed_:
            raise Conflict(_("The sale of this command was reversed; it is not sent again"))
        if item.state in ("done", "sending"):
            raise Conflict(_("Meter command {item} is already {state}").format(item=item_id, state=item.state))
        now = utcnow()
        item.state, item.next_at = "pending", now
        item.expires_at = now + timedelta(hours=RETRY_WINDOW_HOURS)
        record(s, actor, "outbox.retry", str(item_id), {"kind": item.kind, "meter": item.meter_id,
                                                         "attempts": item.attempts})
        return item.state
