"""The demo station: what create_demo_station promises (counts, every mode and state, three
months of readings and sales, the ledger invariant), simulators that answer on every link at
the stored readings - from a child process by default, not from threads of the station's
process - and a clean stop (no process left; the suite's leak check fails on a stray thread).
A runtime's cycle over the demo's meters ends the same with the simulators in the child as with
them in threads (simulate="thread", kept for tests that reach into a meter)."""
from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from billing.alarms import level
from comms.polling.archive_plans import meter_config
from comms.session import LinkSession
from models import oplog
from models.accounts import Account
from models.archive import Customer, Link, Meter, Reading
from models.db import Database
from models.ledger import LedgerEntry, Receipt
from station.runtime import StationRuntime
from ui.demo import DEMO_OPERATOR, DEMO_PASSWORD, create_demo_station


def _check_contents(db: Database) -> None:
    now = datetime.now(UTC)
    with db.read() as s:
        meters = s.execute(sa.select(Meter)).scalars().all()
        assert len(meters) == 144
        assert Counter(m.protocol for m in meters) == {"dlt645-2007": 96, "modbus": 24, "cjt188": 24}
        assert s.scalar(sa.select(sa.func.count()).select_from(Link)) == 4
        accounts = s.execute(sa.select(Account)).scalars().all()
        assert {a.mode for a in accounts} == {"station-prepaid", "meter-prepaid", "postpaid"}
        open_levels = Counter(level(a) for a in accounts if a.state == "open")
        assert {"normal", "alarm1", "alarm2", "arrears"} <= set(open_levels)
        assert any(a.state == "closed" for a in accounts)
        assert any(m.keep_power for m in meters) and any(m.relay_state == "open" for m in meters)
        assert any(m.comm_state == "lost" for m in meters)
        bound = {a.room_id for a in accounts}
        assert bound and s.scalar(sa.select(sa.func.count()).select_from(Customer).where(Customer.phone != "")) > 100
        # the ledger invariant: every cached balance is the sum of the account's entries
        sums = dict(s.execute(sa.select(LedgerEntry.account_id, sa.func.sum(LedgerEntry.amount_fen))
                              .group_by(LedgerEntry.account_id)).all())
        assert all(a.balance_fen == int(sums.get(a.id, 0)) for a in accounts)
        # three months of readings (every day, every meter) and of sales with receipts
        first, count = s.execute(sa.select(sa.func.min(Reading.at), sa.func.count()).select_from(Reading)).one()
        assert first <= now - timedelta(days=89) and count >= 144 * 88
        per_meter = Counter(s.execute(sa.select(Reading.meter_id).where(Reading.source == "poll")).scalars())
        assert min(per_meter.values()) >= 85
        sales = s.execute(sa.select(LedgerEntry.at).where(LedgerEntry.kind.in_(("purchase", "bill_payment")))
                          ).scalars().all()
        assert len(sales) > 200 and min(sales) <= now - timedelta(days=75)
        assert s.scalar(sa.select(sa.func.count()).select_from(Receipt).where(Receipt.kind == "sale")) == len(sales)
        assert s.scalar(sa.select(sa.func.count()).select_from(Reading).where(Reading.flag != "")) == 0
        assert oplog.verify(s).ok


def _check_simulators(db: Database) -> None:
    """One meter per link answers, at (or just above) its last stored reading."""
    with db.read() as s:
        links = s.execute(sa.select(Link).order_by(Link.id)).scalars().all()
        picks = []
        for link in links:
            assert link.url.startswith("tcp://127.0.0.1:")
            meter = s.execute(sa.select(Meter).where(Meter.link_id == link.id, Meter.comm_state == "online")
                              .order_by(Meter.id).limit(1)).scalar_one()
            last = s.execute(sa.select(Reading.energy_milli).where(Reading.meter_id == meter.id)
                             .order_by(Reading.at.desc()).limit(1)).scalar_one()
            picks.append((link.url, meter, last))
    for url, meter, last in picks:
        quantity = "volume" if meter.kind == "water" else "energy"
        with LinkSession(url) as session:
            value = session.driver(meter_config(meter)).read((quantity,))[quantity].value
        assert Decimal(last) / 1000 <= value < Decimal(last) / 1000 + 1, (meter.number, value, last)


