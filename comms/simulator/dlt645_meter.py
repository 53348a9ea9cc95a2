"""A simulated DL/T 645-2007 (or -1997) prepaid electricity meter.

Consumption advances with the clock at `kw` while the relay is closed and is booked on the current
tariff. A prepaid meter keeps a money balance that falls by energy x price and trips the relay at
<= 0 unless keep-power is on; a purchase (this project's own C=14 convention on 03330201, see comms.drivers.dlt645 -
no real meter takes it) adds money only when its count is the meter's count + 1, and closes a relay that
was open for lack of money; a refund is the same write with the amount's sign bit set and is
refused when the meter holds less. Standard C=14 writes of rate prices (040501xx), alarm amounts
and overdraft limit (04001001..03), date and time (04000101/02) are taken with the right password.
1C commands check the password level and password (ERR bit2 otherwise). Unknown DIs get ERR 02.
With split_blocks=True block reads come in two frames (B1, then 12 + SEQ -> 92). Frozen data
(daily 050601nn with its time 050600nn, monthly 000100nn) comes from freeze_daily()/
freeze_monthly() or, for demos, seed_history() (spec option frozen=DAYS).
"""
from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal

from comms.errors import ProtocolError
from comms.protocols import dlt645
from comms.protocols import dlt645_requests as rq
from comms.protocols.bcd import bcd_to_int, decode_bcd
from comms.protocols.dlt645_data import (
    STATUS3_COMMAND_OPEN,
    STATUS3_KEEP_POWER,
    STATUS3_PRE_TRIP,
    STATUS3_RELAY_OPEN,
    decode_value,
    di_from_bytes,
    encode_value,
    lookup,
    one,
)
from comms.simulator.base import Clock, WallClock, monotonic_clock

CENT, MILLI = Decimal("0.01"), Decimal("0.001")
RECHARGE_DI = "03330201"
# standard C=14 parameters this meter takes (protocols.md §1.9, §6)
WRITABLE = ("04000101", "04000102", *[f"0405010{i}" for i in range(1, 5)],
            *[f"0400100{i}" for i in range(1, 4)])


def _q(value: Decimal, step: Decimal) -> Decimal:
    return value.quantize(step, rounding=ROUND_DOWN)


