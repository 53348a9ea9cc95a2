"""MeterDriver for DL/T 645-2007 and -1997 electricity meters.

Reads map quantities to data identifiers (QUANTITY_DI); several energies at once use the
0001FF00 / 901F block. Quantities the protocol does not offer, or that the meter answers with
"no such data" (ERR bit1), are left out of read()'s result; every other fault raises.

Control uses the plain-text 1C command (trip 1A, close 1C or 1B by option close_code,
keep-power 3A/3B) with the meter's password level, password and operator code, valid for
`control_valid_minutes`, then polls status word 3 (04000503) until bit4 (relay open) or bit12
(keep-power) shows the new state. Outcomes (ControlResult.status): confirmed; unconfirmed (the
meter acknowledged, but its state did not change or cannot be read back - a meter without
status word 3); refused (an error reply, its ERR word in words). A lost or garbled
acknowledgement is never followed by a blind re-send: the state is read back first (done:
confirmed; readable and not done after silence: sent once more; else NoReply / ProtocolError).

Purchase and refund: DL/T 645-2007 has NO standard plain-text purchase (03330201 is a read-only
purchase record; real prepaid meters take purchases through ESAM security commands C=03
070102FF - see comms/protocols/security.py). recharge()/refund() speak only THIS PROJECT'S OWN convention
of its simulated meter (comms.simulator.dlt645_meter; capability model
resources/capabilities/meterstation-sim-dlt645.json): a C=14 write to DI 03330201 of amount
XXXXXX.XX (sign bit set for a refund) then the purchase count NNNN, applied only when count ==
the meter's count + 1, confirmed by reading the count back. Meters of other models are refused
before anything is sent (models/capabilities.py).

Parameter writes (standard C=14 with PA, password and operator code, protocols.md §1.6 / §6):
rate prices 04050101..04, alarm amounts 04001001/04001002, overdraft limit 04001003, each read
back with C=11 and compared. Clock: C=14 writes of 04000101 (date+weekday) and 04000102 (time),
read back; when the meter refuses the write (password level) the broadcast C=08 is the
fallback, sent only when the meter's clock is within BROADCAST_WINDOW of ours and not near
midnight, then read back.

Options: password_level (02), password (000000), operator (00000000), timeout (1.5 s),
retries (1), close_code (1C), control_valid_minutes (1440), confirm_polls (5),
confirm_interval (0.5 s), preamble (4).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from comms.drivers.dlt645_plans import (
    DI_TABLES,
    READ_FRAMES,
    UNSET,
    WANTED,
    Echo,
    ReplyCheck,
    Unset,
    di_info,
    di_table,
    echo_of,
    link_options,
    no_data,
)
from comms.drivers.dlt645_writes import Dlt645Writes
from comms.drivers.options import opt_float, opt_int, opt_str
from comms.errors import CommsError, MeterRefused, NoReply, ProtocolError, Unsupported
from comms.interfaces import QUANTITIES, ControlResult, MeterConfig, MeterDriver, Reading
from comms.links.transaction import Channel
from comms.protocols import dlt645
from comms.protocols import dlt645_requests as rq
from comms.protocols.bcd import address_to_wire, wire_to_address
from comms.protocols.dlt645_data import (
    Decoded,
    Element,
    decode_value,
    many,
    one,
    status3_flags,
)
from comms.steps import Exchange, Steps, run_sync
from resources.i18n import N_, _

ENERGIES = ("energy", "energy_t1", "energy_t2", "energy_t3", "energy_t4")
QUANTITY_DI = {
    "2007": {"energy": "00010000", **{f"energy_t{t}": f"00010{t}00" for t in range(1, 5)},
             "voltage": "02010100", "current": "02020100", "power": "02030000", "pf": "02060000",
             "frequency": "02800002", "balance": "00900200", "relay": "04000503",
             "status": "04000503", "purchase_count": "03330201"},
    "1997": {"energy": "9010", **{f"energy_t{t}": f"901{t}" for t in range(1, 5)},
             "voltage": "B611", "current": "B621", "power": "B630", "pf": "B650"},
}
BLOCK_DI = {"2007": "0001FF00", "1997": "901F"}
NOT_CONFIRMED = {
    "trip": N_("The meter accepted the trip command but its relay is still closed"),
    "close": N_("The meter accepted the close command but its relay is still open (no credit "
                "left, or the customer must press the button on the meter)"),
    "keep-power": N_("The meter accepted keep-power but its status does not show it"),
    "keep-power-off": N_("The meter accepted keep-power-off but its status still shows "
                         "keep-power"),
}
ACTION_CODES = {"trip": "trip", "keep-power": "keep-power", "keep-power-off": "keep-power-off"}


class _ActedAnyway(Exception):
    """The acknowledgement was lost or garbled but the meter's state shows the command done."""


