"""Every setting that decides when the station works is obeyed by the scheduler: set through the
service (as an administrator would), then read back from the APScheduler job table, from the
catch-up occurrences and from the runtime — one settings reader (models.settings.read) for all.

backup.at used to be read from the database only while it lives in the station file: set to
03:45, shown as 03:45, the scheduler still backed up at 02:30.
"""
from __future__ import annotations

import pytest

from billing.automation import jobs
from billing.automation.calendar import quiet_now
from billing.automation.scheduler import job_table
from models import settings
from tests.billing.automation.conftest import Clock, local, runtime

NOW = local(2026, 11, 20, 12, 0)


def _cron(table, job):
    trigger = table["ms." + job][1]
    return {f.name: str(f) for f in trigger.fields}


def _local_due(ctx, job):
    due = jobs.occurrences(ctx, job, NOW)[0].local_day, jobs.occurrences(ctx, job, NOW)[0].due
    return due[0], due[1].astimezone().strftime("%H:%M")


@pytest.mark.parametrize("key, value, job, field, expected", [
    ("automation.frozen_daily_at", "04:20", "frozen_daily", "hour", "4"),
    ("automation.frozen_daily_at", "04:20", "frozen_monthly", "minute", "20"),
    ("automation.clock_sync_at", "05:07", "clock_sync", "hour", "5"),
    ("automation.subsidy_time", "06:15", "subsidy_grant", "minute", "15"),
    ("automation.subsidy_day", "9", "subsidy_grant", "day", "9"),
    ("automation.postpaid_time", "07:40", "postpaid_bill", "hour", "7"),
    ("automation.postpaid_day", "12", "postpaid_bill", "day", "12"),
    ("backup.at", "03:45", "backup", "hour", "3"),
    ("backup.at", "03:45", "backup", "minute", "45"),
])
def test_the_job_table_obeys(db, superadmin, key, value, job, field, expected):
    actor = superadmin
    before = _cron(job_table(db), job)[field]
    assert before != expected                     # the default differs: the test can fail
    settings.put(db, actor, key, value)
    assert _cron(job_table(db), job)[field] == expected


@pytest.mark.parametrize("key, value, job, expect_time", [
    ("automation.frozen_daily_at", "04:20", "frozen_daily", "04:20"),
    ("automation.clock_sync_at", "05:07", "clock_sync", "05:07"),
    ("automation.subsidy_time", "06:15", "subsidy_grant", "06:15"),
    ("automation.postpaid_time", "07:40", "postpaid_bill", "07:40"),
    ("backup.at", "03:45", "backup", "03:45"),
])
def test_catch_up_obeys(db, superadmin, key, value, job, expect_time):
    actor = superadmin
    ctx = jobs.JobContext(db, "T", Clock(NOW))
    assert _local_due(ctx, job)[1] != expect_time
    settings.put(db, actor, key, value)
    assert _local_due(ctx, job)[1] == expect_time


def test_days_of_the_month_obeyed_by_catch_up(db, superadmin):
    actor = superadmin
    ctx = jobs.JobContext(db, "T", Clock(NOW))
    settings.put(db, actor, "automation.subsidy_day", "9")
    settings.put(db, actor, "automation.postpaid_day", "12")
    assert _local_due(ctx, "subsidy_grant")[0].day == 9
    assert _local_due(ctx, "postpaid_bill")[0].day == 12


def test_quiet_hours_obeyed(db, superadmin):
    actor = superadmin
    at_noon = local(2026, 11, 20, 12, 30)        # a Friday, not a holiday
    with db.read() as s:
        assert not quiet_now(s, at_noon)
    settings.put(db, actor, "automation.quiet_hours", "12:00-13:00")
    with db.read() as s:
        assert quiet_now(s, at_noon)


def test_default_read_interval_obeyed(db, superadmin):
    actor = superadmin
    settings.put(db, actor, "automation.default_read_minutes", "7")
    rt = runtime(db)
    try:
        rt._intervals()
        assert rt._default_interval == 420.0
    finally:
        rt.stop()


def test_a_stored_value_that_no_longer_passes_reads_as_the_default(db, superadmin):
    """A value written before settings were checked (or by hand) must not break what reads it."""
    import json

    from models.base import utcnow
    from models.settings_store import SettingRow

    with db.write() as s:
        for key, value in (("money.max_amount", "-1"), ("security.lock_after", "abc")):
            s.add(SettingRow(key=key, value=json.dumps(value), updated_at=utcnow(), updated_by="hand"))
    assert settings.get(db, "money.max_amount") == "100000.00"
    assert settings.get(db, "security.lock_after") == 5