class Dlt645Meter:
    def __init__(self, address: str, *, version: str = "2007", kw: Decimal | str = "1",
                 energy: Decimal | str = "0", balance: Decimal | str = "100",
                 price: Decimal | str = "1", prepaid: bool = True, clock: Clock | None = None,
                 password_level: str = "02", password: str = "000000", tariff: int = 1,
                 voltage: Decimal | str = "220.0", pf: Decimal | str = "0.950",
                 alarm_limit: Decimal | str = "10", split_blocks: bool = False,
                 preamble: int = 2) -> None:
        self.address = dlt645.address_to_wire_text(address)
        self.protocol = "dlt645-1997" if version == "1997" else "dlt645-2007"
        self.version = version
        self.wire = bytes.fromhex(self.address)[::-1]
        self.kw, self.price = Decimal(kw), Decimal(price)
        self.energy_t = {t: Decimal(0) for t in range(1, 5)}
        self.energy_t[tariff] = Decimal(energy)
        self.tariff = tariff
        self.balance, self.prepaid = Decimal(balance), prepaid
        self.voltage, self.pf = Decimal(voltage), Decimal(pf)
        self.alarm_limit = Decimal(alarm_limit)
        self.password_level, self.password = password_level.upper(), password.upper()
        self.relay_open = self.command_open = self.keep_power = False
        self.purchase_count = 0
        self.params: dict[str, Decimal | int | str] = {       # written by C=14 (prices, alarm amounts)
            **{f"0405010{i}": Decimal(price) for i in range(1, 5)},
            "04001001": Decimal(alarm_limit), "04001002": Decimal(0), "04001003": Decimal(0)}
        self.split_blocks, self.preamble = split_blocks, preamble
        self.daily_frozen: list[list[Decimal]] = []      # [0] = last-1
        self.daily_frozen_at: list[datetime] = []        # the meter's clock at each daily freeze
        self.monthly_frozen: list[Decimal] = []
        self.clock = clock or monotonic_clock
        self.wall = WallClock()
        self._last = self.clock()
        self._pending: bytes = b""
        self.missing: set[str] = set()       # DIs this meter does not have (ERR 02), e.g. 04000503
        self.commands_seen = 0               # 1C / 14 frames addressed to this meter
        # what this meter applied, in order (tests count applications per command): ("trip",),
        # ("close",), ("keep-power",), ("keep-power-off",), ("purchase", count, amount),
        # ("write", DI, value) for a standard parameter write (prices, alarm amounts)
        self.journal: list[tuple[object, ...]] = []
        self.lock = threading.RLock()
        self.advance()

    # -- physics -----------------------------------------------------------------------
    def advance(self) -> None:
        """Book the energy used since the last call."""
        with self.lock:
            now = self.clock()
            hours = max(Decimal(0), now - self._last) / 3600
            self._last = now
            if self.relay_open:
                return
            used = self.kw * hours
            self.energy_t[self.tariff] += used
            if self.prepaid:
                self.balance -= used * self.price
                if self.balance <= 0 and not self.keep_power:
                    self.relay_open = True

    @property
    def energy(self) -> Decimal:
        return sum(self.energy_t.values(), Decimal(0))

    def freeze_daily(self, at: datetime | None = None) -> None:
        """Freeze today's energies (as the meter does at 00:00); `at` is the freeze time."""
        with self.lock:
            self.advance()
            self.daily_frozen.insert(0, self.energy_block())
            when = at or self.wall.now()
            self.daily_frozen_at.insert(0, when.replace(second=0, microsecond=0))

    def freeze_monthly(self) -> None:
        with self.lock:
            self.advance()
            self.monthly_frozen.insert(0, _q(self.energy, CENT))

    def seed_history(self, days: int, months: int = 0) -> None:
        """Made-up frozen data as if the meter had run at `kw` for a while: daily freezes at
        00:00 of the last `days` days, settlement values of the last `months` month starts."""
        with self.lock:
            self.advance()
            now = self.wall.now()
            midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)

            def block_at(when: datetime) -> list[Decimal]:
                used = self.kw * Decimal((now - when).total_seconds()) / 3600
                total = max(Decimal(0), self.energy - used)
                tariffs = [Decimal(0)] * 4
                tariffs[self.tariff - 1] = total
                return [_q(total, CENT)] + [_q(t, CENT) for t in tariffs]

            self.daily_frozen_at = [midnight - timedelta(days=d) for d in range(min(days, 62))]
            self.daily_frozen = [block_at(at) for at in self.daily_frozen_at]
            starts, first = [], midnight.replace(day=1)
            for _m in range(min(months, 12)):
                starts.append(first)
                first = (first - timedelta(days=1)).replace(day=1)
            self.monthly_frozen = [block_at(at)[0] for at in starts]

    def energy_block(self) -> list[Decimal]:
        return [_q(self.energy, CENT)] + [_q(self.energy_t[t], CENT) for t in range(1, 5)]

    def status3(self) -> int:
        word = 0x0200 if self.prepaid else 0
        if self.relay_open:
            word |= STATUS3_RELAY_OPEN
        if self.command_open:
            word |= STATUS3_COMMAND_OPEN
        if self.prepaid and self.balance <= self.alarm_limit:
            word |= STATUS3_PRE_TRIP
        if self.keep_power:
            word |= STATUS3_KEEP_POWER
        return word

    def value(self, di: str) -> object:
        """The current value of a DI (None: no such data)."""
        if di in self.missing:
            return None
        power = Decimal(0) if self.relay_open else self.kw
        current = _q(power * 1000 / (self.voltage * self.pf), MILLI)
        block = self.energy_block()
        common = {"energy": block[0], "voltage": self.voltage, "current": current,
                  "power": _q(power, Decimal("0.0001")), "pf": self.pf}
        if self.version == "1997":
            values = {"9010": block[0], "901F": block, "B611": _q(self.voltage, Decimal(1)),
                      "B621": _q(current, CENT), "B630": common["power"], "B650": self.pf,
                      "C010": self.wall.now(), "C011": self.wall.now(), "C032": self.address,
                      **{f"901{t}": block[t] for t in range(1, 5)}}
            return values.get(di)
        n = int(di[6:], 16)
        if di.startswith("050601") and 1 <= n <= len(self.daily_frozen):
            return self.daily_frozen[n - 1]
        if di.startswith("050600") and 1 <= n <= len(self.daily_frozen_at):
            return self.daily_frozen_at[n - 1]
        if di.startswith("000100") and 1 <= n <= len(self.monthly_frozen):
            return self.monthly_frozen[n - 1]
        money = _q(self.balance, CENT)
        values = {
            "00010000": block[0], "00000000": block[0], "0001FF00": block, "0000FF00": block,
            "00020000": Decimal(0), "02010100": self.voltage, "0201FF00": [self.voltage, None, None],
            "02020100": current, "02030000": common["power"], "02060000": self.pf,
            "02800002": Decimal("50.00"), "04000101": self.wall.now(), "04000102": self.wall.now(),
            "04000401": self.address, "04000402": self.address, "04000501": "0000",
            "04000503": f"{self.status3():04X}",
            **{f"00010{t}00": block[t] for t in range(1, 5)}, **self.params,
        }
        if self.prepaid:
            values.update({"00900200": max(money, Decimal(0)), "00900201": max(-money, Decimal(0)),
                           "03330201": self.purchase_count})
        return values.get(di)

    # -- protocol ----------------------------------------------------------------------
    def extract_frame(self, buf: bytes) -> tuple[bytes | None, int]:
        return dlt645.extract_frame(buf)

    @staticmethod
    def route(frame: bytes) -> bytes | None:
        """The wire address a frame (from extract_frame) is for; None for AA wildcards and the
        99..99 broadcast (every meter must see those)."""
        wire = bytes(frame[1:7])
        return None if len(wire) < 6 or 0xAA in wire or wire == b"\x99" * 6 else wire

    @staticmethod
    def is_command(frame: bytes) -> bool:
        """A remote-control (1C) or write (14) request: what "garbled-ack" garbles the reply of."""
        return len(frame) > 8 and frame[8] in (0x1C, 0x14)

    def _addressed(self, wire: bytes) -> bool:
        """Own address, or AA wildcards in place of some pairs (short addressing)."""
        return all(w in (0xAA, o) for w, o in zip(wire, self.wire, strict=True))

    def _reply(self, control: int, data: bytes = b"") -> bytes:
        return dlt645.build_frame(self.wire, control, data, self.preamble)

    def _error(self, function: int, err: int) -> bytes:
        return self._reply(0xC0 | function, bytes([err]))

    def handle(self, raw: bytes) -> bytes | None:
        try:
            frame = dlt645.parse_frame(raw)
        except ProtocolError:
            return None
        with self.lock:
            self.advance()
            fn = frame.function
            if frame.ctrl.from_slave:
                return None
            if frame.address_wire == b"\x99" * 6:
                if fn == 0x08 and len(frame.data) == 6:
                    when = rq.time_from_bytes(frame.data)
                    if when:
                        self.wall.set(when)
                return None
            if not self._addressed(frame.address_wire):
                return None
            if fn == 0x13 and self.version == "2007":
                return self._reply(0x93, self.wire)
            try:
                return self._dispatch(frame)
            except ProtocolError:
                return self._error(fn, 0x01)

    def _dispatch(self, frame: dlt645.Frame) -> bytes | None:
        fn = frame.function
        if self.version == "1997":
            if fn != 0x01 or len(frame.data) != 2:
                return self._error(fn, 0x01)
            return self._read(frame.data[:2], 0x81)
        if fn == 0x11 and len(frame.data) >= 4:
            return self._read(frame.data[:4], 0x91)
        if fn == 0x12 and len(frame.data) == 5:
            return self._follow_up(frame.data[:4], frame.data[4])
        if fn == 0x1C:
            self.commands_seen += 1
            return self._control(frame)
        if fn == 0x14:
            self.commands_seen += 1
            return self._write(frame)
        return self._error(fn, 0x01)

    def _encoded(self, di_wire: bytes) -> bytes | None:
        di = di_from_bytes(di_wire)
        item, value = lookup(di, self.version), self.value(di)
        if item is None or value is None:
            return None
        return encode_value(item, value)

    def _read(self, di_wire: bytes, control: int) -> bytes:
        data = self._encoded(di_wire)
        if data is None:
            return self._error(control & 0x1F, 0x02)
        item = lookup(di_from_bytes(di_wire), self.version)
        if self.split_blocks and item is not None and item.count > 1 and len(data) > item.length:
            self._pending = data[2 * item.length:]
            return self._reply(control | 0x20, di_wire + data[:2 * item.length])
        return self._reply(control, di_wire + data)

    def _follow_up(self, di_wire: bytes, seq: int) -> bytes:
        rest, self._pending = self._pending, b""
        if not rest or seq != 1:
            return self._error(0x12, 0x02)
        return self._reply(0x92, di_wire + rest + bytes([seq]))

    def _authorised(self, cred: rq.Credentials) -> bool:
        return cred.level == self.password_level and cred.password == self.password

    def _control(self, frame: dlt645.Frame) -> bytes:
        cred, code, until = rq.parse_control(frame)
        if not self._authorised(cred):
            return self._error(0x1C, 0x04)
        if until is not None and until < self.wall.now():
            return self._error(0x1C, 0x01)
        if code == 0x1A:
            if self.keep_power:
                return self._error(0x1C, 0x01)
            self.relay_open = self.command_open = True
            self.journal.append(("trip",))
        elif code in (0x1B, 0x1C):
            self.journal.append(("close",))
            self.command_open = False
            if not self.prepaid or self.balance > 0 or self.keep_power:
                self.relay_open = False
        elif code == 0x3A:
            self.keep_power = True
            self.journal.append(("keep-power",))
            if not self.command_open:
                self.relay_open = False
        elif code == 0x3B:
            self.keep_power = False
            self.journal.append(("keep-power-off",))
            self.advance()
        elif code not in (0x2A, 0x2B):
            return self._error(0x1C, 0x01)
        return self._reply(0x9C)

    def _write(self, frame: dlt645.Frame) -> bytes:
        """C=14: standard parameter writes (rate prices, alarm amounts, overdraft limit, date,
        time) and this project's own purchase convention on 03330201. Wrong password level or
        password: ERR bit2 (04); a DI the meter does not take: ERR bit1 (02)."""
        di, cred, payload = rq.parse_write(frame)
        if not self._authorised(cred):
            return self._error(0x14, 0x04)
        if di == RECHARGE_DI and self.prepaid and len(payload) == 6:
            return self._purchase(payload)
        item = lookup(di, self.version)
        if di not in WRITABLE or di in self.missing or item is None or len(payload) != item.length:
            return self._error(0x14, 0x02)
        value = one(decode_value(item, payload))
        if value is None:
            return self._error(0x14, 0x01)
        if di == "04000101":
            now = self.wall.now()
            self.wall.set(datetime.combine(date.fromisoformat(str(value)[:10]), now.time()))
        elif di == "04000102":
            now = self.wall.now()
            self.wall.set(datetime.combine(now.date(), time.fromisoformat(str(value))))
        else:
            self.params[di] = value
            self.journal.append(("write", di, str(value)))
            if di == "04001001" and isinstance(value, Decimal):
                self.alarm_limit = value
            if di == f"0405010{self.tariff}" and isinstance(value, Decimal):
                self.price = value
        return self._reply(0x94)

    def _purchase(self, payload: bytes) -> bytes:
        amount, count = decode_bcd(payload[:4], 2, True), bcd_to_int(payload[4:6])
        if count != self.purchase_count + 1 or amount == 0 or self.balance + amount < 0:
            return self._error(0x14, 0x01)      # a refund never takes more than the meter holds
        self.balance += amount
        self.purchase_count = count
        self.journal.append(("purchase", count, amount))
        if self.balance > 0 and not self.command_open:
            self.relay_open = False
        return self._reply(0x94)
