"""Side effects that must reach a meter, queued in the same transaction as the money movement.

The poller delivers them after commit and retries until the meter confirms (comms/). A
recharge carries the meter's purchase number (1, 2, 3... per meter, counted here under the
account lock), so a meter applies each purchase exactly once however often it is re-sent.
"""
from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.ledger import OutboxItem

RECHARGE = "meter.recharge"
CLOSE = "meter.close"
REFUND = "meter.refund"


def enqueue(session: Session, kind: str, *, account_id: int | None, meter_id: int | None,
            entry_id: int | None = None, payload: dict[str, Any] | None = None,
            priority: int = 0) -> OutboxItem:
    item = OutboxItem(kind=kind, account_id=account_id, meter_id=meter_id, entry_id=entry_id,
                      payload=json.dumps(payload or {}, ensure_ascii=False), priority=priority)
    session.add(item)
    session.flush()
    return item


def next_purchase_number(session: Session, meter_id: int) -> int:
    """The purchase number of the next recharge of this meter (1 for its first)."""
    count = session.execute(sa.select(sa.func.count()).select_from(OutboxItem)
                            .where(OutboxItem.meter_id == meter_id, OutboxItem.kind == RECHARGE)).scalar()
    return int(count or 0) + 1


def pending_for_entry(session: Session, entry_id: int) -> list[OutboxItem]:
    return list(session.execute(sa.select(OutboxItem).where(OutboxItem.entry_id == entry_id)
                                .with_for_update()).scalars())
