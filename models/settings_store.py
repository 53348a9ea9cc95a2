"""Business settings kept in the database (company name, thresholds, receipt layout...).

Each setting is declared once in models/settings_spec.py; changes are audited.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, LongText, Text_, UTCDateTime


class SettingRow(Base):
    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    value: Mapped[str] = mapped_column(LongText)          # JSON
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(Text_(40))
