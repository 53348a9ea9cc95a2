"""Tables of the station's unattended work: alarms, job runs (exactly-once catch-up), reading
schedules per meter group, holidays, frozen data, and APScheduler's own job store.

- Alarm: one row per raised alarm (low balance, arrears, tripped, lost meter or link, flagged
  reading...). An alarm is open until cleared; acknowledging records who saw it. At most one
  open alarm per (kind, account, meter, link) is kept by the service (billing/alarm_log.py).
- JobRun: a unique (job, period) row written in the same transaction as the job's effect, so a
  job that catches up after the station was off can never run a period twice.
- ReadSchedule: how often a group of meters (a tag, or all meters when tag_id is NULL) is read.
- Holiday: dates on which arrears trips wait (if the account respects quiet hours).
- FrozenReading: daily and monthly frozen data read from the meters (冻结数据).
- apscheduler_jobs: APScheduler 3's SQLAlchemyJobStore table, declared here so that migrations
  create it and the schema test sees it (APScheduler itself only checks it exists).
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, LongText, Text_, UTCDateTime, rowcount, utcnow

ALARM_KINDS = ("alarm1", "alarm2", "arrears", "tripped", "meter_lost", "link_lost", "reading_flag",
               "command_failed",
               # power quality (billing/power_quality.py) and abnormal use (billing/abnormal_use.py)
               "over_voltage", "under_voltage", "over_current", "overload",
               "vacant_use", "idle_use", "use_spike")
ALARM_STATES = ("open", "acknowledged", "cleared")
SCHEDULE_KINDS = ("interval", "hourly", "daily", "weekly", "monthly")


class Alarm(Base):
    __tablename__ = "alarms"
    __table_args__ = (sa.Index("ix_alarms_state_raised", "state", "raised_at"),
                      sa.CheckConstraint("state IN ('open', 'acknowledged', 'cleared')", name="state_known"))
    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    state: Mapped[str] = mapped_column(sa.String(12), default="open")
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"), nullable=True, index=True)
    meter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meters.id"), nullable=True, index=True)
    link_id: Mapped[int | None] = mapped_column(sa.ForeignKey("links.id"), nullable=True)
    building_id: Mapped[int | None] = mapped_column(sa.ForeignKey("buildings.id"), nullable=True)
    message: Mapped[str] = mapped_column(Text_(300), default="")
    details: Mapped[str] = mapped_column(LongText, default="{}")
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    acked_by: Mapped[str] = mapped_column(Text_(40), default="")
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


def clear_meter_alarms(session: Session, meter_id: int, kinds: tuple[str, ...], at: datetime) -> int:
    """Clear the raised alarms of these kinds on one meter (their condition ended at `at`:
    models.commands.CONTROL_CLEARS); returns how many. billing/alarm_log.py raises and clears the
    rest; this is the one clearing that comms (a confirmed command) does, so it lives here."""
    if not kinds:
        return 0
    return rowcount(session.execute(
        sa.update(Alarm).where(Alarm.meter_id == meter_id, Alarm.kind.in_(kinds), Alarm.state != "cleared")
        .values(state="cleared", cleared_at=at).execution_options(synchronize_session=False)))


class JobRun(Base):
    __tablename__ = "job_runs"
    __table_args__ = (sa.UniqueConstraint("job", "period", name="uq_job_runs_job_period"),)
    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    job: Mapped[str] = mapped_column(sa.String(40))
    period: Mapped[str] = mapped_column(sa.String(40))          # e.g. "2026-11", "2026-11-21", "2026-11-21T08:30"
    station: Mapped[str] = mapped_column(Text_(60), default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    details: Mapped[str] = mapped_column(LongText, default="{}")


class ReadSchedule(Base):
    __tablename__ = "read_schedules"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text_(60), unique=True)
    tag_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tags.id"), nullable=True)   # NULL: every meter
    kind: Mapped[str] = mapped_column(sa.String(10), default="interval")
    every_minutes: Mapped[int] = mapped_column(default=30)
    at_time: Mapped[str] = mapped_column(sa.String(5), default="00:00")   # HH:MM for daily/weekly/monthly
    weekday: Mapped[int] = mapped_column(default=0)                       # 0 = Monday
    day: Mapped[int] = mapped_column(default=1)                           # day of month
    enabled: Mapped[bool] = mapped_column(default=True)


class Holiday(Base):
    __tablename__ = "holidays"
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    name: Mapped[str] = mapped_column(Text_(60), default="")


class FrozenReading(Base):
    __tablename__ = "frozen_readings"
    __table_args__ = (sa.UniqueConstraint("meter_id", "kind", "period", name="uq_frozen_meter_kind_period"),)
    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    meter_id: Mapped[int] = mapped_column(sa.ForeignKey("meters.id"))
    kind: Mapped[str] = mapped_column(sa.String(8))                       # daily | monthly
    period: Mapped[date] = mapped_column(sa.Date)                         # the day / first day of month
    energy_milli: Mapped[int] = mapped_column(sa.BigInteger)
    t1_milli: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    t2_milli: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    t3_milli: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    t4_milli: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


apscheduler_jobs = sa.Table(
    "apscheduler_jobs", Base.metadata,
    sa.Column("id", sa.Unicode(191), primary_key=True),
    sa.Column("next_run_time", sa.Float(25), index=True),
    sa.Column("job_state", sa.LargeBinary, nullable=False),
)
