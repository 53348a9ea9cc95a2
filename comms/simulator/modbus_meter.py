"""Simulated Modbus meters for the project's simulator bus and for pymodbus's own server.

RegisterModel: a profile's registers holding fixed values (any shipped profile).
PrepaidModel: the meterstation-sim-prepaid meter: energy advances with a clock callable at a
    set load while the relay is closed, the balance falls at the unit price, the relay trips at
    a balance <= 0, a purchase is applied once by its count, the relay obeys trip/close, and the
    clock can be set.
ModbusMeter: a meter for the simulator Bus (`address`, `extract_frame(buf)`,
    `handle(frame) -> reply | None`): it answers only its unit id, decoding requests and encoding
    replies with pymodbus's PDU classes and RTU framer. Built by the simulator spec
    ("modbus:1-3/profile=eastron-sdm630/voltage=230.2" or "modbus:5/balance=20/kw=3").
comms/simulator/modbus_server.py serves the same models through pymodbus's ModbusTcpServer.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from pymodbus.constants import ExcCodes
from pymodbus.pdu import ExceptionResponse, ModbusPDU
from pymodbus.pdu.register_message import (
    ReadHoldingRegistersResponse,
    ReadInputRegistersResponse,
    WriteMultipleRegistersResponse,
    WriteSingleRegisterResponse,
)

from comms.errors import ProtocolError
from comms.protocols.modbus_profile_schema import load_profile
from comms.protocols.modbus_profiles import Profile
from comms.protocols.modbus_rtu import SERVER_DECODER, decode_frame, encode_frame, find_rtu_frame
from comms.protocols.modbus_values import encode_value, words_to_int
from models.errors import InvalidInput
from resources.i18n import _

PREPAID = "meterstation-sim-prepaid"
RELAY_COMMAND, TRIP, CLOSE = 0x0016, 1, 2


class RegisterModel:
    """A meter's register image: {function (3 or 4): {address: word}}, thread-safe."""

    def __init__(self, profile: Profile | str,
                 values: Mapping[str, Decimal | str] | None = None) -> None:
        values = values or {}
        self.profile = load_profile(profile) if isinstance(profile, str) else profile
        self.lock = threading.RLock()
        self.image: dict[int, dict[int, int]] = {3: {}, 4: {}}
        for name, spec in self.profile.quantities.items():
            default = next(iter(spec.states.values())) if spec.states else Decimal(0)
            self.put(name, values.get(name, default))

    def put(self, name: str, value: Decimal | str) -> None:
        spec = self.profile.quantities[name]
        words = encode_value(spec, value)
        with self.lock:
            for i, word in enumerate(words):
                self.image[spec.function][spec.address + i] = word

    def refresh(self) -> None:
        """Bring the image up to date before an access (dynamic models)."""

    def read(self, function: int, address: int, count: int) -> list[int] | ExcCodes:
        with self.lock:
            self.refresh()
            block = self.image[function]
            if any(address + i not in block for i in range(count)):
                return ExcCodes.ILLEGAL_ADDRESS
            return [block[address + i] for i in range(count)]

    def write(self, address: int, values: list[int]) -> ExcCodes | None:
        with self.lock:
            self.refresh()
            if any(address + i not in self.image[3] for i in range(len(values))):
                return ExcCodes.ILLEGAL_ADDRESS
            for i, word in enumerate(values):
                self.image[3][address + i] = word
            return None


