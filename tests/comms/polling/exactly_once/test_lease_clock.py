"""Leases by the database's clock (issue 11, lease clock): two stations whose PC clocks disagree
by minutes cannot take each other's live claim, on SQLite and PostgreSQL. The station's own
clock is faked (comms.polling.outbox_source.utcnow, what leases used to be written and judged by)."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from comms.polling import outbox_source
from comms.polling.outbox_source import OutboxSource
from models.base import utcnow
from models.db_clock import db_now
from models.ledger import OutboxItem
from tests.comms.polling.conftest import enqueue, item, meter_id

SKEW = timedelta(minutes=10)


def source(db, station):
    return OutboxSource(db, {meter_id(db, n): 1 for n in ("E1", "E2", "E3")}, station=station)


@pytest.fixture
def pc_clock(monkeypatch):
    """pc_clock(offset): this station's PC clock runs `offset` off from here on."""
    def skew(offset: timedelta) -> None:
        monkeypatch.setattr(outbox_source, "utcnow", lambda: utcnow() + offset)
    return skew


def test_a_station_whose_clock_runs_ahead_does_not_take_a_live_claim(station, pc_clock):
    db = station
    trip = enqueue(db, "E1", "meter.trip")
    first = source(db, "A")
    assert first.refresh() == 1
    pc_clock(SKEW)                                   # station B's PC is ten minutes ahead
    second = source(db, "B")
    assert second.refresh() == 0
    row = item(db, trip)
    assert (row.state, row.claim_token, row.in_doubt) == ("sending", first.token, False)
    assert second.take(1) is None
    pc_clock(timedelta(0))
    command = first.take(1)
    assert command is not None and command.item_id == trip


def test_a_station_whose_clock_runs_behind_writes_a_lease_that_holds(station, pc_clock):
    db = station
    trip = enqueue(db, "E1", "meter.trip")
    pc_clock(-SKEW)                                  # station A's PC is ten minutes behind
    first = source(db, "A")
    assert first.refresh() == 1
    with db.read() as s:
        lease = item(db, trip).lease_until - db_now(s)
    assert timedelta(seconds=50) < lease <= outbox_source.LEASE     # a whole lease in the database's time
    pc_clock(timedelta(0))
    second = source(db, "B")
    assert second.refresh() == 0 and item(db, trip).claim_token == first.token


def test_a_lease_over_by_the_database_clock_is_released_whatever_the_pc_says(station, pc_clock):
    db = station
    trip = enqueue(db, "E1", "meter.trip")
    first = source(db, "A")
    first.refresh()
    with db.write() as s:                            # A stopped renewing: over by the database's clock
        s.execute(sa.update(OutboxItem).values(lease_until=db_now(s) - timedelta(seconds=1)))
    pc_clock(-SKEW)                                  # B's PC thinks it is ten minutes earlier
    second = source(db, "B")
    row = item(db, trip)
    assert (row.state, row.claim_token, row.in_doubt) == ("pending", None, True)
    assert second.refresh() == 1
