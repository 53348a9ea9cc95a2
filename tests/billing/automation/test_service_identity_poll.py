"""Issue 11.3, what was left: `meterstation poll` (charges money, trips and closes relays) acts as
the station's named service identity, on SQLite and PostgreSQL, through the real program against
the simulated meter: without an identity it is refused in one line; a cashier cannot poll or
trip; every poll-originated charge, arrears trip and delivered trip/close is logged under the
service identity's name; the service role's rights are configured like any role's."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
import sqlalchemy as sa

from access import login as auth
from access import operators as operator_service
from app import main
from billing.sales import sell
from models.ledger import LedgerEntry, OutboxItem
from models.oplog import OpLogEntry
from tests.billing.automation.conftest import (
    add_link,
    add_meter,
    balance,
    open_prepaid,
    set_setting,
)

A1 = "000000000001"


@pytest.fixture
def station(db, superadmin, bus_sim, monkeypatch, capsys):
    server = bus_sim(f"dlt645-2007:{A1}/kw=1/prepaid=0")
    meter = add_meter(db, add_link(db, server.url), A1)
    account = open_prepaid(db, superadmin, [meter])
    sell(db, superadmin, account, Decimal("0.50"), method="cash")
    set_setting(db, superadmin, "automation.quiet_hours", "")          # trips at any hour
    operator_service.add_operator(db, superadmin, "cas", "pass-123", "cashier")
    monkeypatch.delenv("METERSTATION_OPERATOR", raising=False)
    monkeypatch.delenv("METERSTATION_PASSWORD", raising=False)

    def run(*args, who=None):
        with pytest.MonkeyPatch.context() as mp:
            if who:
                mp.setenv("METERSTATION_OPERATOR", who[0])
                mp.setenv("METERSTATION_PASSWORD", who[1])
            capsys.readouterr()
            code = main(["--lang", "en", "--db", db.url, *args])
            out, err = capsys.readouterr()
        return code, out, err
    run.server, run.account, run.meter = server, account, meter
    return run


def _rows(db, *actions):
    with db.read() as s:
        return s.execute(sa.select(OpLogEntry.operator, OpLogEntry.action, OpLogEntry.details)
                         .where(OpLogEntry.action.in_(actions)).order_by(OpLogEntry.seq)).all()


def test_poll_without_an_identity_is_refused_in_one_line(db, station, sim_clock):
    sim_clock.advance(3600)
    code, out, err = station("poll", "--once", "--json")
    lines = err.strip().splitlines()
    assert code == 1 and out == "" and len(lines) == 1 and "service identity" in lines[0], err
    assert "Traceback" not in err
    assert balance(db, station.account) == Decimal("0.50")            # nothing read, nothing charged
    assert not station.server.bus.meter(A1).relay_open


def test_a_cashier_can_neither_poll_nor_trip(db, station, sim_clock):
    sim_clock.advance(3600)
    code, _out, err = station("poll", "--once", who=("cas", "pass-123"))
    assert code == 1 and "no right" in err and len(err.strip().splitlines()) == 1
    code, _out, err = station("control", station.meter, "trip", who=("cas", "pass-123"))
    assert code == 1 and "no right" in err
    assert not station.server.bus.meter(A1).relay_open
    assert balance(db, station.account) == Decimal("0.50")
    denied = [json.loads(d)["action"] for op, _a, d in _rows(db, "denied") if op == "cas"]
    assert "poll.start" in denied and any(a.startswith("meter.") or a == "control" for a in denied), denied


def test_every_poll_charge_trip_and_close_is_logged_as_the_service(db, superadmin, station, sim_clock, as_service):
    sim_clock.advance(3600)                                  # 1 kWh at 1.00 on 0.50: arrears, trip
    with as_service(db):
        code, out, err = station("poll", "--once", "--json")
    assert code == 0, err
    assert balance(db, station.account) == Decimal("-0.50")
    assert station.server.bus.meter(A1).relay_open
    sell(db, superadmin, station.account, Decimal("5.00"), method="cash")       # queues the close
    with as_service(db):
        code, out, err = station("poll", "--once", "--json")
    assert code == 0, err
    assert not station.server.bus.meter(A1).relay_open
    with db.read() as s:
        done = s.execute(sa.select(OutboxItem.kind).where(OutboxItem.state == "done")).scalars().all()
        charges = s.execute(sa.select(LedgerEntry.operator).where(LedgerEntry.kind == "consumption")).scalars().all()
    assert {"meter.trip", "meter.close"} <= set(done)
    assert charges and set(charges) == {"service"}
    rows = _rows(db, "settle", "arrears.trip", "meter.control", "poll.start", "login")
    by_action: dict[str, set[str]] = {}
    for operator, action, _details in rows:
        by_action.setdefault(action, set()).add(operator)
    assert by_action["settle"] == {"service"} and by_action["arrears.trip"] == {"service"}
    assert by_action["meter.control"] == {"service"} and by_action["poll.start"] == {"service"}
    delivered = [json.loads(d)["payload"]["action"] for _o, a, d in rows if a == "meter.control"]
    assert delivered[-2:] == ["trip", "close"]      # (the first sale's close came before)
    with db.read() as s:                                     # nothing the poll did is "system"
        setup = ("log.keyed", "rights.upgrade", "service.identity", "operator.add")
        system = s.execute(sa.select(OpLogEntry.action).where(
            OpLogEntry.operator == "system", OpLogEntry.action.notin_(setup))).scalars().all()
    assert system == []


def test_the_service_role_is_configured_like_any_role(db, superadmin, station, sim_clock, as_service):
    """Without settle and relay_control the service still polls (readings stored) but charges
    and trips nothing, and says so in the log; without poll it is refused."""
    with as_service(db) as env:
        operator_service.define_role(db, superadmin, "service", "Service identity", ["poll", "meter_read"])
        sim_clock.advance(7200)
        code, _out, err = station("poll", "--once", "--json")
        assert code == 0, err
        assert balance(db, station.account) == Decimal("0.50")
        assert not station.server.bus.meter(A1).relay_open
        assert [json.loads(d)["action"] for op, _a, d in _rows(db, "denied") if op == "service"] == ["settle"]
        operator_service.define_role(db, superadmin, "service", "Service identity", ["meter_read"])
        code, _out, err = station("poll", "--once")
        assert code == 1 and "no right" in err
        assert env["METERSTATION_OPERATOR"] == "service"


def test_the_service_identity_cannot_sell_refund_open_or_log_in_at_the_counter(db, station, as_service):
    from billing.accounts_open import MeterOpening, open_account
    from billing.refunds import refund
    from models.errors import AuthenticationFailed, PermissionDenied
    from models.rights import SERVICE_ROLE

    with as_service(db) as env:
        secret = env["METERSTATION_PASSWORD"]
        with pytest.raises(AuthenticationFailed):                      # the counter's login (ui/login.py)
            auth.login(db, "service", secret, "TEST")
        code, _out, err = station("sell", station.account, "1.00", "--method", "cash")
        assert code == 1 and "cannot log in here" in err
        code, _out, err = station("refund", station.account, "0.10", "--method", "cash")
        assert code == 1 and "cannot log in here" in err
    actor = auth.login(db, "service", secret, "TEST", service=True)     # as `poll` logs in
    assert actor.role == SERVICE_ROLE
    with pytest.raises(PermissionDenied):
        sell(db, actor, station.account, Decimal("1.00"), method="cash")
    with pytest.raises(PermissionDenied):
        refund(db, actor, station.account, Decimal("0.10"), method="cash")
    from models.archive import Customer

    with db.write() as s:
        s.add(Customer(name="nobody"))
    spare = add_meter(db, None, "000000009999")
    with pytest.raises(PermissionDenied):
        open_account(db, actor, "nobody", [MeterOpening(spare, Decimal("0"))], tariff="flat1")
    assert balance(db, station.account) == Decimal("0.50")
    with db.read() as s:
        failed = s.execute(sa.select(OpLogEntry.details).where(OpLogEntry.action == "login.failed",
                                                               OpLogEntry.operator == "service")).scalars().all()
    assert len(failed) == 3 and all(json.loads(d)["reason"] == "service identity" for d in failed)
