"""The periodic jobs with a controlled clock, and their catch-up: exactly once per period."""
from __future__ import annotations

import json
import sys
import types
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from billing.automation import jobs
from billing.automation.jobs import JobContext, run_due, run_minute
from billing.automation.periods import add_months, month_label
from models.archive import Meter, Reading
from models.automation import JobRun
from models.ledger import LedgerEntry, OutboxItem
from tests.billing.automation.conftest import (
    Clock,
    add_link,
    add_meter,
    balance,
    local,
    open_prepaid,
    set_setting,
)


def _entries(db, kind):
    with db.read() as s:
        return s.execute(sa.select(LedgerEntry.period_key, LedgerEntry.amount_fen)
                         .where(LedgerEntry.kind == kind).order_by(LedgerEntry.id)).all()


def _frozen(db):
    with db.read() as s:
        rows = s.execute(sa.select(OutboxItem.payload).where(OutboxItem.kind == "meter.read_frozen")
                         .order_by(OutboxItem.id)).scalars().all()
    return [json.loads(p) for p in rows]


def test_subsidies_across_month_ends_exactly_once(db, superadmin):
    set_setting(db, superadmin, "automation.subsidy_amounts", '{"resident": "10.00"}')
    meter = add_meter(db, None, "000000000001")
    account = open_prepaid(db, superadmin, [meter], arrears="never", account_type="resident")
    clock = Clock(local(2026, 10, 15, 12))
    ctx = JobContext(db, "A", clock)
    ran = run_due(ctx, jobs=("subsidy_expire", "subsidy_grant"))
    assert ran == [("subsidy_expire", "2026-09"), ("subsidy_grant", "2026-10")]   # first start: latest only
    clock.set(local(2026, 11, 3, 9))                   # off across the end of October
    ran = run_due(ctx, jobs=("subsidy_expire", "subsidy_grant"))
    assert ran == [("subsidy_expire", "2026-10"), ("subsidy_grant", "2026-11")]
    other = JobContext(db, "B", clock)                 # a second station: already done
    assert run_due(other, jobs=("subsidy_expire", "subsidy_grant")) == []
    assert run_due(ctx, jobs=("subsidy_expire", "subsidy_grant")) == []
    assert _entries(db, "subsidy_grant") == [("2026-10", 1000), ("2026-11", 1000)]
    assert _entries(db, "subsidy_expiry") == [("2026-10", -1000)]
    assert balance(db, account) == Decimal("10.00")
    clock.set(local(2027, 1, 2, 9))                    # off across two month ends
    ran = run_due(ctx, jobs=("subsidy_expire", "subsidy_grant"))
    assert ran == [("subsidy_expire", "2026-11"), ("subsidy_grant", "2026-12"),
                   ("subsidy_expire", "2026-12"), ("subsidy_grant", "2027-01")]
    assert [p for p, _a in _entries(db, "subsidy_grant")] == ["2026-10", "2026-11", "2026-12", "2027-01"]
    assert balance(db, account) == Decimal("10.00")


def test_subsidy_day_and_carry(db, superadmin):
    set_setting(db, superadmin, "automation.subsidy_amounts", '{"merchant": "5.00"}')
    set_setting(db, superadmin, "automation.subsidy_day", 5)
    set_setting(db, superadmin, "automation.subsidy_carry", "merchant")
    meter = add_meter(db, None, "000000000001")
    account = open_prepaid(db, superadmin, [meter], arrears="never", account_type="merchant")
    clock = Clock(local(2026, 11, 4, 23, 59))
    ctx = JobContext(db, "A", clock)
    run_due(ctx, jobs=("subsidy_expire", "subsidy_grant"))
    assert [p for p, _a in _entries(db, "subsidy_grant")] == ["2026-10"]    # November's is due on the 5th
    clock.set(local(2026, 11, 5, 0, 5))
    assert run_due(ctx, jobs=("subsidy_grant",)) == [("subsidy_grant", "2026-11")]
    clock.set(local(2026, 12, 1, 0, 0))
    run_due(ctx, jobs=("subsidy_expire", "subsidy_grant"))
    assert _entries(db, "subsidy_expiry") == []        # carried
    assert balance(db, account) == Decimal("10.00")


