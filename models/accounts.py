"""Accounts (户) binding a customer to one or more meters (一户多表), and tariff plans.

The cached balance on an account always equals the sum of its ledger entries (billing/
services keep it so in the same transaction; tests prove it). subsidy_fen is the part of the
balance that is subsidy money (spent first, never refunded).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, LongText, Text_, UTCDateTime, utcnow

MODES = ("meter-prepaid", "station-prepaid", "postpaid")
ARREARS = ("trip-now", "never", "trip-at")
ACCOUNT_STATES = ("open", "closed")


class TariffPlan(Base):
    __tablename__ = "tariff_plans"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text_(60), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TariffVersion(Base):
    """A version of a plan in force from effective_from on; never edited once in force."""
    __tablename__ = "tariff_versions"
    __table_args__ = (sa.UniqueConstraint("plan_id", "effective_from", name="uq_tariff_versions_plan_from"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("tariff_plans.id"), index=True)
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime())
    body: Mapped[str] = mapped_column(LongText)                 # JSON (billing/tariffs/schema.py)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(Text_(40), default="")


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        sa.CheckConstraint("subsidy_fen >= 0", name="subsidy_nonneg"),
        sa.CheckConstraint("mode IN ('meter-prepaid', 'station-prepaid', 'postpaid')", name="mode_known"),
        sa.CheckConstraint("state IN ('open', 'closed')", name="state_known"),
        sa.CheckConstraint("arrears_policy IN ('trip-now', 'never', 'trip-at')", name="arrears_known"),
        sa.CheckConstraint("alarm1_fen >= alarm2_fen AND alarm2_fen >= 0", name="alarm_order"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)      # shown and typed at the counter
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customers.id"), index=True)
    room_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rooms.id"), nullable=True, index=True)
    mode: Mapped[str] = mapped_column(sa.String(16), default="station-prepaid")
    tariff_plan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tariff_plans.id"), nullable=True)
    arrears_policy: Mapped[str] = mapped_column(sa.String(10), default="trip-now")
    arrears_time: Mapped[str] = mapped_column(sa.String(5), default="")   # HH:MM for trip-at
    respect_quiet: Mapped[bool] = mapped_column(default=True)            # no trips in quiet hours/holidays
    account_type: Mapped[str] = mapped_column(sa.String(12), default="resident")
    state: Mapped[str] = mapped_column(sa.String(8), default="open")
    balance_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    subsidy_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    alarm1_fen: Mapped[int] = mapped_column(sa.BigInteger, default=2000)
    alarm2_fen: Mapped[int] = mapped_column(sa.BigInteger, default=500)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class AccountMeter(Base):
    """A meter bound to an account for a span of time, with its opening and closing readings.

    Consumption before opening_milli is never charged to the account; last_settled_milli is how
    far station-side settlement has charged. A meter has at most one open binding (closed_at
    NULL), enforced by a partial unique index.
    """
    __tablename__ = "account_meters"
    __table_args__ = (
        sa.Index("uq_account_meters_active", "meter_id", unique=True,
                 sqlite_where=sa.text("closed_at IS NULL"), postgresql_where=sa.text("closed_at IS NULL"),
                 mssql_where=sa.text("closed_at IS NULL")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    meter_id: Mapped[int] = mapped_column(sa.ForeignKey("meters.id"))
    opening_milli: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)  # None: first poll's reading
    opening_source: Mapped[str] = mapped_column(sa.String(10), default="given")     # given | read | first-poll
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_settled_milli: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    last_settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closing_milli: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
