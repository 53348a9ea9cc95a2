"""Fixtures for the Modbus tests: pymodbus's own server with simulated meters, a fake clock."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from comms.simulator.modbus_meter import PrepaidModel, RegisterModel
from comms.simulator.modbus_server import ModbusSimServer

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "meter-frames.json"
SDM630_VALUES = {"voltage": Decimal("230.2"), "voltage_l2": Decimal("231.5"),
                 "voltage_l3": Decimal("229.8"), "current": Decimal("5.125"),
                 "power": Decimal("1.1800"), "pf": Decimal("0.985"),
                 "frequency": Decimal("50.01"), "energy": Decimal("12345.67"),
                 "energy_import": Decimal("12000.5"), "current_n": Decimal("0.250")}


class FakeClock:
    """Monotonic seconds that a test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def modbus_vectors() -> list[dict]:
    return [v for v in json.loads(VECTORS.read_text(encoding="utf-8"))
            if v["protocol"].startswith("modbus")]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def prepaid(clock) -> PrepaidModel:
    return PrepaidModel(clock=clock, balance=Decimal("10.00"), price=Decimal("0.5000"),
                        load_kw=Decimal("2.000"))


@pytest.fixture
def tcp_server(prepaid):
    """pymodbus ModbusTcpServer: unit 1 = SDM630 with fixed values, unit 2 = sim prepaid."""
    with ModbusSimServer({1: RegisterModel("eastron-sdm630", SDM630_VALUES),
                          2: prepaid}) as server:
        yield server
