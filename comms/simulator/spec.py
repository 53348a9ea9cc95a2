"""SimulatorSpec: which simulated meters to put on the bus, from one CLI string.

Format: groups separated by commas; each group is

    PROTOCOL:FIRST[-LAST][/key=value]...

PROTOCOL is dlt645-2007, dlt645-1997, cjt188 (or modbus, built by the Modbus side's
comms.simulator.modbus_meter.ModbusMeter). FIRST..LAST is an inclusive range of nameplate
addresses (12 digits for DL/T 645, 14 for CJ/T 188; leading zeros kept). Options per group:

    dlt645:  kw=1.5  balance=100  price=1  prepaid=1|0  energy=0  split=1|0 (follow-up frames)
             frozen=DAYS (made-up daily frozen data for DAYS days and up to 12 months)
    cjt188:  flow=0.5  volume=0  type=10  di_order=big|little  heat=1|0  layout=value-unit|unit-value
             strict=1 (answer only requests of its own meter type T or AAH)

Example: "dlt645-2007:000000000001-000000000040/kw=2,cjt188:00000000000001-00000000000008".
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from comms.simulator.base import Clock, SimMeter
from models.errors import InvalidInput
from resources.i18n import _

DEFAULT_SPEC = "dlt645-2007:000000000001-000000000004,cjt188:00000000000001-00000000000002"
MAX_METERS = 10000
WIDTH = {"dlt645-2007": 12, "dlt645-1997": 12, "cjt188": 14}
OPTIONS = {"dlt645": {"kw", "balance", "price", "prepaid", "energy", "split", "frozen"},
           "cjt188": {"flow", "volume", "type", "di_order", "heat", "layout", "strict"}}


@dataclass(frozen=True)
class SimGroup:
    protocol: str
    first: int
    last: int
    width: int
    options: dict[str, str] = field(default_factory=dict)

    def addresses(self) -> list[str]:
        return [str(n).rjust(self.width, "0") for n in range(self.first, self.last + 1)]


@dataclass(frozen=True)
class SimulatorSpec:
    groups: tuple[SimGroup, ...]

    @classmethod
    def parse(cls, text: str) -> SimulatorSpec:
        groups, total = [], 0
        for part in filter(None, (p.strip() for p in str(text).split(","))):
            group = _parse_group(part)
            total += group.last - group.first + 1
            groups.append(group)
        if not groups or total > MAX_METERS:
            raise InvalidInput(_("Simulator meters {spec} are not valid: use "
                                 "PROTOCOL:FIRST[-LAST][/key=value], ...").format(spec=text))
        return cls(tuple(groups))

    def build(self, clock: Clock | None = None) -> list[SimMeter]:
        """The simulated meter objects (all sharing one clock when given)."""
        meters: list[SimMeter] = []
        for g in self.groups:
            for address in g.addresses():
                meters.append(_make_meter(g, address, clock))
        return meters


def _parse_group(part: str) -> SimGroup:
    head, *opts = part.split("/")
    protocol, sep, rng = head.partition(":")
    protocol = protocol.strip().lower()
    bad = InvalidInput(_("Simulator meters {spec} are not valid: use "
                         "PROTOCOL:FIRST[-LAST][/key=value], ...").format(spec=part))
    if not sep or protocol not in (*WIDTH, "modbus"):
        raise bad
    first_text, _dash, last_text = rng.strip().partition("-")
    last_text = last_text or first_text
    width = WIDTH.get(protocol, 3)
    if not (first_text.isdigit() and last_text.isdigit()) or len(first_text) > width \
            or len(last_text) > width or int(first_text) > int(last_text):
        raise bad
    family = "cjt188" if protocol == "cjt188" else "dlt645"
    options = {}
    for opt in opts:
        key, eq, value = opt.partition("=")
        if not eq or (protocol != "modbus" and key.strip() not in OPTIONS[family]):
            raise bad
        options[key.strip()] = value.strip()
    return SimGroup(protocol, int(first_text), int(last_text), width, options)


def _dec(options: dict[str, str], key: str, default: str) -> Decimal:
    try:
        return Decimal(options.get(key, default))
    except InvalidOperation:
        raise InvalidInput(_("Simulator option {key}={value} is not a number")
                           .format(key=key, value=options.get(key))) from None


def _make_meter(g: SimGroup, address: str, clock: Clock | None) -> SimMeter:
    o = g.options
    if g.protocol.startswith("dlt645"):
        from comms.simulator.dlt645_meter import Dlt645Meter
        meter = Dlt645Meter(address, version=g.protocol[-4:], kw=_dec(o, "kw", "1"),
                            balance=_dec(o, "balance", "100"), price=_dec(o, "price", "1"),
                            energy=_dec(o, "energy", "0"), prepaid=o.get("prepaid", "1") == "1",
                            split_blocks=o.get("split") == "1", clock=clock)
        days = int(_dec(o, "frozen", "0"))
        if days > 0:
            meter.seed_history(days, months=(days + 29) // 30)
        return meter
    if g.protocol == "cjt188":
        from comms.simulator.cjt188_meter import Cjt188Meter
        try:
            meter_type = int(o.get("type", "10"), 16)
        except ValueError:
            raise InvalidInput(_("Simulator option {key}={value} is not a number")
                               .format(key="type", value=o.get("type"))) from None
        return Cjt188Meter(address, meter_type=meter_type, flow=_dec(o, "flow", "0.5"),
                           volume=_dec(o, "volume", "0"), di_order=o.get("di_order", "big"),
                           heat=o.get("heat") == "1", layout=o.get("layout", "value-unit"),
                           clock=clock, strict_type=o.get("strict") == "1")
    # --- Modbus hook: the Modbus side provides comms/simulator/modbus_meter.py ---
    from comms.simulator.modbus_meter import ModbusMeter
    # a Decimal clock as is: the Modbus model only subtracts and compares its readings
    return ModbusMeter(address, clock, None, **o)  # type: ignore[arg-type]
