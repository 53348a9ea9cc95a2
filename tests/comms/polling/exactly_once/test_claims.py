"""Claims carry their holder and a lease (issue 11.8): a second poller never takes or releases a
live claim, a stale claim is released only after its lease (or its dead process), released items
are in doubt and a relay command in doubt is read back before it is sent again."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from comms.polling.command_delivery import execute
from comms.polling.outbox_source import OutboxSource
from comms.polling.poller import Command
from comms.session import LinkSession
from models.base import utcnow
from models.ledger import OutboxItem
from tests.comms.polling.conftest import E1, enqueue, item, meter_id, poll_once


def source(db, station="TEST"):
    return OutboxSource(db, {meter_id(db, n): 1 for n in ("E1", "E2", "E3")}, station=station)


def test_a_second_poller_neither_takes_nor_releases_a_live_claim(station):
    db = station
    trip = enqueue(db, "E1", "meter.trip")
    first = source(db)
    assert first.refresh() == 1
    row = item(db, trip)
    assert row.state == "sending" and row.claim_token == first.token and row.lease_until > utcnow()
    second = source(db)                              # starting does not reset the first one's claim
    assert second.refresh() == 0
    assert item(db, trip).state == "sending" and item(db, trip).claim_token == first.token
    assert second.take(1) is None
    command = first.take(1)
    assert command is not None and command.item_id == trip


def test_a_claim_is_released_after_its_lease_in_doubt(station):
    db = station
    trip = enqueue(db, "E1", "meter.trip")
    first = source(db)
    first.refresh()
    with db.write() as s:                            # the first poller stopped renewing a minute ago
        s.execute(sa.update(OutboxItem).values(lease_until=utcnow() - timedelta(seconds=1)))
    second = source(db)
    row = item(db, trip)
    assert (row.state, row.claim_token, row.in_doubt) == ("pending", None, True)
    assert second.refresh() == 1
    command = second.take(1)
    assert command.payload.get("verify_first") is True
    assert first.take(1) is None                     # the fence: the old holder does not send it
    first.finished(Command(trip, command.meter_id, "control", {"action": "trip"}), {"confirmed": True}, None)
    assert item(db, trip).state == "sending"         # an answer after the claim was lost is not recorded


def test_claims_of_a_dead_process_of_this_host_are_released_at_start(station):
    import socket

    db = station
    trip = enqueue(db, "E1", "meter.trip")
    live = source(db)
    live.refresh()
    with db.write() as s:                            # a claim of a process that no longer exists
        s.execute(sa.update(OutboxItem).values(claim_token=f"TEST|{socket.gethostname()[:40]}|999999999|x"))
    source(db)
    assert (item(db, trip).state, item(db, trip).in_doubt) == ("pending", True)


def test_in_doubt_trip_already_applied_is_not_sent_again(station, sim):
    db = station
    trip = enqueue(db, "E1", "meter.trip", in_doubt=True)
    sim.bus.meter(E1).relay_open = sim.bus.meter(E1).command_open = True   # it did reach the meter
    poll_once(db)
    assert item(db, trip).state == "done" and item(db, trip).in_doubt is False
    assert sim.bus.meter(E1).journal == []           # read back, not re-sent
    close = enqueue(db, "E1", "meter.close", in_doubt=True)
    poll_once(db)                                    # in doubt but not applied: sent once
    assert item(db, close).state == "done" and sim.bus.meter(E1).journal == [("close",)]


def test_verify_first_reads_the_relay(sim):
    from comms.interfaces import MeterConfig

    with LinkSession(sim.url) as link:
        driver = link.driver(MeterConfig("dlt645-2007", E1))
        out = execute(driver, Command(1, 1, "control", {"action": "close", "verify_first": True}))
        assert out.get("read_back") is True and sim.bus.meter(E1).journal == []
        execute(driver, Command(1, 1, "control", {"action": "trip", "verify_first": True}))
        assert sim.bus.meter(E1).journal == [("trip",)]


def test_a_later_relay_command_waits_for_one_in_doubt(station, sim):
    db = station
    trip = enqueue(db, "E1", "meter.trip", in_doubt=True, next_at=utcnow() + timedelta(minutes=5))
    close = enqueue(db, "E1", "meter.close")
    poll_once(db)
    assert item(db, close).state == "pending" and item(db, trip).state == "pending"
    assert sim.bus.meter(E1).journal == []
