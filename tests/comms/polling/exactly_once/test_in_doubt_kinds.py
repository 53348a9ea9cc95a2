"""Read-back beyond trip and close (issue 11): a price or settings download in doubt is read back
and only what the meter does not hold is written; what a download that stopped half-way did take
is recorded before its retry; a valve command in doubt reads the valve first; a purchase in doubt
is decided by the meter's purchase count. Real simulated meters over TCP, SQLite and PostgreSQL.
The policy per kind, with its protocol clause, is comms/polling/command_delivery.py IN_DOUBT."""
from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from comms.polling.command_delivery import IN_DOUBT
from models.base import utcnow
from models.commands import KINDS
from models.ledger import OutboxItem
from models.oplog import OpLogEntry
from tests.comms.polling.conftest import E1, enqueue, item, poll_once


def _writes(sim, address=E1):
    return [entry for entry in sim.bus.meter(address).journal if entry[0] == "write"]


def test_every_outbox_kind_has_an_in_doubt_policy():
    subs = {"control" if spec.sub in ("trip", "close", "keep-power", "keep-power-off", "valve-open",
                                      "valve-close") else spec.sub for spec in KINDS.values()}
    assert subs <= set(IN_DOUBT), subs - set(IN_DOUBT)


def test_a_price_download_in_doubt_writes_only_what_the_meter_lacks(station, sim):
    db = station
    meter = sim.bus.meter(E1)
    meter.params["04050101"] = Decimal("0.6000")          # rate 1 reached the meter before the kill
    price = enqueue(db, "E1", "meter.price", {"prices": ["0.6000", "0.8000"]}, in_doubt=True)
    poll_once(db)
    row = item(db, price)
    assert row.state == "done" and row.in_doubt is False
    assert [w[1] for w in _writes(sim)] == ["04050102"]    # rate 1 read back, not written again
    assert meter.params["04050102"] == Decimal("0.8000")
    again = enqueue(db, "E1", "meter.price", {"prices": ["0.6000", "0.8000"]}, in_doubt=True)
    poll_once(db)
    assert item(db, again).state == "done" and [w[1] for w in _writes(sim)] == ["04050102"]   # all there
    plain = enqueue(db, "E1", "meter.price", {"prices": ["0.6000"]})     # not in doubt: written
    poll_once(db)
    assert item(db, plain).state == "done" and [w[1] for w in _writes(sim)] == ["04050102", "04050101"]


def test_settings_in_doubt_already_on_the_meter_are_not_written(station, sim):
    db = station
    sim.bus.meter(E1).params["04001001"] = Decimal("20.00")
    settings = enqueue(db, "E1", "meter.settings", {"alarm1": "20.00"}, in_doubt=True)
    poll_once(db)
    assert item(db, settings).state == "done" and _writes(sim) == []


def test_a_half_done_download_is_recorded_before_its_retry(station, sim):
    db = station
    meter = sim.bus.meter(E1)
    meter.missing.add("04050102")                        # rate 2 refused: the download stops half-way
    price = enqueue(db, "E1", "meter.price", {"prices": ["0.6100", "0.8100"]})
    poll_once(db)
    row = item(db, price)
    assert row.state == "pending" and row.in_doubt is True      # retried, reading back first
    with db.read() as s:
        partial = s.execute(sa.select(OpLogEntry.details).where(OpLogEntry.action == "meter.price.partial")
                            ).scalars().all()
    assert [json.loads(d)["applied"] for d in partial] == [{"1": "0.6100"}]
    meter.missing.discard("04050102")
    with db.write() as s:
        s.execute(sa.update(OutboxItem).where(OutboxItem.id == price).values(next_at=utcnow() - timedelta(seconds=1)))
    poll_once(db)
    assert item(db, price).state == "done"
    assert [w[1] for w in _writes(sim)] == ["04050101", "04050102"]      # rate 1 once, rate 2 once


def test_a_valve_command_in_doubt_reads_the_valve_first(station, sim):
    db = station
    water = next(m for m in sim.bus.meters if m.protocol == "cjt188")    # bus.meter(W1) would match E1 too
    water.valve_open = False                             # the close did reach the meter
    close = enqueue(db, "W1", "meter.valve-close", in_doubt=True)
    poll_once(db, quantities=("volume",))
    assert item(db, close).state == "done" and water.journal == []
    opening = enqueue(db, "W1", "meter.valve-open", in_doubt=True)     # did not reach it: sent once
    poll_once(db, quantities=("volume",))
    assert item(db, opening).state == "done" and water.journal == [("valve-open",)]
