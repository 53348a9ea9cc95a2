"""Power-quality alarms (over/under-voltage, over-current, overload) from the poller's readings.

After each stored batch (StationRuntime's after-commit hook) check_batch() compares the live
values the batch just wrote (Meter.last_values: voltage, current, power, phases B/C) with each
meter's thresholds (billing/quality_thresholds.py: meter, else strictest group, else all).

Two queries per batch, whatever its size: the batch's meters with their live values and every
threshold row that applies to them (one join), and the open power-quality alarms of those
meters; a third when alarms are raised: the open account of each of their meters, which the
alarm names (account number and customer on the alarms page, as the other alarms). Raising
and clearing go out in bulk (billing/alarm_bulk.py: one INSERT, one UPDATE).

Raised on the first read beyond the limit (worst phase). Cleared only when the value is back
inside by a margin (hysteresis): 2 % of the limit for voltage, 5 % for current and power, whose
loads swing more — 253 V raises above 253, clears at or below 247.94. A value between the two
keeps the alarm as it is; a quantity the meter's plan does not read changes nothing; a limit
removed clears its alarm.
"""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.orm import Session

from billing.alarm_bulk import CHUNK, NewAlarm, clear_ids, raise_many
from billing.quality_thresholds import KINDS, LOWER, Limits, limits_of, merge
from billing.quality_words import describe
from models.accounts import Account, AccountMeter
from models.archive import Meter, MeterTag, Reading, live_values
from models.automation import Alarm
from models.base import utcnow
from models.db import Database
from models.quality import QualityThreshold

log = logging.getLogger(__name__)

VOLTAGES = ("voltage", "voltage_b", "voltage_c", "voltage_l2", "voltage_l3")
CURRENTS = ("current", "current_b", "current_c", "current_l2", "current_l3")
QUANTITIES = {"over_voltage": VOLTAGES, "under_voltage": VOLTAGES, "over_current": CURRENTS, "overload": ("power",)}
HYSTERESIS = {"over_voltage": Decimal("0.02"), "under_voltage": Decimal("0.02"),
              "over_current": Decimal("0.05"), "overload": Decimal("0.05")}


@dataclass
class QualityResult:
    raised: list[tuple[int, str]] = field(default_factory=list)     # (meter id, kind)
    cleared: list[tuple[int, str]] = field(default_factory=list)


def worst(kind: str, values: dict[str, str]) -> tuple[Decimal, str] | None:
    """The worst phase's value for an alarm kind (lowest for a lower limit), with its quantity."""
    found = []
    for q in QUANTITIES[kind]:
        try:
            v = Decimal(values[q])
        except (KeyError, InvalidOperation, ValueError):
            continue
        if v.is_finite():
            found.append((v, q))
    if not found:
        return None
    return min(found) if kind in LOWER else max(found)


def verdict(kind: str, value: Decimal | None, limit: Decimal | None, is_open: bool) -> str:
    """"raise", "clear" or "keep" for one alarm kind of one meter."""
    if limit is None:
        return "clear" if is_open else "keep"
    if value is None:
        return "keep"
    h = HYSTERESIS[kind]
    if kind in LOWER:
        beyond, back = value < limit, value >= limit * (1 + h)
    else:
        beyond, back = value > limit, value <= limit * (1 - h)
    if beyond:
        return "keep" if is_open else "raise"
    return "clear" if back and is_open else "keep"


def _text(value: Decimal) -> str:
    return str(value.normalize()) if value == value.to_integral_value() else str(value)


def check_batch(db: Database, reading_ids: Iterable[int], *, now: datetime | None = None) -> QualityResult:
    """Raise and clear the power-quality alarms of the meters of a stored batch (one transaction)."""
    ids = sorted({int(i) for i in reading_ids})
    result = QualityResult()
    if not ids:
        return result
    now = now or utcnow()
    with db.write() as s:
        batch = sa.select(Reading.meter_id).where(Reading.id.in_(ids)).distinct().subquery()
        rows = s.execute(
            sa.select(Meter.id, Meter.last_values, QualityThreshold)
            .join(batch, batch.c.meter_id == Meter.id)
            .outerjoin(MeterTag, MeterTag.meter_id == Meter.id)
            .join(QualityThreshold, sa.or_(QualityThreshold.meter_id == Meter.id,
                                           QualityThreshold.tag_id == MeterTag.tag_id,
                                           QualityThreshold.scope == "all"))).all()
        opened = s.execute(sa.select(Alarm.meter_id, Alarm.kind, Alarm.id)
                           .where(Alarm.meter_id.in_(sa.select(batch.c.meter_id)), Alarm.kind.in_(KINDS),
                                  Alarm.state != "cleared")).all()
        values: dict[int, str] = {}
        scopes: dict[int, dict[int, QualityThreshold]] = {}
        for meter_id, last_values, threshold in rows:
            values[meter_id] = last_values
            scopes.setdefault(meter_id, {})[threshold.id] = threshold
        is_open = {(m, k): alarm_id for m, k, alarm_id in opened if m is not None}
        new: list[NewAlarm] = []
        gone: list[int] = []
        unlimited = sorted({m for m, _k in is_open} - set(values))     # limits removed: their alarms clear
        for meter_id in unlimited:
            values[meter_id] = "{}"
        for meter_id in sorted(values):
            limits = _limits(scopes.get(meter_id, {}).values(), meter_id)
            live, _units = live_values(values[meter_id])
            for kind in KINDS:
                found = worst(kind, live)
                limit = getattr(limits, kind)
                key = (meter_id, kind)
                action = verdict(kind, found[0] if found else None, limit, key in is_open)
                if action == "raise" and found is not None and limit is not None:
                    details = {"value": _text(found[0]), "limit": _text(limit), "quantity": found[1],
                               "unit": "kW" if kind == "overload" else "A" if kind == "over_current" else "V"}
                    new.append(NewAlarm(kind, meter_id, None, describe(kind, details), details))
                    result.raised.append(key)
                elif action == "clear":
                    gone.append(is_open[key])
                    result.cleared.append(key)
        if new:
            accounts = open_accounts(s, {a.meter_id for a in new})
            new = [dataclasses.replace(a, account_id=accounts.get(a.meter_id)) for a in new]
        raise_many(s, new, now)
        clear_ids(s, gone, now)
    if result.raised or result.cleared:
        log.info("power quality: %d raised, %d cleared", len(result.raised), len(result.cleared))
    return result


def open_accounts(s: Session, meter_ids: Iterable[int]) -> dict[int, int]:
    """meter id -> the open account bound to it now (meters without one are left out)."""
    ids = sorted(set(meter_ids))
    found: dict[int, int] = {}
    for i in range(0, len(ids), CHUNK):
        found.update(s.execute(
            sa.select(AccountMeter.meter_id, AccountMeter.account_id)
            .join(Account, Account.id == AccountMeter.account_id)
            .where(AccountMeter.meter_id.in_(ids[i:i + CHUNK]), AccountMeter.closed_at.is_(None),
                   Account.state == "open")).all())
    return found


def _limits(rows: Iterable[QualityThreshold], meter_id: int) -> Limits:
    own, tags, everyone = None, [], None
    for r in rows:
        if r.meter_id == meter_id:
            own = limits_of(r)
        elif r.tag_id is not None:
            tags.append(limits_of(r))
        elif r.scope == "all":
            everyone = limits_of(r)
    return merge(own, tags, everyone)