class DLT645Driver(Dlt645Writes, MeterDriver):
    def __init__(self, config: MeterConfig, channel: Channel, version: str = "2007",
                 now: Callable[[], datetime] = datetime.now) -> None:
        # MeterDriver.__init__'s one assignment, without its call (Dlt645Writes has no __init__):
        # a first poll cycle builds 10,000 drivers
        self.config = config
        self.channel = channel
        self.version = version
        self.now = now
        wire = address_to_wire(config.address, dlt645.ADDRESS_LEN)
        text = wire[::-1].hex()                      # wire_to_address's usual case, without its call
        self.address = text if text.isdigit() else wire_to_address(wire)   # = address_to_wire_text
        # the wire bytes replies are matched on (None: a wildcard or broadcast address)
        self.wire = None if "A" in self.address.upper() or self.address == dlt645.BROADCAST else wire
        # what every reply from this meter starts with: 68 A0..A5 68 (None: match by parsing)
        self._header = None if self.wire is None else b"\x68" + self.wire + b"\x68"
        self._fn = dlt645.F1997 if version == "1997" else dlt645.F2007
        self.timeout, self.retries, self.preamble = link_options(config)
        # DI -> its read request: the same every poll. Plain bytes, which the cyclic collector does
        # not track (a driver lives per meter; the GUI thread's full collection walks whatever
        # 10,000 of them keep): the exchange and its check are per read; what a DI is, the same
        # for every meter, is in the version's shared table
        self._reads: dict[str, bytes] = {}
        table = DI_TABLES.get(version)             # shared by every driver of the version
        self._di_table = table if table is not None else di_table(version)
        self._echoes: dict[tuple[bytes, int], Echo] | None = None   # other exchanges' (made on first use)

    # -- transactions ----------------------------------------------------------------
    def _transact(self, request: bytes, function: int, retries: int | None = None) -> dlt645.Frame:
        return run_sync(self._transact_steps(request, function, retries))

    def _transact_steps(self, request: bytes, function: int, retries: int | None = None,
                        echo: Echo | Unset = UNSET) -> Steps[dlt645.Frame]:
        """One exchange; the reply must come from this meter, for this function and - for reads -
        carry the DI (and SEQ) asked for: a late reply to an earlier request is dropped. `echo`
        (what a normal reply's data must start / end with) is worked out from the request when
        the caller does not know it."""
        if echo is UNSET:
            echoes = self._echoes
            if echoes is None:
                echoes = self._echoes = {}
            echo = echoes.get((request, function), UNSET)
            if echo is UNSET:
                echo = echo_of(request, function, self.version)
                if len(echoes) < 64:
                    echoes[(request, function)] = echo
        check = ReplyCheck(self._header, self.address, function, echo)
        raw = yield Exchange(self.channel, request, dlt645.extract_frame, check.match,
                             self.timeout, self.retries if retries is None else retries)
        return check.accepted(raw)

    def read_di(self, di: str) -> Decoded:
        result: Decoded = run_sync(self.read_di_steps(di))
        return result

    def _read_plan(self, di: str) -> bytes:
        _item, raw_di, _echoed = di_info(di, self.version)
        wire = self.wire
        if wire is None:                            # a wildcard or broadcast address
            request = dlt645.build_frame(self.address, self._fn["read"], raw_di, self.preamble)
        else:                                       # build_frame's bytes, from the DI's shared parts
            key = (self._fn["read"], raw_di, self.preamble)
            parts = READ_FRAMES.get(key)
            if parts is None:
                parts = dlt645.frame_parts(*key)
                if len(READ_FRAMES) < 4096:
                    READ_FRAMES[key] = parts
            head, tail, total = parts
            request = b"".join((head, wire, tail, bytes(((total + sum(wire)) & 0xFF, dlt645.END))))
        self._reads[di] = request
        return request

    def read_di_steps(self, di: str) -> Steps[Decoded]:
        """The decoded value of one data identifier (follow-up frames joined)."""
        request = self._reads.get(di)
        if request is None:
            request = self._read_plan(di)   # once per DI: the same request every poll
        info = self._di_table.get(di)       # di_info's cache, without the call
        item, raw_di, echoed = info if info is not None else di_info(di, self.version)
        check = ReplyCheck(self._header, self.address, self._fn["read"], (raw_di, None))
        raw = yield Exchange(self.channel, request, dlt645.extract_frame, check.match, self.timeout,
                             self.retries)
        frame = check.frame
        if frame is not None and frame.control == check.reply and echoed:
            # the usual reply: normal, no follow-up, parsed by check.match, which made sure its data
            # starts with raw_di - read_reply_parts' (got, data, more) without the calls
            got, data, more = item.di, frame.data[len(raw_di):], False
        else:
            frame = check.accepted(raw)
            got, data, more, _seq = rq.read_reply_parts(frame, self.version)
        seq = 0
        while more and seq < 16:
            seq += 1
            frame = yield from self._transact_steps(
                rq.read_more_request(self.address, di, seq, self.version, self.preamble), self._fn["read_more"],
                None, (raw_di, None if self.version == "1997" else bytes([seq])))
            got, part, more, _seq = rq.read_reply_parts(frame, self.version)
            data += part
        if got != item.di:
            raise ProtocolError(_("Meter answered {got} to a request for {di}")
                                .format(got=got, di=item.di))
        return decode_value(item, data)

    def _try_di(self, di: str) -> Decoded:
        result: Decoded = run_sync(self._try_di_steps(di))
        return result

    def _try_di_steps(self, di: str) -> Steps[Decoded]:
        """Like read_di, but None when the meter has no such data."""
        try:
            return (yield from self.read_di_steps(di))
        except MeterRefused as exc:
            if no_data(exc):
                return None
            raise

    # -- MeterDriver -----------------------------------------------------------------
    def read(self, quantities: Sequence[str]) -> dict[str, Reading]:
        return run_sync(self.read_steps(quantities))

    def read_steps(self, quantities: Sequence[str]) -> Steps[dict[str, Reading]]:
        table = QUANTITY_DI[self.version]
        key = (self.version, tuple(quantities))
        known = WANTED.get(key)
        if known is None:           # the poller asks every meter the same quantities every time
            for q in key[1]:
                if q not in QUANTITIES:
                    raise Unsupported(_("Unknown quantity {q}").format(q=q))
            wanted = [q for q in dict.fromkeys(key[1]) if q in table]
            known = (wanted, [q for q in wanted if q in ENERGIES])
            if len(WANTED) < 256:
                WANTED[key] = known
        wanted, energies = known
        out: dict[str, Reading] = {}
        if len(energies) > 1:
            block = many((yield from self._try_di_steps(BLOCK_DI[self.version])))
            for q, value in zip(ENERGIES, block, strict=False):
                if q in energies and value is not None:
                    out[q] = Reading(q, value, "kWh")
        status_word: Element = None
        for q in wanted:
            if q in out:
                continue
            if q in ("relay", "status"):
                if status_word is None:
                    status_word = one((yield from self._try_di_steps(table[q])))
                if status_word is not None:
                    value = status_word if q == "status" else \
                        ("open" if status3_flags(status_word)["relay_open"] else "closed")
                    out[q] = Reading(q, value, QUANTITIES[q])
                continue
            try:                    # _try_di_steps without a generator more per read
                decoded = yield from self.read_di_steps(table[q])
                # one() written out: a call less per read
                assert not isinstance(decoded, list), "a block data identifier where one element was expected"
                value = decoded
            except MeterRefused as exc:
                if not no_data(exc):
                    raise
                value = None
            if q == "balance" and value == 0:
                overdraft = one((yield from self._try_di_steps("00900201")))
                value = -overdraft if isinstance(overdraft, (Decimal, int)) and overdraft else value
            if value is not None:
                out[q] = Reading(q, value, QUANTITIES[q])
        return out

    def _credentials(self) -> dict[str, str]:
        return {"level": opt_str(self.config, "password_level", "02"),
                "password": opt_str(self.config, "password", "000000"),
                "operator": opt_str(self.config, "operator", "00000000")}

    def _status3(self) -> dict[str, bool]:
        word = one(self.read_di("04000503"))
        if word is None:
            raise ProtocolError(_("The meter returned a value that is not a number"))
        return status3_flags(word)

    def _state(self, key: str) -> tuple[bool | None, CommsError | None]:
        """(flag of status word 3, None), or (None, why it cannot be read)."""
        try:
            return self._status3()[key], None
        except (MeterRefused, NoReply, ProtocolError) as exc:
            return None, exc

    def control(self, action: str) -> ControlResult:
        if self.version == "1997" or action not in ("trip", "close", "keep-power",
                                                     "keep-power-off"):
            raise Unsupported(_("Action {action} is not offered by {protocol}")
                              .format(action=action, protocol=self.config.protocol))
        code: str | int = ACTION_CODES.get(action, "")
        if action == "close":
            code = opt_str(self.config, "close_code", "1C").upper()
            if code not in ("1B", "1C"):
                raise ProtocolError(_("Meter option close_code must be 1B or 1C"))
            code = int(code, 16)
        minutes = opt_int(self.config, "control_valid_minutes", 1440)
        request = rq.control_request(self.address, code, **self._credentials(),
                                     valid_until=self.now() + timedelta(minutes=minutes),
                                     preamble=self.preamble)
        key, want = {"trip": ("relay_open", True), "close": ("relay_open", False),
                     "keep-power": ("keep_power", True),
                     "keep-power-off": ("keep_power", False)}[action]
        try:
            self._send_command(request, key, want)
        except MeterRefused as exc:
            return ControlResult(action, False, False, str(exc))
        except _ActedAnyway:
            return ControlResult(action, True, True)
        polls = max(1, opt_int(self.config, "confirm_polls", 5))
        interval = opt_float(self.config, "confirm_interval", 0.5)
        for attempt in range(polls):
            if attempt:
                time.sleep(interval)
            state, why = self._state(key)
            if why is not None:
                reason = dlt645.err_text(dlt645.err_code(why)) if isinstance(why, MeterRefused) \
                    and "err" in why.details else str(why)
                return ControlResult(action, True, False, _(
                    "The meter accepted {action} but its state cannot be read back: {reason}")
                    .format(action=action, reason=reason))
            if state == want:
                return ControlResult(action, True, True)
        return ControlResult(action, True, False, _(NOT_CONFIRMED[action]))

    def _send_command(self, request: bytes, key: str, want: bool) -> None:
        """Send a 1C command once. No blind re-send: when the acknowledgement is lost or
        garbled the meter may have acted, so its state is read back - already there: the
        command worked (_ActedAnyway); a lost acknowledgement on a meter that answers the
        read-back and has not acted: sent once more; otherwise the NoReply/ProtocolError."""
        function = dlt645.F2007["control"]
        try:
            self._transact(request, function, retries=0)
            return
        except (NoReply, ProtocolError) as exc:
            state, why = self._state(key)
            if state == want:
                raise _ActedAnyway from exc
            if not isinstance(exc, NoReply) or why is not None:
                raise
        self._transact(request, function, retries=0)

    def _balance(self) -> Decimal:
        reading = self.read(["balance"]).get("balance")
        if reading is None:
            raise MeterRefused(_("Meter {address} does not report a balance")
                               .format(address=self.address))
        return Decimal(reading.value)

    def sync_clock(self, when: datetime) -> None:
        self.channel.send_only(rq.broadcast_time_request(when, self.preamble))

    def read_frozen(self, kind: str, index: int) -> dict[str, Reading]:
        if self.version == "1997":
            raise Unsupported(_("Frozen data is not offered by {protocol}")
                              .format(protocol=self.config.protocol))
        frozen_at: Element = None
        if kind == "daily" and 1 <= index <= 62:
            values = many(self.read_di(f"050601{index:02X}"))
            frozen_at = one(self._try_di(f"050600{index:02X}"))     # "YYYY-MM-DD hh:mm" of the freeze
        elif kind == "monthly" and 1 <= index <= 12:
            values = [one(self.read_di(f"000100{index:02X}"))]
        else:
            raise Unsupported(_("Frozen data {kind} {index} does not exist")
                              .format(kind=kind, index=index))
        out = {q: Reading(q, v, "kWh") for q, v in zip(ENERGIES, values, strict=False) if v is not None}
        if frozen_at is not None:
            out["frozen_at"] = Reading("frozen_at", frozen_at, None)
        return out
