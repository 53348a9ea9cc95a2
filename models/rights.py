"""Function rights, built-in roles, and the Actor every service call is made as.

Services call `actor.require(RIGHT, building_id=...)` before they change anything; the GUI
hides buttons by asking `actor.can(...)`, but that is only a convenience — the check that
counts is in the service, so the CLI and the UI obey the same rules.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from models.errors import PermissionDenied
from resources.i18n import N_, _

# code -> label (translated when shown)
RIGHTS: dict[str, str] = {
    "sell": N_("Sell"),
    "refund": N_("Refund"),
    "reverse": N_("Reverse a sale"),
    "account_open": N_("Open accounts"),
    "account_close": N_("Close accounts"),
    "account_edit": N_("Move tenants, replace and bind meters"),
    "subsidy": N_("Grant subsidies"),
    "relay_control": N_("Relay and valve control"),
    "meter_read": N_("Read meters on demand"),
    "archive_edit": N_("Edit the archive (buildings, links, meters, customers)"),
    "tariff_edit": N_("Edit tariffs"),
    "settings_edit": N_("Edit station settings"),
    "operator_admin": N_("Manage operators and roles"),
    "backup": N_("Back up the database"),
    "restore": N_("Restore the database"),
    "report_view": N_("View and export reports"),
    "log_view": N_("View and export the operation log"),
    "shift": N_("Open and close cashier shifts"),
    "poll": N_("Run the polling service (read meters, deliver queued meter commands)"),
    "settle": N_("Charge metered consumption (settlement after a read)"),
}
ALL_RIGHTS = frozenset(RIGHTS)

SUPER_ADMIN = "super-admin"
BUILTIN_ROLES: dict[str, tuple[str, frozenset[str]]] = {
    SUPER_ADMIN: (N_("Super administrator"), ALL_RIGHTS),
    "admin": (N_("Administrator"), ALL_RIGHTS - {"restore"}),
    "cashier": (N_("Cashier"), frozenset({"sell", "shift", "meter_read", "report_view"})),
    "viewer": (N_("Viewer"), frozenset({"report_view", "log_view"})),
}

# The station's service identity (`meterstation poll`, the GUI's runtime): operators of this role
# never log in at the counter (access/login.py); its rights are configured like any role's
# (`meterstation role add service --rights ...`), these are the ones migrations 0012 and 0014
# give it: 0014 added `subsidy` (the monthly subsidies are the polling service's work too).
SERVICE_ROLE = "service"
SERVICE_RIGHTS = frozenset({"poll", "settle", "relay_control", "meter_read", "subsidy"})


@dataclass(frozen=True)
class Actor:
    """Who is acting: a logged-in operator, or the station's own service ("system")."""

    name: str
    role: str
    rights: frozenset[str]
    station: str
    operator_id: int | None = None
    all_areas: bool = True
    areas: frozenset[int] = field(default_factory=frozenset)

    def can(self, right: str, building_id: int | None = None) -> bool:
        if right not in self.rights:
            return False
        return building_id is None or self.all_areas or building_id in self.areas

    def require(self, right: str, building_id: int | None = None) -> None:
        """Raise PermissionDenied unless this actor holds `right` (on that building)."""
        if right not in RIGHTS:
            raise ValueError(f"unknown right {right!r}")
        if right not in self.rights:
            raise PermissionDenied(
                _("Operator {name} has no right to: {right}").format(name=self.name, right=_(RIGHTS[right])),
                right=right)
        if building_id is not None and not self.all_areas and building_id not in self.areas:
            raise PermissionDenied(
                _("Operator {name} may not act on this building").format(name=self.name),
                right=right, building_id=building_id)

    def visible_buildings(self) -> frozenset[int] | None:
        """None when every building is visible, else the set of visible building ids."""
        return None if self.all_areas else self.areas


def system_actor(station: str) -> Actor:
    """The station itself (poller, scheduler, postpaid bills, a report the station runs): every
    right, every area. Passed explicitly: a service refuses a call without an actor (None is a
    front end that forgot its operator, never the station)."""
    return Actor(name="system", role="system", rights=ALL_RIGHTS, station=station)
