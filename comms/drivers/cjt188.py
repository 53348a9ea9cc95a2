"""MeterDriver for CJ/T 188-2004 water, gas and heat meters.

read() does one 901F read and offers volume (m3; the current cumulative flow of a water/gas meter,
the cumulative volume of a heat meter), valve (open/closed/abnormal from ST bits 0-1), status (ST
as 4 hex digits, wire order) and, for heat meters in Wh/kWh/MWh, energy (current heat in kWh).

control("valve-open" | "valve-close") writes A017 (55 open, 99 close); confirmed when a 901F
read back (polled a few times - valves take time to move; the reply ST may still show the
old state) shows the new state.

Options: meter_type (hex, 10 = cold water), di_order (big|little), timeout (1.5 s), retries (1),
valve_polls (3), valve_interval (1.0 s), preamble (4).
"""
from __future__ import annotations

import time
from collections.abc import Sequence

from comms.drivers.options import opt_float, opt_int, opt_str
from comms.errors import CommsError, MeterRefused, NoReply, ProtocolError, Unsupported
from comms.interfaces import QUANTITIES, ControlResult, MeterConfig, MeterDriver, Reading
from comms.links.transaction import Channel
from comms.protocols import cjt188
from comms.protocols.cjt188_data import MeterData, parse_meter_data, valve_state
from comms.steps import Exchange, Steps, run_sync
from resources.i18n import N_, _

OFFERED = ("volume", "valve", "status", "energy")
STATE_LABELS = {"open": N_("valve open"), "closed": N_("valve closed"),
                "abnormal": N_("valve abnormal")}


class _ValveThere(Exception):
    """The acknowledgement was lost or garbled but the valve is where it was sent."""


class CJT188Driver(MeterDriver):
    def __init__(self, config: MeterConfig, channel: Channel) -> None:
        super().__init__(config)
        self.channel = channel
        self.address = cjt188.WILDCARD if "A" in config.address.upper() else \
            config.address.strip().rjust(14, "0")
        cjt188.build_frame(0x10, self.address, cjt188.C_READ)      # validates the address
        self.meter_type = cjt188.parse_type(opt_str(config, "meter_type", "10"))
        self.di_order = opt_str(config, "di_order", "big")
        if self.di_order not in ("big", "little"):
            raise ProtocolError(_("Meter option di_order must be big or little"))
        self.timeout = opt_float(config, "timeout", 1.5)
        self.retries = opt_int(config, "retries", 1)
        self.preamble = opt_int(config, "preamble", 4)
        self._ser = 0

    def _next_ser(self) -> int:
        self._ser = (self._ser + 1) & 0xFF
        return self._ser

    def _transact(self, request: bytes, function: int, retries: int | None = None) -> cjt188.Frame:
        return run_sync(self._transact_steps(request, function, retries))

    def _transact_steps(self, request: bytes, function: int,
                        retries: int | None = None) -> Steps[cjt188.Frame]:
        """One exchange; the reply must come from this meter for this function and echo the
        request's SER (after DI in a normal reply, first in an error reply): a late reply to an
        earlier request is dropped, never taken as this one's answer."""
        ser = cjt188.parse_frame(request).data[2]

        def match(raw: bytes) -> bool:
            try:
                frame = cjt188.parse_frame(raw)
            except ProtocolError:
                return False
            if not cjt188.is_reply_to(frame, function, self.address):
                return False
            # an error reply is SER ST (3 bytes) on most meters, DI SER ST on some
            at = 0 if frame.error and len(frame.data) <= 3 else 2
            return frame.data[at:at + 1] == bytes([ser])
        raw = yield Exchange(self.channel, request, cjt188.extract_frame, match, self.timeout,
                             self.retries if retries is None else retries)
        return cjt188.raise_if_error(cjt188.parse_frame(raw))

    def read_data(self) -> MeterData:
        return run_sync(self.read_data_steps())

    def read_data_steps(self) -> Steps[MeterData]:
        """The decoded 901F metering data."""
        frame = yield from self._transact_steps(cjt188.read_request(self.meter_type, self.address, cjt188.DI_READ,
                                                   self._next_ser(), self.di_order,
                                                   self.preamble), cjt188.C_READ)
        data = parse_meter_data(frame.data)
        if data.di != cjt188.DI_READ:
            raise ProtocolError(_("Meter answered {got} to a request for {di}")
                                .format(got=data.di, di=cjt188.DI_READ))
        return data

    def _valve(self) -> tuple[str | None, CommsError | None]:
        try:
            return valve_state(self.read_data().status), None
        except (MeterRefused, NoReply, ProtocolError) as exc:
            return None, exc

    def _send_valve(self, want: str) -> None:
        """The A017 write, once; a lost or garbled acknowledgement is followed by reading the
        valve back, not by a blind re-send (see DLT645Driver._send_command)."""
        def send() -> None:
            request = cjt188.valve_request(self.meter_type, self.address, want == "open",
                                           self._next_ser(), self.di_order, self.preamble)
            frame = self._transact(request, cjt188.C_WRITE, retries=0)
            if len(frame.data) < 5:
                raise ProtocolError(_("Valve reply is too short"))
        try:
            send()
            return
        except (NoReply, ProtocolError) as exc:
            state, why = self._valve()
            if state == want:
                raise _ValveThere from exc
            if not isinstance(exc, NoReply) or why is not None:
                raise
        send()

    def read(self, quantities: Sequence[str]) -> dict[str, Reading]:
        return run_sync(self.read_steps(quantities))

    def read_steps(self, quantities: Sequence[str]) -> Steps[dict[str, Reading]]:
        for q in quantities:
            if q not in QUANTITIES:
                raise Unsupported(_("Unknown quantity {q}").format(q=q))
        wanted = [q for q in dict.fromkeys(quantities) if q in OFFERED]
        if not wanted:
            return {}
        data = yield from self.read_data_steps()
        out: dict[str, Reading] = {}
        for q in wanted:
            if q == "volume":
                value = data.volume.in_base()
                if value is not None and data.volume.unit in ("m3", "L"):
                    out[q] = Reading(q, value, QUANTITIES[q])
            elif q == "valve":
                out[q] = Reading(q, valve_state(data.status), None)
            elif q == "status":
                out[q] = Reading(q, data.status.hex().upper(), None)
            elif "current_heat" in data.fields:
                heat = data.fields["current_heat"]
                value = heat.in_base()
                if value is not None:
                    out[q] = Reading(q, value, "kWh")
        return out

    def control(self, action: str) -> ControlResult:
        if action not in ("valve-open", "valve-close"):
            raise Unsupported(_("Action {action} is not offered by {protocol}")
                              .format(action=action, protocol=self.config.protocol))
        want = "open" if action == "valve-open" else "closed"
        try:
            self._send_valve(want)
        except MeterRefused as exc:
            return ControlResult(action, False, False, str(exc))
        except _ValveThere:
            return ControlResult(action, True, True)
        polls = max(1, opt_int(self.config, "valve_polls", 3))
        interval = opt_float(self.config, "valve_interval", 1.0)
        state: str | None = want
        for attempt in range(polls):
            if attempt:
                time.sleep(interval)
            state, why = self._valve()
            if why is not None:
                return ControlResult(action, True, False, _(
                    "The meter accepted {action} but its state cannot be read back: {reason}")
                    .format(action=action, reason=why))
            if state == want:
                return ControlResult(action, True, True)
        return ControlResult(action, True, False, _(
            "The meter accepted {action} but reports {state}").format(
            action=action, state=_(STATE_LABELS[state or "abnormal"])))
