"""The periodic jobs' effects (see billing/automation/jobs.py for when they run and how each
period runs exactly once): frozen-data and clock-sync commands queued for the meters, monthly
subsidies granted and expired, postpaid accounts billed, the scheduled backup."""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from billing import outbox
from billing.automation.calendar import setting
from billing.automation.job_runs import JobContext, is_done, record_done, run_once_recorded
from billing.automation.periods import Occurrence
from models import capabilities, station_time
from models.accounts import Account
from models.archive import Meter, Reading
from models.errors import Conflict, StationError

log = logging.getLogger(__name__)

READ_FROZEN = "meter.read_frozen"
SYNC_CLOCK = "meter.sync_clock"


def _link_meters(s: Session, kinds: tuple[str, ...] = ("electricity",)) -> list[int]:
    return list(s.execute(sa.select(Meter.id).where(Meter.state == "installed", Meter.link_id.is_not(None),
                                                    Meter.kind.in_(kinds)).order_by(Meter.id)).scalars())


def _can(meter: Meter, capability: str) -> bool:
    try:
        return capabilities.of_meter(meter).can(capability)
    except StationError:
        return False


def _frozen(kind: str, limit: int) -> Callable[[JobContext, Occurrence, datetime], bool]:
    def run(ctx: JobContext, occ: Occurrence, now: datetime) -> bool:
        today = station_time.day_of(now)
        if kind == "daily":
            n = (today - date.fromisoformat(occ.period)).days
        else:
            y, m = (int(x) for x in occ.period.split("-"))
            n = (today.year * 12 + today.month) - (y * 12 + m)
        if not 1 <= n <= limit:                      # the meter no longer holds that record
            return record_done(ctx, occ, {"skipped": f"n={n}"})

        def effect(s: Session) -> dict[str, Any]:
            ids = [m.id for m in s.execute(sa.select(Meter).where(Meter.id.in_(_link_meters(s)))
                                           .order_by(Meter.id)).scalars() if _can(m, "frozen")]
            for meter_id in ids:
                outbox.enqueue(s, READ_FROZEN, account_id=None, meter_id=meter_id,
                               payload={"kind": kind, "n": n, "period": occ.period}, priority=5)
            return {"meters": len(ids), "n": n}
        return run_once_recorded(ctx, occ, effect)
    return run


def _clock_sync(ctx: JobContext, occ: Occurrence, now: datetime) -> bool:
    def effect(s: Session) -> dict[str, Any]:
        ids = [m.id for m in s.execute(sa.select(Meter).where(Meter.id.in_(
            _link_meters(s, ("electricity", "water", "gas", "heat")))).order_by(Meter.id)).scalars()
            if _can(m, "clock")]           # CJ/T 188 meters declare no clock setting
        for meter_id in ids:
            outbox.enqueue(s, SYNC_CLOCK, account_id=None, meter_id=meter_id, payload={}, priority=5)
        return {"meters": len(ids)}
    return run_once_recorded(ctx, occ, effect)


def subsidy_amounts(ctx: JobContext) -> dict[str, Decimal]:
    with ctx.db.read() as s:
        raw = setting(s, "automation.subsidy_amounts")
    data = json.loads(raw or "{}")
    return {str(k): Decimal(str(v)) for k, v in data.items()}


def _subsidy_grant(ctx: JobContext, occ: Occurrence, now: datetime) -> bool:
    from billing.subsidies import grant_monthly

    if is_done(ctx, occ):
        return False
    amounts = subsidy_amounts(ctx)
    run = grant_monthly(ctx.db, ctx.service_actor, occ.period, amounts) if amounts else None
    return record_done(ctx, occ, {"granted": len(run.done) if run else 0,
                             "total": str(run.total) if run else "0.00"})


def _subsidy_expire(ctx: JobContext, occ: Occurrence, now: datetime) -> bool:
    from billing.subsidies import expire_month

    if is_done(ctx, occ):
        return False
    with ctx.db.read() as s:
        carry = tuple(t.strip() for t in str(setting(s, "automation.subsidy_carry")).split(",") if t.strip())
    run = expire_month(ctx.db, ctx.service_actor, occ.period, carry_types=carry)
    return record_done(ctx, occ, {"expired": len(run.done), "total": str(run.total), "carried": list(carry)})


def _postpaid_bill(ctx: JobContext, occ: Occurrence, now: datetime) -> bool:
    from billing.lookup import active_bindings
    from billing.postpaid import bill_account

    if is_done(ctx, occ):
        return False
    billed, skipped = [], []
    with ctx.db.read() as s:
        accounts = list(s.execute(sa.select(Account.id, Account.number).where(
            Account.state == "open", Account.mode == "postpaid").order_by(Account.id)).all())
        readings: dict[int, dict[str, str]] = {}
        for account_id, _number in accounts:
            values: dict[str, str] = {}
            for b in active_bindings(s, account_id):
                row = s.execute(sa.select(Meter.number, Reading.energy_milli).join(Meter, Meter.id == Reading.meter_id)
                                .where(Reading.meter_id == b.meter_id, Reading.flag == "", Reading.at <= occ.due)
                                .order_by(Reading.at.desc(), Reading.id.desc()).limit(1)).first()
                if row is not None:
                    values[row[0]] = str(Decimal(row[1]) / 1000)
            readings[account_id] = values
    for account_id, number in accounts:
        try:
            bill_account(ctx.db, ctx.actor, account_id, occ.period, readings[account_id], at=now)
            billed.append(number)
        except Conflict:
            skipped.append(number)                      # billed already (by hand or another station)
        except StationError as e:                       # a meter without a reading: next time by hand
            log.warning("postpaid bill of %s for %s: %s", number, occ.period, e)
            skipped.append(number)
    return record_done(ctx, occ, {"billed": billed, "skipped": skipped,
                                  "documents": _bill_documents(ctx, occ.period, billed)})


def _bill_documents(ctx: JobContext, month: str, accounts: list[str]) -> int:
    """The bills just posted as documents in the bills folder (billing/bill_print.py). A bill
    whose document cannot be written now is still posted: it is printed from the account page."""
    from billing.bill_print import issue_period

    try:
        written = issue_period(ctx.db, ctx.actor, month, accounts)
    except Exception:  # noqa: BLE001 - the bills are posted; their documents must not undo the job
        log.exception("bill documents for %s", month)
        return 0
    for number, result in written.items():
        if result.startswith("error:"):
            log.warning("bill document of %s for %s: %s", number, month, result)
    return sum(1 for r in written.values() if not r.startswith("error:"))


def _backup(ctx: JobContext, occ: Occurrence, now: datetime) -> bool:
    from models.backup import scheduled_backup

    if is_done(ctx, occ):
        return False
    result = scheduled_backup(ctx.db, now)
    return record_done(ctx, occ, {"result": str(result)[:200]})


def _abnormal_use(ctx: JobContext, occ: Occurrence, now: datetime) -> bool:
    from billing.abnormal_use import check_day

    return run_once_recorded(ctx, occ, lambda s: check_day(s, date.fromisoformat(occ.period), now=now).summary())


RUNNERS: dict[str, Callable[[JobContext, Occurrence, datetime], bool]] = {
    "frozen_daily": _frozen("daily", 31),
    "frozen_monthly": _frozen("monthly", 12),
    "clock_sync": _clock_sync,
    "subsidy_expire": _subsidy_expire,
    "subsidy_grant": _subsidy_grant,
    "postpaid_bill": _postpaid_bill,
    "backup": _backup,
    "abnormal_use": _abnormal_use,
}
