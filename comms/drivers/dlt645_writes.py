"""DL/T 645-2007 writes of DLT645Driver: purchases and refunds (the project's own simulator
convention only), standard C=14 parameter writes read back, and the clock set (see the
docstring of comms/drivers/dlt645.py)."""
from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from comms.errors import CommsError, MeterRefused, NoReply, ProtocolError, Unsupported
from comms.interfaces import RechargeResult
from comms.protocols import dlt645
from comms.protocols import dlt645_requests as rq
from comms.protocols.bcd import encode_bcd
from comms.protocols.dlt645_data import TABLE_2007, Decoded, decode_value, encode_value, lookup
from resources.i18n import _

_CLOCK_TIME = TABLE_2007["04000102"]       # hh mm ss


def _number(value: Decoded) -> Decimal:
    """A read-back register value, which is a number."""
    if not isinstance(value, Decimal):
        raise ProtocolError(_("The meter returned a value that is not a number"))
    return value

SETTING_DI = {"alarm1": "04001001", "alarm2": "04001002", "overdraft": "04001003"}
BROADCAST_WINDOW = timedelta(minutes=5)   # protocols.md §6: meters take C=08 only within ~±5 min
CLOCK_TOLERANCE = 5                       # seconds between the clock written and read back


class NotNow(CommsError):
    """Retry later: the command is not allowed at this time (broadcast near midnight)."""