def test_frozen_data_and_clock_sync_after_three_days_off(db, superadmin):
    link = add_link(db, "tcp://127.0.0.1:9")
    add_meter(db, link, "000000000001")
    add_meter(db, None, "000000000002")               # on no link: not read
    with db.write() as s:                             # CJ/T 188 declares no clock setting: no sync queued
        s.add(Meter(number="W1", protocol="cjt188", address="00000000000001", link_id=link, kind="water"))
    clock = Clock(local(2026, 11, 20, 12))
    ctx = JobContext(db, "A", clock)
    jobs_ = ("frozen_daily", "frozen_monthly", "clock_sync")
    assert run_due(ctx, jobs=jobs_) == [("frozen_monthly", "2026-10"), ("frozen_daily", "2026-11-19"),
                                        ("clock_sync", "2026-11-20")]
    clock.set(local(2026, 11, 23, 12))                 # off for three days
    assert run_due(ctx, jobs=jobs_) == [("frozen_daily", "2026-11-20"), ("frozen_daily", "2026-11-21"),
                                        ("frozen_daily", "2026-11-22"), ("clock_sync", "2026-11-23")]
    assert run_due(ctx, jobs=jobs_) == []
    got = [(p["kind"], p["n"], p["period"]) for p in _frozen(db)]
    assert got == [("monthly", 1, "2026-10"), ("daily", 1, "2026-11-19"), ("daily", 3, "2026-11-20"),
                   ("daily", 2, "2026-11-21"), ("daily", 1, "2026-11-22")]
    with db.read() as s:
        syncs = s.scalar(sa.select(sa.func.count()).select_from(OutboxItem)
                         .where(OutboxItem.kind == "meter.sync_clock"))
        runs = s.scalar(sa.select(sa.func.count()).select_from(JobRun))
    assert syncs == 2 and runs == 7
    clock.set(local(2026, 12, 1, 0, 10))
    assert ("frozen_monthly", "2026-11") in run_due(ctx, jobs=jobs_)


def test_postpaid_billed_once_on_the_settlement_day(db, superadmin):
    meter = add_meter(db, None, "000000000001")
    account = open_prepaid(db, superadmin, [meter], arrears="never", mode="postpaid")
    now = datetime.now().astimezone()
    first = add_months(now.date().replace(day=1), 1)               # the next month's 1st
    with db.write() as s:
        from models.archive import Meter

        mid = s.scalar(sa.select(Meter.id).where(Meter.number == meter))
        s.add(Reading(meter_id=mid, at=datetime.now().astimezone() + timedelta(minutes=5), energy_milli=12_000))
    clock = Clock(local(first.year, first.month, 1, 2))
    ctx = JobContext(db, "A", clock)
    assert run_due(ctx, jobs=("postpaid_bill",)) == [("postpaid_bill", month_label(now.date()))]
    assert run_due(ctx, jobs=("postpaid_bill",)) == []
    assert balance(db, account) == Decimal("-12.00")
    assert [p for p, _a in _entries(db, "bill")] == [f"{month_label(now.date())}/m{mid}"]


def test_minute_jobs_notices_and_backup_when_present(db, superadmin, monkeypatch):
    calls = []
    from billing import notices

    monkeypatch.setattr(notices, "notify_new_alarms", lambda db_, now, **_who: calls.append(("notify", now)))
    backup = types.ModuleType("models.backup")
    backup.scheduled_backup = lambda db_, now: calls.append(("backup", now)) or "file.db"
    monkeypatch.setitem(sys.modules, "models.backup", backup)
    clock = Clock(local(2026, 11, 20, 3))
    ctx = JobContext(db, "A", clock, send_notices=lambda db_, now: calls.append(("send", now)))
    run_minute(ctx, "notices")
    assert [c[0] for c in calls] == ["notify", "send"]
    assert run_due(ctx, jobs=("backup",)) == [("backup", "2026-11-20")]
    assert run_due(ctx, jobs=("backup",)) == []
    assert [c[0] for c in calls] == ["notify", "send", "backup"]


def test_fire_without_runtime_is_harmless(caplog):
    jobs.register(None)
    jobs.fire("subsidy_grant")
    assert "no station runtime" in caplog.text
