"""`meterstation poll` runs the station runtime: --once polls, settles, trips and delivers; the
service mode runs until SIGTERM and exits 0."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from access import login as auth
from access import operators as operator_service
from app import main
from billing.sales import sell
from models.db import Database
from tests.billing.automation.conftest import (
    add_link,
    add_meter,
    balance,
    open_prepaid,
    set_setting,
)

ROOT = Path(__file__).resolve().parents[3]
A1 = "000000000001"


@pytest.fixture
def station(tmp_path, monkeypatch, capsys, bus_sim):
    url = f"sqlite:///{tmp_path / 'station.db'}"
    db = Database.open(url, upgrade=True)
    operator_service.create_first_operator(db, "root", "secret-1", "TEST")
    actor = auth.login(db, "root", "secret-1", "TEST")
    server = bus_sim(f"dlt645-2007:{A1}/kw=1/prepaid=0")
    meter = add_meter(db, add_link(db, server.url), A1)
    account = open_prepaid(db, actor, [meter])
    sell(db, actor, account, Decimal("0.50"), method="cash")
    set_setting(db, actor, "automation.quiet_hours", "")          # trips at any hour
    monkeypatch.setenv("METERSTATION_OPERATOR", "root")
    monkeypatch.setenv("METERSTATION_PASSWORD", "secret-1")

    def run(*args):
        capsys.readouterr()
        code = main(["--lang", "en", "--db", url, *args])
        out, err = capsys.readouterr()
        return code, out, err
    yield run, db, server, account, url
    db.dispose()


def test_poll_once_settles_and_trips(station, sim_clock, as_service):
    run, db, server, account, _url = station
    sim_clock.advance(3600)                                    # 1 kWh at 1.00 on 0.50
    with as_service(db):
        code, out, err = run("poll", "--once", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert (data["meters"], data["ok"], data["failed"]) == (1, 1, 0) and isinstance(data["seconds"], str)
    assert balance(db, account) == Decimal("-0.50")
    assert server.bus.meter(A1).relay_open
    with as_service(db):
        code, out, err = run("poll", "--once", "--link", "nope")
    assert code == 0 and "0 meters" in out


def test_poll_service_stops_on_sigterm(station, tmp_path, as_service):
    _run, db, _server, _account, url = station
    env = {k: v for k, v in os.environ.items() if not k.startswith("METERSTATION_")}
    env.update(METERSTATION_CONFIG_DIR=str(tmp_path / "cfg"), METERSTATION_TEST_MODE="1")
    with as_service(db) as service:
        env.update(service)
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--lang", "en", "--db", url, "poll"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        line = proc.stdout.readline()
        assert "Polling 1 meters" in line, proc.stderr.read() if proc.poll() is not None else line
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
