"""Issue 15.4: a crashed link is a failure, never a silent success. A pty link (parity E) opens
every time; a dead converter or an exception in a link's worker makes `poll --once` exit 1 with
the link named and its meters counted; an outbox command in flight is finished with the error."""
from __future__ import annotations

import json
import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa

from comms.interfaces import MeterConfig
from comms.polling.poller import Command, LinkWorker, Poller
from comms.polling.read_schedule import LinkPlan, MeterPlan
from comms.session import LinkSession
from comms.simulator import start_simulator
from models.archive import Meter
from models.db import Database

E1, E2 = "000000000001", "000000000002"


@pytest.fixture
def pty_sim():
    server = start_simulator(f"dlt645-2007:{E1}-{E2}/energy=12.5", pty=True, baud=9600, latency=0.005)
    yield server
    server.stop()


def test_a_pty_link_with_parity_opens_again_and_again(pty_sim):
    assert "parity=E" in pty_sim.url
    for _ in range(3):                      # the 2nd open used to raise termios.error
        with LinkSession(pty_sim.url) as link:
            values = link.driver(MeterConfig("dlt645-2007", E1, options={"timeout": "1"})).read(["energy"])
        assert values["energy"].value == Decimal("12.50")


# cli: the shared in-process CLI fixture (tests/conftest.py)


def test_read_twice_through_a_simulated_pty(cli, pty_sim):
    for _ in range(2):
        code, out, err = cli("read", "--url", pty_sim.url, "--protocol", "dlt645-2007", "--address", E1,
                             "--option", "timeout=1", "--json")
        assert (code, err) == (0, "")
        values = json.loads(out)        # an electricity meter's read: energy and its live V/A/kW
        assert values["energy"] == "12.50" and {"voltage", "current", "power"} <= set(values)


def test_poll_once_on_a_pty_link(cli, pty_sim, as_service):
    assert cli("link", "add", "pty1", pty_sim.url)[0] == 0
    for number, address in (("E1", E1), ("E2", E2)):
        assert cli("meter", "add", number, "--link", "pty1", "--protocol", "dlt645-2007", "--address", address,
                   "--option", "timeout=5")[0] == 0     # the simulator is a thread here: a loaded machine
    for _ in range(2):
        with as_service(cli.url):
            code, out, err = cli("poll", "--once", "--json")
        assert code == 0, err
        assert {k: json.loads(out)[k] for k in ("meters", "ok", "failed")} == {"meters": 2, "ok": 2, "failed": 0}


def test_poll_once_exits_1_when_a_link_is_dead(cli, pty_sim, as_service):
    cli("link", "add", "pty1", pty_sim.url)
    cli("link", "add", "dead", "tcp://127.0.0.1:9")          # nothing listens on port 9
    cli("meter", "add", "E1", "--link", "pty1", "--protocol", "dlt645-2007", "--address", E1)
    for number, address in (("D1", E1), ("D2", E2)):
        cli("meter", "add", number, "--link", "dead", "--protocol", "dlt645-2007", "--address", address)
    db = Database(cli.url)
    with db.write() as s:
        s.execute(sa.update(Meter).values(options=json.dumps({"timeout": "0.5", "retries": "0"})))
    db.dispose()
    with as_service(cli.url):
        code, out, err = cli("poll", "--once", "--json")
    assert code == 1
    data = json.loads(out)
    assert (data["meters"], data["ok"], data["failed"]) == (3, 1, 2)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "dead" in lines[0] and "2 meter(s) unreachable" in lines[0]
    assert "Traceback" not in err


class Commands:
    def __init__(self, items):
        self.items, self.done, self.lock = list(items), [], threading.Lock()

    def take(self, link_id):
        with self.lock:
            return self.items.pop(0) if self.items else None

    def finished(self, command, result, error):
        self.done.append((command.item_id, result, error))


def test_an_exception_in_a_link_worker_is_a_failed_link():
    """A Modbus meter without a register profile makes the driver raise InvalidInput (not a
    CommsError): it used to kill the worker thread and vanish from the summary (meters 0)."""
    server = start_simulator(f"dlt645-2007:{E1}-{E2}", baud=19200, latency=0.002)
    try:
        good = LinkPlan(1, "good", server.url, [MeterPlan(1, "E1", MeterConfig("dlt645-2007", E1))], timeout=0.5)
        bad = LinkPlan(2, "bad", server.url, [MeterPlan(2, "E2", MeterConfig("dlt645-2007", E2)),
                                              MeterPlan(3, "M1", MeterConfig("modbus", "1")),
                                              MeterPlan(4, "E3", MeterConfig("dlt645-2007", "000000000003"))],
                       timeout=0.5)
        summary = Poller([good, bad]).run_once()
        assert (summary.meters, summary.ok, summary.failed, summary.unreachable) == (4, 2, 2, 2)
        assert len(summary.failed_links) == 1 and summary.failed_links[0].startswith("bad: ")
        cmds = Commands([Command(7, 3, "control", {"action": "trip"})])
        worker = LinkWorker(bad, _NullSink(), commands=cmds)
        try:
            summary = worker.cycle_once()
        finally:
            worker.session.close()
        assert cmds.done and cmds.done[0][0] == 7 and cmds.done[0][2] is not None   # never left "sending"
        assert summary.failed_links and summary.ok == 0
    finally:
        server.stop()


class _NullSink:
    def reading(self, *a): ...
    def failure(self, *a): ...
    def meter_state(self, *a): ...
    def link_state(self, *a): ...


def test_read_a_water_meter_defaults_to_volume(cli, sim):
    """Issue 15.12: `read W1` on a CJ/T 188 water meter printed nothing (the default was energy)."""
    server = sim("cjt188:00000000000001/volume=12.5,dlt645-2007:000000000001/energy=3")
    cli("link", "add", "bus1", server.url)
    cli("meter", "add", "W1", "--link", "bus1", "--protocol", "cjt188", "--address", "00000000000001",
        "--kind", "water")
    cli("meter", "add", "E1", "--link", "bus1", "--protocol", "dlt645-2007", "--address", E1)
    code, out, err = cli("read", "W1", "--json")
    assert code == 0, err
    assert json.loads(out) == {"volume": "12.50", "valve": "open"}
    code, out, err = cli("read", "--url", server.url, "--protocol", "cjt188", "--address", "00000000000001", "--json")
    assert json.loads(out) == {"volume": "12.50", "valve": "open"}
    code, out, err = cli("read", "E1", "--json")
    values = json.loads(out)
    assert values["energy"] == "3.00" and {"voltage", "current", "power"} <= set(values)
