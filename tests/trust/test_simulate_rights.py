"""Walk report G: `meterstation simulate` started fake meters for anyone. At a real station (not
test or demo mode) it now needs an operator with settings_edit (station/simulator.py): a
cashier is refused in one line, exit 1, logged as denied; an administrator's start is logged
as `simulator.start` with the address the meters answer on. Run through the real program."""
from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys

from models import oplog
from tests.trust.conftest import ROOT, one_error

ADMIN = ("root", "secret-1")


def _station(cli) -> None:
    """The subprocesses run as a real station: neither test nor demo mode."""
    cli.env.pop("METERSTATION_TEST_MODE", None)
    cli.env.pop("METERSTATION_DEMO", None)


def _rows(db, action):
    with db.read() as s:
        return [(e.operator, e.target, json.loads(e.details or "{}")) for e in oplog.search(s, action=action)]


def test_a_cashier_cannot_start_simulated_meters(cli, db):
    _station(cli)
    r = cli("simulate", "--listen", "127.0.0.1:0", "--meters", "dlt645-2007:000000000001")
    assert "has no right to: Edit station settings" in one_error(r)
    assert r.stdout == ""                                   # no URL: nothing listens
    denied = [d for o, t, d in _rows(db, "denied") if o == "cas" and d["action"] == "simulator.start"]
    assert len(denied) == 1 and denied[0]["right"] == "settings_edit"
    assert _rows(db, "simulator.start") == []


def test_nobody_named_is_refused_in_one_line(cli, db):
    _station(cli)
    r = cli("simulate", "--listen", "127.0.0.1:0", who=None)
    assert "METERSTATION_OPERATOR" in one_error(r)


def test_an_administrator_starts_them_and_the_start_is_logged(cli, db):
    _station(cli)
    env = dict(cli.env, METERSTATION_OPERATOR=ADMIN[0], METERSTATION_PASSWORD=ADMIN[1])
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--lang", "en", "--db", cli.url, "simulate",
                             "--listen", "127.0.0.1:0", "--meters", "dlt645-2007:000000000001"],
                            env=env, cwd=cli.tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("tcp://127.0.0.1:"), (url, proc.poll(), proc.poll() is not None and proc.stderr.read())
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass                                            # something answers there
        started = _rows(db, "simulator.start")
        assert [(o, t) for o, t, _d in started] == [("root", url)]
        assert started[0][2]["listen"] == url and started[0][2]["meters"] == "dlt645-2007:000000000001"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "Traceback" not in err, err
