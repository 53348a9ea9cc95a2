"""Shared bits of the timed-control tests: a DST-free local zone (Asia/Shanghai) and tagged meters."""
from __future__ import annotations

import os
import time

import pytest
import sqlalchemy as sa

from models.archive import Meter, MeterTag, Tag


@pytest.fixture
def shanghai():
    """The station's computer in China (UTC+8, no DST) for the test."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Shanghai"
    time.tzset()
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        time.tzset()


def tag_meters(db, tag: str, numbers: list[str]) -> None:
    kind, _sep, name = tag.partition(":")
    with db.write() as s:
        tag_id = s.scalar(sa.select(Tag.id).where(Tag.kind == kind, Tag.name == name))
        if tag_id is None:
            t = Tag(kind=kind, name=name)
            s.add(t)
            s.flush()
            tag_id = t.id
        for number in numbers:
            mid = s.scalar(sa.select(Meter.id).where(Meter.number == number))
            s.add(MeterTag(meter_id=mid, tag_id=tag_id))
