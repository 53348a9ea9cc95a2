"""Operators, roles and the buildings an operator may act on (tables only; rules live in
models/rights.py, access/login.py and access/operators.py)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Text_, UTCDateTime, utcnow


class Role(Base):
    __tablename__ = "roles"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(40), unique=True)      # super-admin, cashier, ...
    label: Mapped[str] = mapped_column(Text_(80), default="")
    builtin: Mapped[bool] = mapped_column(default=False)
    rights: Mapped[str] = mapped_column(sa.String(1000), default="")   # space-separated codes

    def right_set(self) -> frozenset[str]:
        return frozenset(self.rights.split())


class Operator(Base):
    __tablename__ = "operators"
    __table_args__ = (sa.CheckConstraint("failed_logins >= 0", name="failed_nonneg"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text_(40), unique=True)
    display_name: Mapped[str] = mapped_column(Text_(80), default="")
    role_id: Mapped[int] = mapped_column(sa.ForeignKey("roles.id"))
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(default=True)
    all_areas: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    role: Mapped[Role] = relationship(lazy="joined")


class OperatorArea(Base):
    """A building an operator without all_areas may see and act on."""
    __tablename__ = "operator_areas"
    operator_id: Mapped[int] = mapped_column(sa.ForeignKey("operators.id"), primary_key=True)
    building_id: Mapped[int] = mapped_column(sa.ForeignKey("buildings.id"), primary_key=True)
