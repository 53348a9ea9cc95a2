"""Tables of timed remote control (定时通断电): schedules that trip and close the relays of a
group of meters (a tag) at set local times, and the station's make-up working days (调休).

- TimedSchedule: a tag's meters go off at `off_at` and on again at `on_at` (either may be
  empty) on the days of `days` (every | weekdays | school | dates), except the `skip` dates.
  An "on" earlier than its "off" (23:00 -> 06:00) belongs to the night after the off's day.
- Workday: a weekend day that is worked (调休). A school day is Monday..Friday or such a
  workday, and not a holiday (models.automation.Holiday).

Each occurrence is run once: its JobRun ("timed:<id>", "<local day>T<HH:MM> off|on") is written
in the same transaction as the outbox items it queues (billing/timed/run.py).
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, LongText, Text_, UTCDateTime, utcnow

DAY_RULES = ("every", "weekdays", "school", "dates")


class TimedSchedule(Base):
    __tablename__ = "timed_schedules"
    __table_args__ = (sa.CheckConstraint("days IN ('every', 'weekdays', 'school', 'dates')", name="days_known"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text_(60), unique=True)
    tag_id: Mapped[int] = mapped_column(sa.ForeignKey("tags.id"))
    off_at: Mapped[str] = mapped_column(sa.String(5), default="")      # HH:MM local, "" = no off
    on_at: Mapped[str] = mapped_column(sa.String(5), default="")       # HH:MM local, "" = no on
    days: Mapped[str] = mapped_column(sa.String(10), default="every")
    dates: Mapped[str] = mapped_column(LongText, default="[]")         # ISO days, rule "dates"
    skip: Mapped[str] = mapped_column(LongText, default="[]")          # ISO days never run
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Workday(Base):
    __tablename__ = "workdays"
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    name: Mapped[str] = mapped_column(Text_(60), default="")
