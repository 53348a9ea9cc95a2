"""ModbusDriver: one Modbus meter described by a device profile (comms/protocols/modbus_profiles.py).

    driver = ModbusDriver(MeterConfig("modbus", "1", profile="eastron-sdm630"), link)

`link` is a Channel from comms/links/transaction.py (Modbus RTU frames on a serial port or transparent
TCP converter, shared with DL/T 645 meters; this is what comms.drivers.factory.make_driver passes), an
RtuLink/TcpLink, or a link URL/LinkSpec: modbus-tcp:// is Modbus TCP through pymodbus's client,
serial:// and tcp:// get a Channel of their own (close() closes what the driver opened).

Reads group adjacent registers into as few requests as the profile allows; quantities the
profile does not map are left out of the result (as the DL/T 645 driver does). Control writes
the profile's registers and confirms by reading the relay back. Recharge reads the purchase
count first, so a repeat is reported applied=False. Options (MeterConfig.options): timeout (s),
retries, unconfirmed_registers ("allow" to use writes the profile marks "U").
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from comms.drivers.options import opt_float, opt_int, opt_str
from comms.errors import MeterRefused, Unsupported
from comms.interfaces import (
    ACTIONS,
    QUANTITIES,
    ControlResult,
    MeterConfig,
    MeterDriver,
    Reading,
    RechargeResult,
)
from comms.links.modbus import ModbusLink, RtuLink, TcpLink
from comms.protocols.modbus_profile_schema import load_profile
from comms.protocols.modbus_profiles import Profile
from comms.protocols.modbus_values import decode_value, int_to_words, plan_reads
from comms.steps import Call, Steps, run_sync
from models.errors import InvalidInput
from models.link_urls import LinkSpec, parse_link_url
from resources.i18n import N_, _

CONFIRM_READS = 3          # relay read-backs after a control write
CONFIRM_DELAY = 0.2        # seconds between read-backs
RELAY_TEXT = {"open": N_("open (tripped)"), "closed": N_("closed (power on)")}


def _link_for(link: Any, timeout: float, retries: int) -> ModbusLink:
    """A ModbusLink for a Channel, a link object, or a URL/LinkSpec (modbus-tcp:// -> Modbus
    TCP; serial:// or tcp:// -> Modbus RTU through a Channel of our own)."""
    if isinstance(link, (RtuLink, TcpLink)):
        return link
    if isinstance(link, (str, LinkSpec)):
        spec = parse_link_url(link) if isinstance(link, str) else link
        if spec.scheme == "modbus-tcp":
            return TcpLink(spec, timeout=timeout, retries=retries)
        from comms.links.transaction import Channel  # noqa: PLC0415 (only for URL links)
        from comms.links.transport import open_transport  # noqa: PLC0415
        return RtuLink(Channel(open_transport(spec)), timeout=timeout, retries=retries)
    if hasattr(link, "exchange"):
        return RtuLink(link, timeout=timeout, retries=retries)
    raise InvalidInput(_("A Modbus meter needs a channel or a link URL"))


class ModbusDriver(MeterDriver):
    """Read, control, recharge and set the clock of one Modbus meter by its profile."""

    def __init__(self, config: MeterConfig, link: Any, profile: Profile | None = None) -> None:
        super().__init__(config)
        if profile is None:
            if not config.profile:
                raise InvalidInput(_("Modbus meter {address} has no device profile").format(
                    address=config.address))
            profile = load_profile(config.profile)
        self.profile = profile
        text = str(config.address).strip()
        if not text.isdigit() or not 1 <= int(text) <= 247:
            raise InvalidInput(_("Modbus unit id {address} is not valid: use 1 to 247").format(
                address=config.address))
        self.unit = int(text)
        self._owns_link = isinstance(link, (str, LinkSpec))
        self.link = _link_for(link, max(0.05, opt_float(config, "timeout", 1.0)),
                              min(10, opt_int(config, "retries", 1)))
        self.allow_unconfirmed = opt_str(config, "unconfirmed_registers", "") == "allow"

    def close(self) -> None:
        """Close the connection this driver opened itself (when it was given a URL)."""
        if self._owns_link:
            self.link.close()

    def supported(self) -> list[str]:
        """Quantities this meter's profile can read."""
        return list(self.profile.quantities)

    def read(self, quantities: Sequence[str]) -> dict[str, Reading]:
        return run_sync(self.read_steps(quantities))

    def read_steps(self, quantities: Sequence[str]) -> Steps[dict[str, Reading]]:
        """Readings of the quantities the profile maps; the others are left out. A name that
        is neither a standard quantity nor in the profile raises Unsupported. Steps
        (comms/steps.py) over an RTU link; a Modbus TCP link's reads are plain calls."""
        link_steps = getattr(self.link, "read_steps", None)
        for q in quantities:
            if q not in QUANTITIES and q not in self.profile.quantities:
                raise Unsupported(_("Unknown quantity {q}").format(q=q))
        wanted = [q for q in dict.fromkeys(quantities) if q in self.profile.quantities]
        specs = [self.profile.quantities[q] for q in wanted]
        result: dict[str, Reading] = {}
        for group in plan_reads(specs, self.profile.max_registers, self.profile.max_gap):
            if link_steps is not None:
                words = yield from link_steps(self.unit, group.function, group.address, group.count)
            else:
                words = yield Call(self.link.read, self.unit, group.function, group.address,
                                   group.count)
            for spec in group.members:
                result[spec.name] = Reading(spec.name, decode_value(spec, group.slice(spec, words)),
                                            spec.unit)
        return {q: result[q] for q in wanted}

    def control(self, action: str) -> ControlResult:
        spec = self.profile.actions.get(action)
        if action not in ACTIONS or spec is None:
            raise Unsupported(_("Profile {profile} has no action {action}").format(
                profile=self.profile.name, action=action))
        self._check_confidence(spec.confidence, action)
        try:
            self.link.write(self.unit, spec.function, spec.address, spec.values)
        except MeterRefused as exc:
            return ControlResult(action, accepted=False, confirmed=False, detail=str(exc))
        if spec.state is None or "relay" not in self.profile.quantities:
            return ControlResult(action, True, False, _(
                "Profile {profile} has no relay state register, so the action cannot be "
                "confirmed").format(profile=self.profile.name))
        state = ""
        for attempt in range(CONFIRM_READS):
            if attempt:
                time.sleep(CONFIRM_DELAY)
            state = str(self.read(["relay"])["relay"].value)
            if state == spec.state:
                return ControlResult(action, True, True)
        return ControlResult(action, True, False, _("The relay is still {state}").format(
            state=_(RELAY_TEXT.get(state, state))))

    def recharge(self, amount: Decimal, purchase_count: int) -> RechargeResult:
        purchase = self.profile.purchase
        if purchase is None:
            raise Unsupported(_("Profile {profile} cannot take purchases").format(
                profile=self.profile.name))
        try:
            raw_amount = Decimal(amount) / purchase.amount_scale
        except (InvalidOperation, TypeError):
            raw_amount = Decimal(-1)
        if not raw_amount.is_finite() or raw_amount <= 0 or raw_amount != int(raw_amount):
            raise InvalidInput(_("Purchase amount {amount} is not valid for this meter").format(
                amount=amount))
        if isinstance(purchase_count, bool) or not isinstance(purchase_count, int) \
                or purchase_count < 1:
            raise InvalidInput(_("Purchase count {count} is not valid").format(
                count=purchase_count))
        words = (int_to_words(int(raw_amount), purchase.amount_type, purchase.word_order)
                 + int_to_words(purchase_count, purchase.count_type, purchase.word_order))
        count, balance = self._purchase_state()
        if count >= purchase_count:          # the meter already has this purchase
            return RechargeResult(count, balance, applied=False)
        if count != purchase_count - 1:
            raise MeterRefused(_("Meter {unit} has purchase count {meter}; purchase {count} must "
                                 "wait for the ones before it").format(
                                     unit=self.unit, meter=count, count=purchase_count),
                               meter_count=count)
        self.link.write(self.unit, 16, purchase.address, words)
        count, balance = self._purchase_state()
        if count != purchase_count:
            raise MeterRefused(_("Meter {unit} did not apply purchase {count} (its count is "
                                 "{meter})").format(unit=self.unit, count=purchase_count,
                                                    meter=count))
        return RechargeResult(count, balance, applied=True)

    def _purchase_state(self) -> tuple[int, Decimal]:
        purchase = self.profile.purchase
        assert purchase is not None
        readings = self.read([purchase.count_quantity, purchase.balance_quantity])
        return (int(readings[purchase.count_quantity].value),
                Decimal(readings[purchase.balance_quantity].value))

    def sync_clock(self, when: datetime) -> None:
        clock = self.profile.clock
        if clock is None:
            raise Unsupported(_("Profile {profile} has no clock").format(
                profile=self.profile.name))
        words = [when.year, when.month, when.day, when.hour, when.minute, when.second]
        self.link.write(self.unit, 16, clock.address, words)

    def set_clock(self, when: datetime) -> dict[str, object]:
        """Write the clock registers, then read them back (within 5 s of what was written)."""
        naive = when.replace(tzinfo=None, microsecond=0)
        self.sync_clock(naive)
        back = self.read_clock()
        confirmed = abs((back - naive).total_seconds()) <= 5
        if not confirmed:
            raise MeterRefused(_("Meter {unit} took the clock write but reads back {back}").format(
                unit=self.unit, back=back.isoformat(sep=" ")))
        return {"method": "set", "confirmed": True, "clock": back.isoformat(sep=" ")}

    def read_clock(self) -> datetime:
        """The meter's clock (profiles with a clock)."""
        clock = self.profile.clock
        if clock is None:
            raise Unsupported(_("Profile {profile} has no clock").format(
                profile=self.profile.name))
        words = self.link.read(self.unit, clock.function, clock.address, 6)
        try:
            year, month, day, hour, minute, second = words
            return datetime(year, month, day, hour, minute, second)
        except ValueError:
            raise MeterRefused(_("Meter {unit} holds an invalid date and time").format(
                unit=self.unit)) from None

    def read_frozen(self, kind: str, index: int) -> dict[str, Reading]:
        raise Unsupported(_("Profile {profile} has no frozen readings").format(
            profile=self.profile.name))

    def _check_confidence(self, confidence: str, what: str) -> None:
        if confidence == "U" and not self.allow_unconfirmed:
            raise InvalidInput(_("Profile {profile} marks {what} as unconfirmed; set the meter "
                                 "option unconfirmed_registers=allow to use it").format(
                                     profile=self.profile.name, what=what))