class Dlt645Writes:
    """Mixed into DLT645Driver (uses its read_di, _try_di, _transact, _credentials, _balance)."""

    config: Any
    version: str
    address: str
    preamble: int
    channel: Any
    read_di: Any
    _try_di: Any
    _transact: Any
    _credentials: Any
    _balance: Any

    def recharge(self, amount: Decimal, purchase_count: int) -> RechargeResult:
        amount = Decimal(amount)
        if amount <= 0:
            raise ProtocolError(_("Purchase {count} of {amount} cannot be written to a meter")
                                .format(count=purchase_count, amount=amount))
        return self._purchase(amount, purchase_count)

    def refund(self, amount: Decimal, purchase_count: int) -> RechargeResult:
        """This project's own convention (see the module docstring): a negative purchase."""
        return self._purchase(-Decimal(amount), purchase_count)

    def _purchase(self, amount: Decimal, purchase_count: int) -> RechargeResult:
        if self.version == "1997":
            raise Unsupported(_("Recharge is not offered by {protocol}")
                              .format(protocol=self.config.protocol))
        if amount == 0 or amount != amount.quantize(Decimal("0.01")) or \
                not 1 <= purchase_count <= 9999:
            raise ProtocolError(_("Purchase {count} of {amount} cannot be written to a meter")
                                .format(count=purchase_count, amount=amount))
        payload = encode_bcd(amount, 4, 2, True)
        count = int(self.read_di("03330201"))
        if count >= purchase_count:
            return RechargeResult(count, self._balance(), False)
        if count != purchase_count - 1:
            raise MeterRefused(_("Meter {address} has purchase count {count}; purchase "
                                 "{n} must wait for the ones before it").format(
                address=self.address, count=count, n=purchase_count))
        request = rq.write_request(self.address, "03330201", payload + encode_bcd(purchase_count, 2),
                                   **self._credentials(), preamble=self.preamble)
        try:            # once: a re-send of a purchase the meter took is refused (count)
            self._transact(request, dlt645.F2007["write"], retries=0)
        except (NoReply, ProtocolError):
            if int(self.read_di("03330201")) != purchase_count:   # read back, not re-sent
                raise
        count = int(self.read_di("03330201"))
        if count != purchase_count:
            raise MeterRefused(_("Meter {address} acknowledged purchase {n} but its count is "
                                 "{count}").format(address=self.address, n=purchase_count, count=count))
        return RechargeResult(count, self._balance(), True)

    def write_di(self, di: str, value: object) -> Decoded:
        """A standard C=14 write of one DI (PA, password, operator code), then the value read
        back with C=11; MeterRefused when the meter keeps another value."""
        if self.version == "1997":
            raise Unsupported(_("Parameter writes are not offered by {protocol}")
                              .format(protocol=self.config.protocol))
        item = lookup(di, self.version)
        if item is None:
            raise Unsupported(_("Data identifier {di} is not known").format(di=di))
        request = rq.write_request(self.address, di, encode_value(item, value),
                                   **self._credentials(), preamble=self.preamble)
        try:
            self._transact(request, dlt645.F2007["write"], retries=0)
        except (NoReply, ProtocolError):
            pass                        # the read-back decides whether the meter took it
        back: Decoded = self.read_di(di)
        if back != decode_value(item, encode_value(item, value)):
            raise MeterRefused(_("Meter {address} reads back {back} for {di} after writing {value}")
                               .format(address=self.address, back=back, di=di, value=value))
        return back

    def write_prices(self, prices: Sequence[Decimal]) -> list[Decimal]:
        return [self.write_price(i, p) for i, p in enumerate(prices, start=1)]

    def write_price(self, index: int, price: Decimal) -> Decimal:
        """Rate price `index` (040501xx, XXXX.XXXX; protocols.md §6), written and read back."""
        if not 1 <= index <= 4:
            raise Unsupported(_("Rate price {n} is not offered").format(n=index))
        return _number(self.write_di(f"0405010{index}", Decimal(price).quantize(Decimal("0.0001"))))

    def read_prices(self, n: int) -> dict[str, Decimal]:
        return {str(i): _number(self.read_di(f"0405010{i}")) for i in range(1, n + 1)}

    def read_settings(self, keys: Collection[str]) -> dict[str, Decimal]:
        unknown = sorted(set(keys) - set(SETTING_DI))
        if unknown:
            raise Unsupported(_("{protocol} meters have no sourced data identifier for {what}")
                              .format(protocol=self.config.protocol, what=", ".join(unknown)))
        return {k: _number(self.read_di(SETTING_DI[k])) for k in keys}

    def write_settings(self, values: Mapping[str, Decimal | str]) -> dict[str, Decimal]:
        unknown = sorted(set(values) - set(SETTING_DI))
        if unknown:
            raise Unsupported(_("{protocol} meters have no sourced data identifier for {what}")
                              .format(protocol=self.config.protocol, what=", ".join(unknown)))
        return {k: _number(self.write_di(SETTING_DI[k], Decimal(v).quantize(Decimal("0.01"))))
                for k, v in values.items()}

    def read_clock(self) -> datetime | None:
        date_text, time_text = self._try_di("04000101"), self._try_di("04000102")
        if not date_text or not time_text:
            return None
        return datetime.fromisoformat(f"{date_text[:10]} {time_text}")

    def set_clock(self, when: datetime) -> dict[str, object]:
        """C=14 date and time writes read back; the broadcast only as the fallback, inside
        the window. MeterRefused when the clock could not be set and confirmed."""
        when = when.replace(tzinfo=None, microsecond=0)
        try:
            self.write_di("04000101", when)
        except MeterRefused as refused:
            return self._broadcast_fallback(when, refused)
        except ProtocolError:
            pass                        # the date reads back in another form: check the clock
        start = time.monotonic()
        self._transact(rq.write_request(self.address, "04000102",
                                        encode_value(_CLOCK_TIME, when),
                                        **self._credentials(), preamble=self.preamble),
                       dlt645.F2007["write"], retries=0)
        return self._confirm_clock(when + timedelta(seconds=time.monotonic() - start), "set")

    def _confirm_clock(self, expected: datetime, method: str) -> dict[str, object]:
        back = self.read_clock()
        if back is None or abs((back - expected).total_seconds()) > CLOCK_TOLERANCE:
            raise MeterRefused(_("Meter {address} reads back the clock {back} after the {method}")
                               .format(address=self.address, back=back, method=method))
        return {"method": method, "confirmed": True, "clock": back.isoformat(sep=" ")}

    def _broadcast_fallback(self, when: datetime, refused: MeterRefused) -> dict[str, object]:
        meter = self.read_clock()
        if meter is None:
            raise refused
        if abs((meter - when).total_seconds()) > BROADCAST_WINDOW.total_seconds():
            raise MeterRefused(_("Meter {address} refused the clock write and its clock is {clock}, "
                                 "more than 5 minutes off: a broadcast sync would be ignored, set it "
                                 "on site").format(address=self.address, clock=meter.isoformat(sep=" ")))
        minutes = when.hour * 60 + when.minute
        if minutes < 10 or minutes > 24 * 60 - 10:
            raise NotNow(_("A broadcast clock sync is not sent within 10 minutes of midnight"))
        self.channel.send_only(rq.broadcast_time_request(when, self.preamble))
        return self._confirm_clock(when, "broadcast")

