"""Raising and clearing many alarms in a few statements, for the checks that look at every meter
at once (billing/power_quality.py per poll batch, billing/abnormal_use.py daily).

The same rules as billing/alarm_log.py (raise_alarm / clear), for callers that already read the
open alarms of their kinds in the same transaction: they raise only subjects without an open
alarm (so at most one open alarm per subject still holds) and clear by alarm id. A first run over
10,000 meters that all meet a condition is then one INSERT … executemany and one query for the
meters' buildings, not 10,000 round trips.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.accounts import Account
from models.archive import Floor, Meter, Room
from models.automation import ALARM_KINDS, Alarm
from models.base import rowcount, table

CHUNK = 900          # ids per IN (...) list: under SQLite's old 999-parameter limit


@dataclass(frozen=True)
class NewAlarm:
    kind: str
    meter_id: int
    account_id: int | None
    message: str
    details: dict[str, Any]


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def raise_many(s: Session, alarms: list[NewAlarm], at: datetime) -> int:
    """Insert the alarms (the caller checked none of them is open); returns how many."""
    if not alarms:
        return 0
    for a in alarms:
        if a.kind not in ALARM_KINDS:
            raise ValueError(f"unknown alarm kind {a.kind!r}")
    meters = sorted({a.meter_id for a in alarms})
    building: dict[int, int] = {}
    for part in _chunks(meters):
        building.update(s.execute(sa.select(Meter.id, Floor.building_id).join(Room, Room.id == Meter.room_id)
                                  .join(Floor, Floor.id == Room.floor_id).where(Meter.id.in_(part))).all())
    accounts = sorted({a.account_id for a in alarms if a.account_id is not None and a.meter_id not in building})
    by_account: dict[int, int] = {}
    for part in _chunks(accounts):          # a meter placed in no room: its account's room (as alarm_log)
        by_account.update(s.execute(sa.select(Account.id, Floor.building_id).join(Room, Room.id == Account.room_id)
                                    .join(Floor, Floor.id == Room.floor_id).where(Account.id.in_(part))).all())
    s.execute(table(Alarm).insert(), [          # Core: no mapper sorting of every related table
        {"kind": a.kind, "state": "open", "account_id": a.account_id, "meter_id": a.meter_id, "link_id": None,
         "building_id": building.get(a.meter_id, by_account.get(a.account_id or 0)), "message": a.message[:300],
         "details": json.dumps(a.details, ensure_ascii=False), "raised_at": at, "acked_by": ""}
        for a in alarms])
    return len(alarms)


def clear_ids(s: Session, alarm_ids: Iterable[int], at: datetime) -> int:
    """Clear these alarms (their condition is gone); returns how many were still not cleared."""
    ids = sorted(set(alarm_ids))
    n = 0
    for part in _chunks(ids):
        n += rowcount(s.execute(sa.update(Alarm).where(Alarm.id.in_(part), Alarm.state != "cleared")
                                .values(state="cleared", cleared_at=at).execution_options(synchronize_session=False)))
    return n
