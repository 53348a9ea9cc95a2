"""Fixtures for the station's unattended work: a simulated bus with a manual clock, an archive
pointing at it, station-prepaid accounts, and a runtime whose clock the test moves."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from billing.accounts_open import MeterOpening, open_account
from billing.tariffs import plan_store
from comms.simulator import Bus, TcpSimulator
from comms.simulator.base import ManualClock
from comms.simulator.spec import SimulatorSpec
from models.archive import Customer, Link, Meter

FAST = {"timeout": "0.4", "retries": "0", "confirm_interval": "0.05", "valve_interval": "0.05",
        "max_kw": "100000000"}   # simulated hours pass in milliseconds: no "jump" flags


def local(y, mo, d, h=0, mi=0) -> datetime:
    """An aware UTC instant for a local wall-clock time of the station."""
    return datetime(y, mo, d, h, mi).astimezone().astimezone(UTC)


class Clock:
    """The runtime's and the jobs' clock: aware UTC, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now


@pytest.fixture
def sim_clock():
    return ManualClock(0)


@pytest.fixture
def bus_sim(sim_clock):
    """bus_sim(spec) -> TcpSimulator on loopback with low latency; stopped after the test."""
    started = []

    def start(spec: str):
        bus = Bus(SimulatorSpec.parse(spec).build(clock=sim_clock), baud=9600, latency=0.002)
        server = TcpSimulator(bus)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def add_link(db, url: str, name: str = "bus1") -> int:
    with db.write() as s:
        link = Link(name=name, url=url)
        s.add(link)
        s.flush()
        return link.id


def add_meter(db, link_id: int | None, address: str, *, number: str | None = None, keep_power: bool = False,
              kind: str = "electricity") -> str:
    number = number or f"E{address[-4:]}"
    with db.write() as s:
        s.add(Meter(number=number, protocol="dlt645-2007", address=address, link_id=link_id,
                    options=json.dumps(FAST), keep_power=keep_power, kind=kind))
    return number


def tariff(db, actor, name="flat1", price="1.00") -> str:
    if name not in [p.name for p in plan_store.list_plans(db)]:
        plan_store.add_version(db, actor, name, {"kind": "flat", "price": price})
    return name


def open_prepaid(db, actor, meters: list[str], *, arrears="trip-now", reading: str | None = "0",
                 mode="station-prepaid", name=None, account_type=None) -> str:
    name = name or f"cust-{meters[0]}"
    with db.write() as s:
        s.add(Customer(name=name))
    view = open_account(db, actor, name, [MeterOpening(m, Decimal(reading) if reading is not None else None)
                                          for m in meters],
                        mode=mode, tariff=tariff(db, actor), arrears=arrears, account_type=account_type)
    return view.number


def balance(db, number: str) -> Decimal:
    from models.accounts import Account

    with db.read() as s:
        fen = s.scalar(sa.select(Account.balance_fen).where(Account.number == number))
    return Decimal(fen) / 100


def set_setting(db, actor, key, value):
    from models import settings

    settings.put(db, actor, key, value)


def runtime(db, clock=None, **kw):
    """A StationRuntime for tests: a daytime controlled clock and a quick store."""
    from station.runtime import StationRuntime

    kw.setdefault("run_jobs", False)
    kw.setdefault("store_batch_seconds", 0.02)
    return StationRuntime(db, station="T", clock=clock or Clock(local(2026, 11, 20, 10, 0)), **kw)
