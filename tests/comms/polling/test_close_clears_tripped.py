"""A close the meter accepted but whose relay state could not be read back (done, unconfirmed,
a read-back queued: issue 15) does not end the meter's "tripped for arrears" alarm; the
read-back that finds the relay closed does, in the transaction that records it (cleared_at =
its done_at). Real socket, simulator, real outbox and store; both backends."""
from __future__ import annotations

import sqlalchemy as sa

from models.automation import Alarm
from models.ledger import OutboxItem
from tests.comms.polling.conftest import E1, enqueue, item, meter_id, poll_once


def _tripped(db) -> list[tuple[str, object]]:
    with db.read() as s:
        return [tuple(r) for r in s.execute(sa.select(Alarm.state, Alarm.cleared_at).where(Alarm.kind == "tripped"))]


def test_an_unconfirmed_close_clears_the_tripped_alarm_only_when_read_back_closed(station, sim):
    db = station
    m1 = sim.bus.meter(E1)
    m1.relay_open = m1.command_open = True       # tripped for arrears
    with db.write() as s:
        s.add(Alarm(kind="tripped", meter_id=meter_id(db, "E1"), message="tripped for arrears"))
    m1.missing = {"04000503"}                    # it closes, but its status word 3 cannot be read
    close = enqueue(db, "E1", "meter.close")
    poll_once(db)
    assert not m1.relay_open and item(db, close).state == "done" and "not confirmed" in item(db, close).last_error
    assert _tripped(db) == [("open", None)]      # accepted is not confirmed: the power may be off
    m1.missing = set()                           # the read-back can tell now
    poll_once(db)
    with db.read() as s:
        read = s.execute(sa.select(OutboxItem).where(OutboxItem.kind == "meter.read")).scalar_one()
        assert read.state == "done"
        assert _tripped(db) == [("cleared", read.done_at)]