class PrepaidModel(RegisterModel):
    """The project's simulated prepaid meter (profile meterstation-sim-prepaid)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic,
                 balance: Decimal = Decimal("100.00"), price: Decimal = Decimal("0.5000"),
                 load_kw: Decimal = Decimal("2.000"), energy: Decimal = Decimal("0"),
                 purchase_count: int = 0, tariff: int = 3, now: datetime | None = None) -> None:
        super().__init__(PREPAID, {"voltage": Decimal("230.0"), "frequency": Decimal("50.00"),
                                   "pf": Decimal("1.000")})
        self.clock = clock
        self.balance, self.price, self.load_kw = Decimal(balance), Decimal(price), Decimal(load_kw)
        self.energy = {0: Decimal(energy), 1: Decimal(0), 2: Decimal(0), 3: Decimal(0),
                       4: Decimal(0)}
        self.energy[tariff] = Decimal(energy)
        self.tariff, self.purchase_count = tariff, purchase_count
        self.relay, self.trip_reason = "closed", ""
        self._last = clock()
        self._clock_base = (now or datetime.now().replace(microsecond=0), self._last)
        self.image[3][RELAY_COMMAND] = 0
        purchase, clock_spec = self.profile.purchase, self.profile.clock
        assert purchase is not None and clock_spec is not None
        for addr in range(purchase.address, purchase.address + purchase.words):
            self.image[3][addr] = 0
        self._purchase_at, self._clock_at = purchase.address, clock_spec.address
        self.refresh()
        if self.balance <= 0:
            self.relay, self.trip_reason = "open", "arrears"

    def now(self) -> datetime:
        base, at = self._clock_base
        return base + timedelta(seconds=int(self.clock() - at))

    def refresh(self) -> None:
        with self.lock:
            now = self.clock()
            elapsed, self._last = Decimal(str(max(0.0, now - self._last))), now
            if self.relay == "closed" and self.load_kw > 0 and elapsed:
                used = self.load_kw * elapsed / 3600
                if self.price > 0 and used * self.price >= self.balance:
                    used = max(Decimal(0), self.balance / self.price)  # trips when money runs out
                    self.balance = min(self.balance, Decimal(0))
                    self.relay, self.trip_reason = "open", "arrears"
                else:
                    self.balance -= used * self.price
                self.energy[0] += used
                self.energy[self.tariff] += used
            self._show()

    def _show(self) -> None:
        cent, milli = Decimal("0.01"), Decimal("0.001")
        for i, name in enumerate(("energy", "energy_t1", "energy_t2", "energy_t3", "energy_t4")):
            self.put(name, self.energy[i].quantize(cent, ROUND_FLOOR))
        closed = self.relay == "closed"
        power = self.load_kw if closed else Decimal(0)
        self.put("power", power.quantize(milli))
        self.put("current", (power * 1000 / Decimal("230.0")).quantize(cent, ROUND_FLOOR))
        self.put("relay", self.relay)
        self.put("balance", self.balance.quantize(cent, ROUND_FLOOR))
        self.put("purchase_count", Decimal(self.purchase_count))
        self.put("price", self.price)
        now = self.now()
        for i, part in enumerate((now.year, now.month, now.day, now.hour, now.minute, now.second)):
            self.image[3][self._clock_at + i] = part

    def write(self, address: int, values: list[int]) -> ExcCodes | None:
        with self.lock:
            self.refresh()
            if address == RELAY_COMMAND and len(values) == 1:
                refused = self._command(values[0])
            elif address == self._purchase_at and len(values) == 4:
                refused = self._purchase(values)
            elif address == self._clock_at and len(values) == 6:
                return self._set_clock(values)
            else:
                return ExcCodes.ILLEGAL_ADDRESS
            if refused is None:     # the command and purchase registers read back the last write
                for i, word in enumerate(values):
                    self.image[3][address + i] = word
            return refused

    def _set_clock(self, words: list[int]) -> ExcCodes | None:
        try:
            y, mo, d, h, mi, s = words
            self._clock_base = (datetime(y, mo, d, h, mi, s), self.clock())
        except ValueError:
            return ExcCodes.ILLEGAL_VALUE
        self._show()
        return None

    def _command(self, word: int) -> ExcCodes | None:
        if word == TRIP:
            self.relay, self.trip_reason = "open", "command"
        elif word == CLOSE:
            if self.balance > 0:      # no money: the relay stays open (write acknowledged)
                self.relay, self.trip_reason = "closed", ""
        else:
            return ExcCodes.ILLEGAL_VALUE
        self._show()
        return None

    def _purchase(self, words: list[int]) -> ExcCodes | None:
        spec = self.profile.purchase
        assert spec is not None
        split = 2 if spec.amount_type.endswith("32") else 1
        amount = words_to_int(words[:split], spec.amount_type, spec.word_order)
        count = words_to_int(words[split:], spec.count_type, spec.word_order)
        if count == self.purchase_count:
            return None                # a repeated write: acknowledged, not applied again
        if count != self.purchase_count + 1 or amount <= 0:
            return ExcCodes.ILLEGAL_VALUE
        self.balance += Decimal(amount) * spec.amount_scale
        self.purchase_count = count
        if self.trip_reason == "arrears" and self.balance > 0:
            self.relay, self.trip_reason = "closed", ""
        self._show()
        return None


PREPAID_OPTIONS = {"balance": "balance", "price": "price", "kw": "load_kw", "energy": "energy"}


def _model_from_options(clock: Callable[[], float] | None,
                        options: Mapping[str, str]) -> RegisterModel:
    """A model from simulator-spec options: profile=NAME (default the sim prepaid meter);
    for it balance, price, kw, energy, purchase_count, tariff; for other profiles
    QUANTITY=VALUE fixed register values."""
    options = dict(options)
    profile = options.pop("profile", PREPAID)
    try:
        if profile != PREPAID:
            return RegisterModel(profile, {k: Decimal(v) for k, v in options.items()})
        kwargs: dict[str, Decimal | int] = {
            PREPAID_OPTIONS[k]: Decimal(v) for k, v in options.items() if k in PREPAID_OPTIONS}
        for key in ("purchase_count", "tariff"):
            if key in options:
                kwargs[key] = int(options[key])
        unknown = set(options) - set(PREPAID_OPTIONS) - {"purchase_count", "tariff"}
        if unknown:
            raise KeyError(sorted(unknown)[0])
    except (KeyError, ValueError, ArithmeticError) as exc:
        raise InvalidInput(_("Simulator option {option} is not valid for profile "
                             "{profile}").format(option=exc.args[0] if exc.args else "?",
                                                 profile=profile)) from None
    return PrepaidModel(clock=clock or time.monotonic, **kwargs)  # type: ignore[arg-type]


class ModbusMeter:
    """A simulated Modbus RTU meter on the simulator bus (comms.simulator.base.SimMeter)."""

    def __init__(self, address: str | int = "1", clock: Callable[[], float] | None = None,
                 model: RegisterModel | None = None, **options: str) -> None:
        text = str(address).strip()
        if not text.isdigit() or not 1 <= int(text) <= 247:
            raise InvalidInput(_("Modbus unit id {address} is not valid: use 1 to 247").format(
                address=address))
        self.unit = int(text)
        self.address = text
        self.model = model if model is not None else _model_from_options(clock, options)

    @staticmethod
    def extract_frame(buf: bytes) -> tuple[bytes | None, int]:
        """The first CRC-valid Modbus RTU request in buf, for any unit (bus framing)."""
        return find_rtu_frame(bytes(buf), decoder=SERVER_DECODER)

    def handle(self, frame: bytes) -> bytes | None:
        """The reply to a request addressed to this unit, or None (not ours, or damaged)."""
        found, _used = find_rtu_frame(bytes(frame), unit=self.unit, decoder=SERVER_DECODER)
        if found is None:
            return None
        try:
            request = decode_frame(found, SERVER_DECODER)
        except ProtocolError:
            return None                # a real meter stays silent on a frame it cannot read
        return encode_frame(self._answer(request))

    def _answer(self, request: ModbusPDU) -> ModbusPDU:
        function = request.function_code
        result: list[int] | ExcCodes | None
        if function in (3, 4):
            result = self.model.read(function, request.address, request.count)
            if not isinstance(result, ExcCodes):
                response = (ReadHoldingRegistersResponse if function == 3
                            else ReadInputRegistersResponse)
                return response(registers=result, dev_id=self.unit)
        elif function in (6, 16):
            result = self.model.write(request.address, list(request.registers))
            if result is None and function == 6:
                return WriteSingleRegisterResponse(address=request.address,
                                                   registers=list(request.registers),
                                                   dev_id=self.unit)
            if result is None:
                return WriteMultipleRegistersResponse(address=request.address,
                                                      count=request.count, dev_id=self.unit)
        else:
            result = ExcCodes.ILLEGAL_FUNCTION
        return ExceptionResponse(function, int(result), device_id=self.unit)


ModbusRtuMeter = ModbusMeter
