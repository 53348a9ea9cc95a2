"""Issue 15.5: every command outcome is told as it is - confirmed, accepted but unconfirmed,
refused (the meter's error word in words), no reply, garbled - each with its own status and exit
code, and `control --json` prints its object in every case. A garbled acknowledgement is followed
by reading the state back, never by a blind re-send. Real sockets and the simulator's faults."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from app import main
from comms.errors import ProtocolError

E1 = "000000000001"
W1 = "00000000000001"
FAST = ["--option", "timeout=0.4", "--option", "confirm_interval=0.05", "--option", "confirm_polls=2"]


@pytest.fixture
def control(tmp_path, capsys, sim, monkeypatch):
    from access import operators as operator_service
    from models.db import Database

    server = sim(f"dlt645-2007:{E1}-000000000002/prepaid=1/balance=50/kw=0")
    url = f"sqlite:///{tmp_path / 'x.db'}"        # control --url acts as an operator with the right (issue 11.3)
    db = Database.open(url, upgrade=True)
    operator_service.create_first_operator(db, "root", "secret-1", "TEST")
    db.dispose()
    monkeypatch.setenv("METERSTATION_OPERATOR", "root")
    monkeypatch.setenv("METERSTATION_PASSWORD", "secret-1")

    def run(action, *extra):
        capsys.readouterr()
        code = main(["--lang", "en", "--db", url, "control", "--url", server.url,
                     "--protocol", "dlt645-2007", "--address", E1, *FAST, *extra, action, "--json"])
        out, err = capsys.readouterr()
        return code, json.loads(out), err
    run.server = server
    run.meter = server.bus.meter(E1)
    return run


def test_confirmed(control):
    code, data, err = control("trip")
    assert (code, data["status"], data["accepted"], data["confirmed"], err) == (0, "confirmed", True, True, "")


def test_trip_done_but_status_word_not_readable_is_accepted_unconfirmed(control):
    control.meter.missing = {"04000503"}            # this meter has no status word 3
    code, data, err = control("trip")
    assert control.meter.relay_open                   # the meter did trip
    assert (code, data["status"], data["accepted"], data["confirmed"]) == (3, "unconfirmed", True, False)
    assert "cannot be read back" in data["detail"] and "no such data" in data["detail"]
    assert len(err.strip().splitlines()) == 1 and "refused" not in err


def test_garbled_acknowledgement_is_read_back_not_re_sent(control):
    control.server.bus.set_fault(E1, "garbled-ack")
    code, data, _err = control("trip")
    assert (code, data["status"]) == (0, "confirmed")
    assert control.meter.relay_open and control.meter.commands_seen == 1      # sent once


def test_garbled_acknowledgement_of_a_refused_command_is_garbled(control):
    control.server.bus.set_fault(E1, "garbled-ack")
    code, data, err = control("trip", "--option", "password=123456")      # the meter refuses (ERR 04)
    assert (code, data["status"], data["confirmed"]) == (5, "garbled", False)
    assert not control.meter.relay_open and control.meter.commands_seen == 1
    assert len(err.strip().splitlines()) == 1


def test_refused_with_the_error_word_in_words(control):
    code, data, err = control("trip", "--option", "password=123456")
    assert (code, data["status"], data["accepted"]) == (1, "refused", False)
    assert "password wrong" in data["detail"] and "password wrong" in err


def test_no_reply(control):
    control.server.bus.set_fault(E1, "silent")
    code, data, err = control("close")
    assert (code, data["status"], data["accepted"]) == (4, "no-reply", False)
    assert "No reply" in data["detail"] and len(err.strip().splitlines()) == 1


def test_garbled(control):
    control.server.bus.set_fault(E1, "garbled")
    code, data, _err = control("trip")
    assert (code, data["status"]) == (5, "garbled")


def test_garbled_purchase_acknowledgement_is_read_back(sim, connect):
    server = sim(f"dlt645-2007:{E1}/prepaid=1/balance=10/kw=0")
    server.bus.set_fault(E1, "garbled-ack")
    drv = connect(server.url, "dlt645-2007", E1, retries="1")
    result = drv.recharge(Decimal("25.00"), 1)
    meter = server.bus.meter(E1)
    assert (result.applied, result.purchase_count, result.balance) == (True, 1, Decimal("35.00"))
    assert meter.commands_seen == 1 and meter.purchase_count == 1


def test_garbled_valve_acknowledgement_is_read_back(sim, connect):
    server = sim(f"cjt188:{W1}")
    server.bus.set_fault(W1, "garbled-ack")
    drv = connect(server.url, "cjt188", W1, retries="1")
    result = drv.control("valve-close")
    assert (result.status, server.bus.meter(W1).valve_open) == ("confirmed", False)
    server.bus.set_fault(W1, "garbled")
    with pytest.raises(ProtocolError):
        drv.control("valve-open")
