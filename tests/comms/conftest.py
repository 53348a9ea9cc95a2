"""Fixtures: a simulator on loopback TCP or a pty, and drivers talking to it through the real
Transport/Channel stack. Everything is stopped and joined at the end of each test."""
from __future__ import annotations

import pytest

from comms.drivers.factory import make_driver
from comms.interfaces import MeterConfig
from comms.links.transaction import Channel
from comms.links.transport import open_transport
from comms.simulator import Bus, PtySimulator, TcpSimulator
from comms.simulator.base import ManualClock
from comms.simulator.spec import SimulatorSpec
from models.link_urls import parse_link_url

FAST = {"timeout": "0.4", "retries": "0", "confirm_interval": "0.05", "valve_interval": "0.05"}


@pytest.fixture
def clock():
    return ManualClock(0)


@pytest.fixture
def sim(clock):
    """sim(spec, pty=False, baud=9600, latency=0.005) -> server; stopped after the test."""
    started = []

    def start(spec: str, *, pty: bool = False, baud: int = 9600, latency: float = 0.005):
        bus = Bus(SimulatorSpec.parse(spec).build(clock=clock), baud=baud, latency=latency)
        server = PtySimulator(bus) if pty else TcpSimulator(bus)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def connect():
    """connect(url, protocol, address, **options) -> driver (its channel is closed after)."""
    channels = []

    def make(url: str, protocol: str, address: str, **options: str):
        channel = Channel(open_transport(parse_link_url(url)), idle_gap=0.005)
        channels.append(channel)
        return make_driver(MeterConfig(protocol, address, options={**FAST, **options}), channel)

    yield make
    for channel in channels:
        channel.close()
