"""Abnormal-use alarms (异常用电), raised and cleared once a day from the stored readings.

For the local day D just ended (the job "abnormal_use" runs at 00:30 for yesterday, exactly
once, billing/automation/jobs.py), over installed electricity meters:

    vacant_use  no open account on the meter (vacant room, closed account) and D's use at
                least alarms.vacant_min_kwh (default 0.5 kWh). A meter whose account closed
                during D is left alone that day (its use may be the tenant's).
    idle_use    an open account, bound before the window, relay not open, and no use at all
                over the last alarms.idle_days days (default 7): D's reading equals the one at
                the end of day D-N (or the latest before it in the window).
    use_spike   an open account and D's use above alarms.spike_factor (default 3) times the
                median of its daily uses of the 28 days before D (at least 7 known), and at
                least alarms.spike_min_kwh (default 5 kWh).

Why daily and not per batch for the vacant room too: a rise between two single reads of a
vacant meter can be the last reading of the closing tenant or one read's rounding; a day's
total with a minimum is a signal an office acts on. A day's use is the rise of the day's highest
unflagged reading over the previous day's (readings only go up; flagged ones are never used).
The readings come in ONE query: the highest reading of each meter for each of the 30 local days
(a CASE on the day bounds, the same SQL on SQLite and PostgreSQL), grouped by meter and day.

Each kind is cleared when D shows the condition gone (use resumed, a normal day, the room let);
a meter without readings on D keeps its alarms as they are. Raising and clearing go out in bulk
(billing/alarm_bulk.py): the first day over 10,000 meters is not 10,000 round trips.
"""
from __future__ import annotations

import logging
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from billing.alarm_bulk import NewAlarm, clear_ids, raise_many
from billing.automation.calendar import setting
from billing.quality_words import describe
from models import station_time
from models.accounts import Account, AccountMeter
from models.archive import Meter, Reading
from models.automation import Alarm
from models.base import utcnow

log = logging.getLogger(__name__)

KINDS = ("vacant_use", "idle_use", "use_spike")
WINDOW = 30                 # days of daily maxima read: D-29 .. D (28 days before D plus D-1 as base)
MIN_HISTORY = 7             # known daily uses needed for a "usual" day
MILLI = Decimal(1000)


