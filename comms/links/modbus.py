"""The two ways a ModbusDriver reaches its meter; both offer read() and write() of registers.

RtuLink: Modbus RTU frames through the link's Channel (comms/links/transaction.py), so Modbus meters
share a serial port or transparent TCP converter with DL/T 645 and CJ/T 188 meters.
TcpLink: Modbus TCP (MBAP) through pymodbus's synchronous ModbusTcpClient. One TcpLink per
modbus-tcp:// URL can serve several unit ids behind a gateway; a lock keeps one request at a time.

Faults become comms.errors: exception replies -> MeterRefused, silence -> NoReply,
refused/dropped connection -> LinkError, bad frames -> ProtocolError.
"""
from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Protocol

from pymodbus.client import ModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException
from pymodbus.framer import FramerType
from pymodbus.pdu import ModbusPDU

from comms.errors import LinkError, NoReply, ProtocolError
from comms.protocols import modbus_rtu as rtu
from comms.steps import Exchange, Steps, run_sync
from models.link_urls import LinkSpec, parse_link_url
from resources.i18n import _


class ModbusLink(Protocol):
    def read(self, unit: int, function: int, address: int, count: int) -> list[int]: ...

    def write(self, unit: int, function: int, address: int, values: Sequence[int]) -> None: ...

    def close(self) -> None: ...


class RtuLink:
    """Modbus RTU over a Channel: `channel.exchange(request, extractor, match, timeout,
    retries)` returns the reply frame bytes (one exchange at a time per link)."""

    def __init__(self, channel: Any, timeout: float = 1.0, retries: int = 1) -> None:
        self.channel = channel
        self.timeout = timeout
        self.retries = retries

    def _exchange(self, request: ModbusPDU) -> ModbusPDU:
        return run_sync(self._exchange_steps(request))

    def _exchange_steps(self, request: ModbusPDU) -> Steps[ModbusPDU]:
        frame = yield Exchange(self.channel, rtu.encode_frame(request), rtu.reply_extractor(request),
                               rtu.reply_matches(request), self.timeout, self.retries)
        return rtu.check_reply(request, rtu.decode_frame(bytes(frame)))

    def read(self, unit: int, function: int, address: int, count: int) -> list[int]:
        return run_sync(self.read_steps(unit, function, address, count))

    def read_steps(self, unit: int, function: int, address: int, count: int) -> Steps[list[int]]:
        """read() as steps (comms/steps.py), for the TCP event loop."""
        reply = yield from self._exchange_steps(rtu.read_request(unit, function, address, count))
        return list(reply.registers)

    def write(self, unit: int, function: int, address: int, values: Sequence[int]) -> None:
        self._exchange(rtu.write_request(unit, function, address, values))

    def close(self) -> None:
        self.channel.close()


class TcpLink:
    """Modbus TCP through pymodbus's ModbusTcpClient (connects on first use)."""

    def __init__(self, spec: LinkSpec | str, timeout: float = 2.0, retries: int = 1) -> None:
        self.spec = parse_link_url(spec) if isinstance(spec, str) else spec
        if self.spec.scheme != "modbus-tcp":
            raise LinkError(_("Link {url} is not a Modbus TCP link").format(url=self.spec.url))
        self._lock = threading.Lock()
        self._client = ModbusTcpClient(self.spec.host, port=self.spec.tcp_port,
                                       framer=FramerType.SOCKET, timeout=timeout,
                                       retries=retries, reconnect_delay=0)

    @property
    def where(self) -> str:
        return f"{self.spec.host}:{self.spec.tcp_port}"

    def close(self) -> None:
        with self._lock:
            self._client.close()

    def __enter__(self) -> TcpLink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, request: ModbusPDU, method: str, *args: Any, **kwargs: Any) -> ModbusPDU:
        with self._lock:
            if not self._client.connected and not self._client.connect():
                raise LinkError(_("Cannot connect to the Modbus TCP server {where}: check the "
                                  "address, the port and that the server is running").format(
                                      where=self.where))
            try:
                reply = getattr(self._client, method)(*args, device_id=request.dev_id, **kwargs)
            except ModbusIOException:
                if not self._client.connected:
                    raise LinkError(_("The connection to the Modbus TCP server {where} was "
                                      "lost").format(where=self.where)) from None
                raise NoReply(_("Modbus unit {unit} at {where} did not answer").format(
                    unit=request.dev_id, where=self.where)) from None
            except ConnectionException:
                self._client.close()
                raise LinkError(_("The connection to the Modbus TCP server {where} was "
                                  "lost").format(where=self.where)) from None
            except ModbusException as exc:
                raise ProtocolError(_("Bad reply from the Modbus TCP server {where}: "
                                      "{error}").format(where=self.where, error=exc)) from None
        return rtu.check_reply(request, reply)

    def read(self, unit: int, function: int, address: int, count: int) -> list[int]:
        request = rtu.read_request(unit, function, address, count)
        method = "read_holding_registers" if function == 3 else "read_input_registers"
        return list(self._call(request, method, address, count=count).registers)

    def write(self, unit: int, function: int, address: int, values: Sequence[int]) -> None:
        request = rtu.write_request(unit, function, address, values)
        if function == 6:
            self._call(request, "write_register", address, values[0])
        else:
            self._call(request, "write_registers", address, list(values))
