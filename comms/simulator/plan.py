"""LinkPlan: one simulated link as data - its meters (a SimulatorSpec string), line speed, and the
state its meters start in beyond what the spec string says (purchase count, keep-power, relay,
a fault) - so the same plan starts the same simulator in this process or in a child process
(comms/simulator/process.py), where it travels as JSON.

    sim = start_link(LinkPlan("dlt645-2007:000000000001", 9600,
                              state={"000000000001": {"keep_power": True}},
                              faults={"000000000001": "silent"}), demo=True)
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from comms.simulator.bus import FAULTS
from comms.simulator.server import TcpSimulator, start_simulator
from models.errors import InvalidInput
from resources.i18n import _

# what a plan may set on a simulated meter after it is built (the DL/T 645 meter's own names)
STATE = {"purchase_count": int, "keep_power": bool, "relay_open": bool, "command_open": bool}


@dataclass
class LinkPlan:
    spec: str
    baud: int = 9600
    latency: float = 0.03
    state: dict[str, dict[str, Any]] = field(default_factory=dict)     # address -> {STATE key: value}
    faults: dict[str, str] = field(default_factory=dict)               # address -> a Bus fault

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LinkPlan:
        """A plan read back; anything a plan cannot say is refused in one message."""
        try:
            plan = cls(str(data["spec"]), int(data["baud"]), float(data["latency"]),
                       {str(a): dict(v) for a, v in dict(data.get("state", {})).items()},
                       {str(a): str(f) for a, f in dict(data.get("faults", {})).items()})
        except (KeyError, TypeError, ValueError):
            raise InvalidInput(_("The simulator plan is not valid")) from None
        for values in plan.state.values():
            for key, value in values.items():
                if key not in STATE or type(value) is not STATE[key]:
                    raise InvalidInput(_("The simulator plan is not valid"))
        if any(f not in FAULTS for f in plan.faults.values()):
            raise InvalidInput(_("The simulator plan is not valid"))
        return plan


def start_link(plan: LinkPlan, *, demo: bool = False) -> TcpSimulator:
    """Serve the plan's meters on a loopback port (check_allowed as start_simulator) and set their
    starting state; the caller stop()s it."""
    sim = start_simulator(plan.spec, baud=plan.baud, latency=plan.latency, demo=demo)
    assert isinstance(sim, TcpSimulator)
    try:
        for address, values in plan.state.items():
            meter = sim.bus.meter(address)
            for key, value in values.items():
                setattr(meter, key, value)
        for address, fault in plan.faults.items():
            sim.bus.set_fault(address, fault)
    except KeyError as e:
        sim.stop()
        raise InvalidInput(_("The simulator plan names meter {address}, which is not on its link")
                           .format(address=e.args[0])) from None
    return sim
