"""Where a security module (ESAM encryption machine) plugs in - none is installed.

State Grid smart prepaid DL/T 645-2007 meters take purchases only through C=03 security
commands: identity check 070000FF, account opening 070101FF, recharge 070102FF (the meter checks
purchase count = its count + 1), and encrypted remote control (1C with PA 96H) - protocols.md §6
and §1.10. The ciphertext needs the utility's keys held in an encryption machine, so this station
declares those meters (capability model resources/capabilities/dlt645-2007-esam.json) as needing
a security module and refuses the purchase up front (models/capabilities.py).

A module implements SecurityModule and is registered with `install(name, module)`; it then adds
its name to models.capabilities.SECURITY_MODULES so the capability is no longer refused. A
driver asks `module_for(name)` for the frames; this project ships no implementation.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from comms.errors import Unsupported
from models import capabilities
from resources.i18n import _


class SecurityModule(Protocol):
    """What an encryption machine must provide for one meter (all frames complete, ready to send)."""

    def identity_request(self, address: str) -> bytes:
        """C=03 070000FF identity check (random number + ciphertext for the meter's ESAM)."""
        ...

    def recharge_request(self, address: str, session: bytes, amount: Decimal,
                         purchase_count: int, customer: str) -> bytes:
        """C=03 070102FF recharge for the session the identity reply opened."""
        ...

    def control_request(self, address: str, session: bytes, code: int) -> bytes:
        """Encrypted 1C remote control (PA 96H)."""
        ...


_MODULES: dict[str, SecurityModule] = {}


def install(name: str, module: SecurityModule) -> None:
    _MODULES[name] = module
    capabilities.SECURITY_MODULES.add(name)


def module_for(name: str) -> SecurityModule:
    module = _MODULES.get(name)
    if module is None:
        raise Unsupported(_("This station has no security module ({module}); purchases on such "
                            "meters are refused").format(module=name))
    return module
