"""`meterstation link add`, `meter add`, then `poll --once --json` against the simulator, in
process (like a script would run them): the JSON of ../shared/docs/cli.md, a silent meter
counted as failed, readings in the database; then `read METER_NO` and `control METER_NO`."""
from __future__ import annotations

import json

import sqlalchemy as sa

from models.archive import Meter, Reading
from models.db import Database
from tests.comms.polling.conftest import E1, E2, E3

FAST = json.dumps({"timeout": "0.3", "retries": "0", "confirm_interval": "0.05"})


# cli: the shared in-process CLI fixture (tests/conftest.py)


def _fast_meters(url):
    """Short timeouts per meter (a meter option), so a silent meter costs 0.3 s per try."""
    db = Database(url)
    with db.write() as s:
        s.execute(sa.update(Meter).values(options=FAST))
    db.dispose()


def test_poll_once_json(cli, sim, as_service):
    assert cli("link", "add", "bus1", sim.url)[0] == 0
    for number, address in (("E1", E1), ("E2", E2), ("E3", E3)):
        code, _out, err = cli("meter", "add", number, "--link", "bus1", "--protocol", "dlt645-2007",
                              "--address", address)
        assert code == 0, err
    _fast_meters(cli.url)
    sim.bus.set_fault(E3, "silent")
    with as_service(cli.url):
        code, out, err = cli("poll", "--once", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == {"meters", "ok", "failed", "seconds"}
    assert (data["meters"], data["ok"], data["failed"]) == (3, 2, 1)
    assert isinstance(data["seconds"], str) and float(data["seconds"]) < 5     # a decimal string
    db = Database(cli.url)
    with db.read() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(Reading)).scalar_one() == 2
        states = dict(s.execute(sa.select(Meter.number, Meter.fail_streak)).all())
    db.dispose()
    assert states == {"E1": 0, "E2": 0, "E3": 1}         # one timeout per cycle: no 补抄 of silence


def test_read_and_control_from_the_archive(cli, sim):
    cli("link", "add", "bus1", sim.url)
    cli("meter", "add", "E1", "--link", "bus1", "--protocol", "dlt645-2007", "--address", E1)
    _fast_meters(cli.url)
    code, out, err = cli("read", "E1", "--quantity", "energy,voltage,relay", "--json")
    assert code == 0, err
    assert json.loads(out) == {"energy": "0.00", "voltage": "220.0", "relay": "closed"}
    code, out, err = cli("control", "E1", "trip", "--json")
    assert code == 0, err
    assert json.loads(out)["confirmed"] is True and sim.bus.meter(E1).relay_open
    db = Database(cli.url)
    with db.read() as s:
        assert s.execute(sa.select(Meter.relay_state)).scalar_one() == "open"
    db.dispose()
    code, out, _err = cli("log", "show", "--json", "--action", "meter.control")
    assert json.loads(out)["entries"][0]["target"] == "E1"
    sim.bus.set_fault(E1, "silent")
    code, _out, err = cli("control", "E1", "close")
    assert code == 4 and "No reply" in err and len(err.strip().splitlines()) == 1      # 4: no reply
