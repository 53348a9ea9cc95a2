"""Power-quality thresholds (电能质量告警限值) of a meter group, or of one meter.

One row per scope: every meter ("all"), a tag ("tag:<id>", the same meter groups reading
schedules and timed control use) or one meter ("meter:<id>", an override). Limits are integer
thousandths (mV, mA, W) so no backend rounds them; NULL = no limit of that kind in this scope.
How the scopes combine is billing/quality_thresholds.py (merge). No row = no alarm.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Text_, UTCDateTime, utcnow

LIMIT_COLUMNS = ("over_voltage_milli", "under_voltage_milli", "over_current_milli", "overload_milli")


class QualityThreshold(Base):
    __tablename__ = "quality_thresholds"
    __table_args__ = tuple(sa.CheckConstraint(f"{c} IS NULL OR {c} > 0", name=f"{c}_positive")
                           for c in LIMIT_COLUMNS)
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(30), unique=True)        # all | tag:<id> | meter:<id>
    tag_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tags.id"), nullable=True, index=True)
    meter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meters.id"), nullable=True, index=True)
    over_voltage_milli: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)    # mV
    under_voltage_milli: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)   # mV
    over_current_milli: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)    # mA
    overload_milli: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)        # W
    updated_by: Mapped[str] = mapped_column(Text_(40), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
