"""Sites and buildings: the areas that operators' rights are granted on.

Floors, rooms and shops hang below buildings (models/archive.py); an operator limited to some
buildings sees and acts only on what lies in them.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Text_


class Site(Base):
    __tablename__ = "sites"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text_(100), unique=True)


class Building(Base):
    __tablename__ = "buildings"
    __table_args__ = (sa.UniqueConstraint("site_id", "name", name="uq_buildings_site_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("sites.id"))
    name: Mapped[str] = mapped_column(Text_(100))
