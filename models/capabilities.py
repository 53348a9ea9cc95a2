"""What a meter model can do, as data: resources/capabilities/*.json and resources/profiles/*.json.

A meter's model is its profile when one is set (a Modbus register profile, or a DL/T 645 model
such as "meterstation-sim-dlt645" or "dlt645-2007-esam"), else its protocol. Each capability
(read, relay, valve, purchase, refund, price, settings, clock, frozen) says how it is done and
cites its source; what a model cannot do is listed under "absent" with the reason. A capability
that needs a security module (ESAM) is refused unless one is installed - this station has none.

Both billing (refuse up front: account open, control service, refund at the counter) and comms
(refuse before sending) read this module; it imports no machinery, only resources/.
"""
from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from models.errors import InvalidInput
from resources import path
from resources.i18n import N_, _

CAPABILITIES = ("read", "relay", "valve", "purchase", "refund", "price", "settings", "clock", "frozen")
TITLES = {"read": N_("reading"), "relay": N_("relay control"), "valve": N_("valve control"),
          "purchase": N_("purchases (recharge)"), "refund": N_("refunds"),
          "price": N_("price download"), "settings": N_("settings download"),
          "clock": N_("clock setting"), "frozen": N_("frozen data")}
SECURITY_MODULES: set[str] = set()     # names of installed security modules (none in this station)


@dataclass(frozen=True)
class Capabilities:
    model: str
    title: str
    offered: Mapping[str, Mapping[str, Any]]       # capability -> how / confirm / source ...
    absent: Mapping[str, str] = field(default_factory=dict)
    allow_unconfirmed: bool = False                # meter option unconfirmed_registers=allow

    def refusal(self, capability: str) -> str | None:
        """None when the model can do `capability` here, else the translated reason why not."""
        what = _(TITLES.get(capability, capability))
        spec = self.offered.get(capability)
        if spec is None:
            reason = _(self.absent.get(capability, N_("not declared by the model")))   # catalog has the reasons
            return _("Meter model {model} does not offer {what}: {reason}").format(
                model=self.model, what=what, reason=reason)
        if spec.get("confidence") == "U" and not self.allow_unconfirmed:
            return _("Meter model {model} has {what} only from an unconfirmed source ({source}); "
                     "set the meter option unconfirmed_registers=allow to use it").format(
                model=self.model, what=what, source=spec.get("source", ""))
        module = spec.get("security_module")
        if module and module not in SECURITY_MODULES:
            return _("Meter model {model} needs a security module ({module}) for {what}; this station "
                     "has none").format(model=self.model, module=module, what=what)
        return None

    def can(self, capability: str) -> bool:
        return self.refusal(capability) is None

    def require(self, capability: str, meter: str = "") -> None:
        reason = self.refusal(capability)
        if reason is not None:
            raise InvalidInput(_("Meter {meter}: {reason}").format(meter=meter, reason=reason)
                               if meter else reason)


def _read(folder: str, name: str) -> dict[str, Any] | None:
    node = path(folder, name + ".json")
    if not node.is_file():
        return None
    data: dict[str, Any] = json.loads(node.read_text(encoding="utf-8"))
    return data


@functools.cache
def _from_file(name: str) -> Capabilities | None:
    data = _read("capabilities", name)
    if data is None:
        return None
    offered = dict(data.get("capabilities", {}))
    absent = dict(data.get("absent", {}))
    base = _from_file(data["base"]) if data.get("base") else None
    if base is not None:
        offered = {**base.offered, **offered}
        absent = {**{k: v for k, v in base.absent.items() if k not in offered}, **absent}
    for key in offered:
        absent.pop(key, None)
    return Capabilities(name, data.get("title", name), offered, absent)


@functools.cache
def _from_profile(name: str) -> Capabilities | None:
    """A Modbus register profile declares its capabilities by what it maps (and cites)."""
    data = _read("profiles", name)
    if data is None:
        return None
    source = "; ".join(data.get("sources", [])) or data.get("title", name)
    quantities, actions = data.get("quantities", {}), data.get("actions", {})
    offered: dict[str, dict[str, Any]] = {}
    absent = {k: str(v) for k, v in data.get("absent", {}).items()}
    if quantities:
        offered["read"] = {"how": "Modbus registers of the profile", "source": source}
    if "trip" in actions or "close" in actions:
        unconfirmed = all(a.get("confidence") == "U" for a in actions.values())
        offered["relay"] = {"how": "register writes of the profile's actions",
                            "confirm": "relay register read back" if "relay" in quantities else "none",
                            "source": source, **({"confidence": "U"} if unconfirmed else {})}
    if data.get("purchase"):
        offered["purchase"] = {"how": "one FC 16 write of amount then count",
                               "count_rule": "count = the meter's count + 1, read back", "source": source}
    if data.get("refund"):
        offered["refund"] = {"how": "one FC 16 write of amount then count", "source": source}
    if data.get("clock"):
        offered["clock"] = {"how": "holding registers year..second", "confirm": "read back",
                            "source": source}
    for cap in CAPABILITIES:
        if cap not in offered and cap not in absent:
            absent[cap] = _("not in the register map of profile {name}").format(name=name)
    return Capabilities(name, data.get("title", name), offered, absent)


def of_model(protocol: str, profile: str | None) -> Capabilities:
    """The capabilities of a meter of `protocol` with `profile` ("" or None: the protocol's)."""
    profile = (profile or "").strip()
    if profile:
        caps = _from_file(profile) or _from_profile(profile)
        if caps is not None:
            return caps
    caps = _from_file(protocol or "")
    if caps is None:
        raise InvalidInput(_("Unknown meter protocol {protocol}").format(protocol=protocol))
    return caps


def of_meter(meter: Any) -> Capabilities:
    """The capabilities of an archive Meter (models.archive.Meter) row, with its options."""
    caps = of_model(meter.protocol, meter.profile)
    try:
        options = json.loads(meter.options or "{}")
    except ValueError:
        options = {}
    if str(options.get("unconfirmed_registers", "")) == "allow":      # as comms/drivers/modbus.py
        caps = dataclasses.replace(caps, allow_unconfirmed=True)
    return caps


def model_names() -> list[str]:
    folder = path("capabilities")
    return sorted(f.name[:-5] for f in folder.iterdir() if f.name.endswith(".json"))
