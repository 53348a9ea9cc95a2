"""Issue 15: an outbox control the meter accepted but whose state could not be read back is
done (unconfirmed) with a read-back queued - never re-sent blindly. Real socket, simulator."""
from __future__ import annotations

import sqlalchemy as sa

from models.ledger import OutboxItem
from tests.comms.polling.conftest import E1, enqueue, item, meter, meter_id, poll_once


def test_accepted_unconfirmed_trip_is_done_and_read_back_not_re_sent(station, sim):
    db = station
    m1 = sim.bus.meter(E1)
    m1.missing = {"04000503"}                    # it trips, but its status word 3 cannot be read
    trip = enqueue(db, "E1", "meter.trip")
    poll_once(db, quantities=("energy",))
    row = item(db, trip)
    assert m1.relay_open and m1.commands_seen == 1
    assert row.state == "done" and "not confirmed" in row.last_error
    with db.read() as s:
        reads = s.execute(sa.select(OutboxItem).where(OutboxItem.kind == "meter.read",
                                                      OutboxItem.meter_id == meter_id(db, "E1"))).scalars().all()
        assert [(r.payload, r.state) for r in reads] in ([('{"quantities": ["relay"]}', "pending")],
                                                        [('{"quantities": ["relay"]}', "done")])
    m1.missing = set()                           # the state is readable again: the read-back tells it
    poll_once(db, quantities=("energy",))
    assert item(db, reads[0].id).state == "done"
    assert meter(db, "E1").relay_state == "open"
    assert m1.commands_seen == 1                 # the trip was never sent again
