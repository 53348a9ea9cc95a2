"""One dating convention for frozen data (issue 15 item 12): a value is dated by the period it
closes, the same way the frozen-data job labels its occurrence."""
from __future__ import annotations

from datetime import date

from comms.polling.command_delivery import frozen_period


def test_daily_freeze_at_midnight_belongs_to_the_day_before():
    assert frozen_period("daily", 1, "2026-11-20 00:00", date(2026, 11, 25)) == date(2026, 11, 19)
    assert frozen_period("daily", 1, "2026-11-19 23:59", date(2026, 11, 25)) == date(2026, 11, 19)
    assert frozen_period("daily", 3, None, date(2026, 11, 20)) == date(2026, 11, 17)


def test_monthly_settlement_belongs_to_the_month_before():
    assert frozen_period("monthly", 1, None, date(2026, 1, 5)) == date(2025, 12, 1)
    assert frozen_period("monthly", 12, None, date(2026, 11, 30)) == date(2025, 11, 1)


def test_the_job_and_the_reading_agree():
    """billing/automation: the daily job for period P runs on day D and asks for n = D - P; the
    reading it gets back must be stored under P."""
    today = date(2026, 3, 1)
    for period in (date(2026, 2, 28), date(2026, 2, 20)):
        n = (today - period).days
        assert frozen_period("daily", n, None, today) == period
    assert frozen_period("monthly", 1, None, today) == date(2026, 2, 1)      # job period "2026-02"