def test_demo_station_is_full_and_stops_cleanly(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    demo = create_demo_station("TEST", str(tmp_path / "demo"))
    # the build and the simulators' setup write to the demo database with its zone known (a
    # build that let go of the database once printed "no station database is open yet")
    assert not [r.getMessage() for r in caplog.records if "station time zone" in r.getMessage()]
    try:
        print(f"\ndemo creation: {demo.seconds:.1f} s, {demo.counts}")
        assert (demo.operator, demo.password) == (DEMO_OPERATOR, DEMO_PASSWORD)
        assert demo.process is not None and demo.process.alive() and len(demo.process.urls) == 4
        assert demo.simulators == []
        assert not [t for t in threading.enumerate() if t.name.startswith("sim-")]    # in the child
        db = Database.open(demo.url)
        try:
            _check_contents(db)
            _check_simulators(db)
        finally:
            db.dispose()
    finally:
        child = demo.process
        demo.stop()
    assert demo.process is None and child is not None and child.proc.returncode == 0   # ended, reaped
    assert not [t for t in threading.enumerate() if t.name.startswith("sim-")]


def _cycle(demo) -> tuple[tuple[int, int, int], dict[str, tuple]]:
    """One runtime cycle over the demo's meters (reads, settlement, the commands it queues);
    per meter afterwards: its link and relay state, whether it was read and whether the reading
    is at (or just above) the last one stored before."""
    db = Database.open(demo.url)
    try:
        with db.read() as s:
            before = dict(s.execute(sa.select(Reading.meter_id, sa.func.max(Reading.energy_milli))
                                    .group_by(Reading.meter_id)).all())
            start = s.scalar(sa.select(sa.func.max(Reading.id)))
        runtime = StationRuntime(db, station="TEST", run_jobs=False)
        try:
            summary = runtime.run_once()
        finally:
            runtime.stop()
        with db.read() as s:
            read = dict(s.execute(sa.select(Reading.meter_id, sa.func.max(Reading.energy_milli))
                                  .where(Reading.id > start).group_by(Reading.meter_id)).all())
            out = {}
            for m in s.execute(sa.select(Meter)).scalars():
                new = read.get(m.id)
                near = new is not None and before[m.id] <= new < before[m.id] + 1000
                out[m.number] = (m.comm_state, m.relay_state, m.keep_power, new is not None, near)
    finally:
        db.dispose()
    return (summary.meters, summary.ok, summary.failed), out


def test_runtime_reads_the_child_as_the_threads(tmp_path):
    seen = {}
    for how in ("process", "thread"):
        demo = create_demo_station("TEST", str(tmp_path / how), simulate=how)
        try:
            assert (demo.process is None) == (how == "thread")
            assert len(demo.simulators) == (4 if how == "thread" else 0)
            seen[how] = _cycle(demo)
        finally:
            demo.stop()
    (meters, ok, failed), states = seen["process"]
    assert (meters, ok, failed) == seen["thread"][0]
    assert {n: (st, seen["thread"][1].get(n)) for n, st in states.items() if st != seen["thread"][1].get(n)} == {}
    assert (meters, ok, failed) == (144, 143, 1)
    lost = [n for n, st in states.items() if not st[3]]
    assert len(lost) == 1 and states[lost[0]][0] != "online"            # the silent meter is still silent
    assert all(st[4] for n, st in states.items() if n not in lost)      # every other one at its stored reading
    assert any(st[1] == "open" for st in states.values()) and any(st[2] for st in states.values())

