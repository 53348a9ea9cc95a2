"""The archive (档案): floors, rooms/shops, tags, links, meters and customers.

Sites and buildings are in models/areas.py (operators' area rights hang on buildings).
Readings and areas are integers in fixed units so that no backend rounds them: energy and
volumes in thousandths (milli-kWh, litres), floor areas in hundredths of m².
"""
from __future__ import annotations

import json
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, LongText, Text_, UTCDateTime, utcnow

# the protocols a meter may speak (Meter.protocol); comms/drivers/ has a driver for each
PROTOCOLS = ("dlt645-2007", "dlt645-1997", "cjt188", "modbus")

METER_KINDS = ("electricity", "water", "gas", "heat")
METER_STATES = ("stock", "installed", "removed")
TAG_KINDS = ("line", "department", "area", "other")
CUSTOMER_TYPES = ("resident", "merchant", "office", "school", "other")


class Floor(Base):
    __tablename__ = "floors"
    __table_args__ = (sa.UniqueConstraint("building_id", "name", name="uq_floors_building_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(sa.ForeignKey("buildings.id"), index=True)
    name: Mapped[str] = mapped_column(Text_(40))
    level: Mapped[int] = mapped_column(default=0)


class Room(Base):
    """A room, shop or flat (房间/商铺)."""
    __tablename__ = "rooms"
    __table_args__ = (sa.UniqueConstraint("floor_id", "number", name="uq_rooms_floor_number"),
                      sa.CheckConstraint("area_centi_m2 >= 0", name="area_nonneg"),
                      sa.CheckConstraint("people >= 0", name="people_nonneg"))
    id: Mapped[int] = mapped_column(primary_key=True)
    floor_id: Mapped[int] = mapped_column(sa.ForeignKey("floors.id"), index=True)
    number: Mapped[str] = mapped_column(Text_(40))
    name: Mapped[str] = mapped_column(Text_(100), default="")
    area_centi_m2: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    people: Mapped[int] = mapped_column(default=0)


class Tag(Base):
    __tablename__ = "tags"
    __table_args__ = (sa.UniqueConstraint("kind", "name", name="uq_tags_kind_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(Text_(60))


class Link(Base):
    """A bus: a serial port or a TCP converter (see models/link_urls.py for the URL forms)."""
    __tablename__ = "links"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text_(60), unique=True)
    url: Mapped[str] = mapped_column(Text_(200))
    protocol: Mapped[str] = mapped_column(sa.String(20), default="dlt645-2007")   # default for its meters
    enabled: Mapped[bool] = mapped_column(default=True)
    state: Mapped[str] = mapped_column(sa.String(10), default="unknown")        # online | lost | unknown
    last_ok_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Meter(Base):
    __tablename__ = "meters"
    __table_args__ = (sa.CheckConstraint("ct_ratio >= 1", name="ct_positive"),
                      sa.CheckConstraint("initial_milli >= 0", name="initial_nonneg"))
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(Text_(40), unique=True)          # 表号 as printed
    kind: Mapped[str] = mapped_column(sa.String(12), default="electricity")
    protocol: Mapped[str] = mapped_column(sa.String(20))
    address: Mapped[str] = mapped_column(sa.String(20))                  # nameplate address / unit id
    link_id: Mapped[int | None] = mapped_column(sa.ForeignKey("links.id"), nullable=True, index=True)
    profile: Mapped[str] = mapped_column(sa.String(60), default="")
    options: Mapped[str] = mapped_column(LongText, default="{}")         # JSON: passwords, di_order...
    ct_ratio: Mapped[int] = mapped_column(default=1)
    initial_milli: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # initial reading ×1000
    install_date: Mapped[date | None] = mapped_column(sa.Date, nullable=True)
    state: Mapped[str] = mapped_column(sa.String(12), default="installed")
    room_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rooms.id"), nullable=True, index=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meters.id"), nullable=True)  # 总表 of a 分表
    is_common: Mapped[bool] = mapped_column(default=False)               # 公摊表
    # online | lost | unreachable (its link is lost) | unknown (not read yet)
    comm_state: Mapped[str] = mapped_column(sa.String(12), default="unknown")
    lost_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)  # set when it went lost
    fail_streak: Mapped[int] = mapped_column(default=0)
    relay_state: Mapped[str] = mapped_column(sa.String(8), default="unknown")   # closed | open | unknown
    keep_power: Mapped[bool] = mapped_column(default=False)                # 保电: never tripped for arrears
    last_values: Mapped[str] = mapped_column(LongText, default="{}")     # live values of the last read (JSON)
    last_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MeterReadDay(Base):
    """Read attempts and successes of one meter on one local day (the read-success report):
    every routine or on-demand read the poller makes counts one attempt; a stored read one
    success. The link is the meter's link now (the report groups by it)."""
    __tablename__ = "meter_read_days"
    meter_id: Mapped[int] = mapped_column(sa.ForeignKey("meters.id"), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    attempts: Mapped[int] = mapped_column(default=0)
    successes: Mapped[int] = mapped_column(default=0)


class MeterTag(Base):
    __tablename__ = "meter_tags"
    meter_id: Mapped[int] = mapped_column(sa.ForeignKey("meters.id"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(sa.ForeignKey("tags.id"), primary_key=True)


class Customer(Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text_(100), index=True)
    phone: Mapped[str] = mapped_column(sa.String(30), default="", index=True)
    id_number: Mapped[str] = mapped_column(sa.String(30), default="")
    type: Mapped[str] = mapped_column(sa.String(12), default="resident")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Reading(Base):
    """One reading of a meter (by the poller, by hand, at open/close/replacement).

    Values are thousandths (energy_milli = kWh × 1000; volume in litres). `flag` marks a
    reading that went backwards or jumped absurdly: it is kept but never billed.
    """
    __tablename__ = "readings"
    __table_args__ = (sa.Index("ix_readings_meter_at", "meter_id", "at"),)
    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    meter_id: Mapped[int] = mapped_column(sa.ForeignKey("meters.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(sa.String(10), default="poll")  # poll | manual | open | close | replace
    energy_milli: Mapped[int] = mapped_column(sa.BigInteger)
    t1_milli: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    t2_milli: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    t3_milli: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    t4_milli: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    meter_balance_fen: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    flag: Mapped[str] = mapped_column(sa.String(12), default="")        # "" | backwards | jump


# Meter.last_values: {quantity: decimal text, ..., "units": {quantity: unit}} (written by comms/polling/store.py)
def live_values(text: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """(values, units) of a Meter.last_values column; empty for bad or missing JSON."""
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return {}, {}
    if not isinstance(data, dict):
        return {}, {}
    units = data.pop("units", {})
    return {str(k): str(v) for k, v in data.items()}, (units if isinstance(units, dict) else {})