@dataclass
class AbnormalResult:
    day: str = ""
    meters: int = 0
    raised: list[tuple[int, str]] = field(default_factory=list)       # (meter id, kind)
    cleared: list[tuple[int, str]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {"day": self.day, "meters": self.meters, "raised": len(self.raised), "cleared": len(self.cleared)}


@dataclass(frozen=True)
class Rules:
    idle_days: int = 7
    spike_factor: Decimal = Decimal(3)
    spike_min_kwh: Decimal = Decimal(5)
    vacant_min_kwh: Decimal = Decimal("0.5")


def rules(s: Session) -> Rules:
    return Rules(int(setting(s, "alarms.idle_days")), Decimal(str(setting(s, "alarms.spike_factor"))),
                 Decimal(str(setting(s, "alarms.spike_min_kwh"))), Decimal(str(setting(s, "alarms.vacant_min_kwh"))))


def local_midnight(day: date) -> datetime:
    """The UTC instant of the station's local midnight starting `day`."""
    return station_time.at(day, time())


def daily_maxima(s: Session, day: date, days: int = WINDOW) -> tuple[dict[int, list[int | None]], list[datetime]]:
    """meter id -> highest unflagged reading (milli) of each local day day-(days-1) .. day (index
    days-1 is `day`; None: no reading that day), in one grouped query; and the day bounds."""
    first = day - timedelta(days=days - 1)
    bounds = [local_midnight(first + timedelta(days=i)) for i in range(days + 1)]
    bucket = sa.case(*[(Reading.at < bounds[i + 1], i) for i in range(days)], else_=days).label("bucket")
    q = (sa.select(Reading.meter_id, bucket, sa.func.max(Reading.energy_milli))
         .join(Meter, Meter.id == Reading.meter_id)
         .where(Reading.at >= bounds[0], Reading.at < bounds[-1], Reading.flag == "",
                Meter.kind == "electricity", Meter.state == "installed")
         .group_by(Reading.meter_id, bucket))
    out: dict[int, list[int | None]] = {}
    for meter_id, b, top in s.execute(q):
        if 0 <= b < days:
            out.setdefault(meter_id, [None] * days)[b] = int(top)
    return out, bounds


def _kwh(milli: int) -> str:
    return str((Decimal(milli) / MILLI).quantize(Decimal("0.001")).normalize())


def _previous(series: list[int | None], i: int) -> int | None:
    """The latest known maximum strictly before index i."""
    for j in range(i - 1, -1, -1):
        if series[j] is not None:
            return series[j]
    return None


def _uses(series: list[int | None]) -> list[int | None]:
    """Use of each day whose previous day is known too (None otherwise)."""
    out: list[int | None] = [None]
    out += [b - a if a is not None and b is not None else None for a, b in pairwise(series)]
    return out


def assess(series: list[int | None], occupied: bool, *, bound_before: bool, relay_open: bool,
           closed_today: bool, r: Rules) -> dict[str, tuple[bool, dict[str, Any]] | None]:
    """kind -> (condition holds, details) or None (not known today: keep as is)."""
    last = len(series) - 1
    today = series[last]
    out: dict[str, tuple[bool, dict[str, Any]] | None] = {k: None for k in KINDS}
    if today is None:
        return out
    before = _previous(series, last)
    rise = today - before if before is not None else None
    if not occupied:
        out["idle_use"] = (False, {})
        out["use_spike"] = (False, {})
        if rise is not None and not closed_today:
            out["vacant_use"] = (Decimal(rise) / MILLI >= r.vacant_min_kwh and rise > 0, {"use": _kwh(rise)})
        return out
    out["vacant_use"] = (False, {})
    start = last - r.idle_days
    base = series[start] if series[start] is not None else _previous(series, start)
    if relay_open or (rise is not None and rise > 0):
        out["idle_use"] = (False, {})
    elif base is not None and bound_before:
        out["idle_use"] = (today == base, {"days": r.idle_days, "reading": _kwh(today)})
    uses = _uses(series)
    history = [u for u in uses[last - 28:last] if u is not None]
    use = uses[last]
    if use is not None and len(history) >= MIN_HISTORY:
        median = Decimal(str(statistics.median(history)))
        spike = Decimal(use) / MILLI >= r.spike_min_kwh and Decimal(use) > r.spike_factor * median
        out["use_spike"] = (spike, {"use": _kwh(use), "median": _kwh(int(median))})
    elif use is not None:
        out["use_spike"] = (False, {})
    return out


def check_day(s: Session, day: date, *, now: datetime | None = None, r: Rules | None = None) -> AbnormalResult:
    """Raise and clear the abnormal-use alarms for local day `day` in session s (one transaction)."""
    now = now or utcnow()
    r = r or rules(s)
    result = AbnormalResult(day=day.isoformat())
    maxima, bounds = daily_maxima(s, day)
    day_start = bounds[-2]
    window_start = bounds[WINDOW - min(r.idle_days, WINDOW - 2)]   # end of day D-N: bound before it
    bound = {m: (a, opened) for m, a, opened in s.execute(
        sa.select(AccountMeter.meter_id, AccountMeter.account_id, AccountMeter.opened_at)
        .join(Account, Account.id == AccountMeter.account_id)
        .where(AccountMeter.closed_at.is_(None), Account.state == "open"))}
    closed_today = set(s.execute(sa.select(AccountMeter.meter_id).where(AccountMeter.closed_at >= day_start))
                       .scalars())
    relay_open = set(s.execute(sa.select(Meter.id).where(Meter.relay_state == "open")).scalars())
    opened = {(m, k): alarm_id for alarm_id, m, k in s.execute(
        sa.select(Alarm.id, Alarm.meter_id, Alarm.kind)
        .where(Alarm.kind.in_(KINDS), Alarm.state != "cleared", Alarm.meter_id.is_not(None))) if m is not None}
    new: list[NewAlarm] = []
    gone: list[int] = []
    result.meters = len(maxima)
    for meter_id in sorted(set(maxima) | {m for m, _k in opened}):
        series = maxima.get(meter_id, [None] * WINDOW)
        account_id, opened_at = bound.get(meter_id) or (None, None)
        verdicts = assess(series, account_id is not None,
                          bound_before=opened_at is not None and opened_at <= window_start,
                          relay_open=meter_id in relay_open, closed_today=meter_id in closed_today, r=r)
        for kind, found in verdicts.items():
            if found is None:
                continue
            holds, details = found
            key = (meter_id, kind)
            if holds and key not in opened:
                details = {**details, "day": day.isoformat()}
                new.append(NewAlarm(kind, meter_id, account_id, describe(kind, details), details))
                result.raised.append(key)
            elif not holds and key in opened:
                gone.append(opened[key])
                result.cleared.append(key)
    raise_many(s, new, now)
    clear_ids(s, gone, now)
    return result
