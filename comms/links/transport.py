"""Transports: bytes to and from one link (comms.interfaces.Transport) for serial ports and TCP
converters.

* SerialTransport: pyserial `serial_for_url(device, baudrate, parity, ...)` for serial:// links
  (also a pty slave path). Reads with a short pyserial timeout and `read(in_waiting or 1)`, so a
  disconnect never throws away more than the bytes of one read call.
* TcpTransport: a plain socket to a transparent serial server (tcp://HOST:PORT). recv() returns
  what has arrived, and b"" (peer closed) becomes LinkError after the bytes received before it
  were handed out. Serial settings of a tcp:// link are configured on the converter itself; the
  LinkSpec's baud/parity still give byte_time() for timeouts.

A port that cannot be opened or configured is a LinkError, whatever pyserial raises (it lets
termios.error through on POSIX); a pseudo-terminal (/dev/pts/N, the simulator's --pty) refuses
parity bits, so there the port is opened without parity rather than failing on the second open.

open() is idempotent, so the transaction layer calls it before every exchange: after a dropped
connection the next exchange reconnects. Every failure is a LinkError with a translated message.
"""
from __future__ import annotations

import os
import socket
import time

import serial

from comms.errors import LinkError
from comms.interfaces import Transport
from models.link_urls import LinkSpec
from resources.i18n import _

_PARITY = {"N": serial.PARITY_NONE, "E": serial.PARITY_EVEN, "O": serial.PARITY_ODD}
try:                    # pyserial lets termios.error (not an OSError) escape on POSIX
    import termios
    _PORT_ERRORS: tuple[type[BaseException], ...] = (serial.SerialException, OSError, ValueError,
                                                     termios.error)
except ImportError:     # Windows
    _PORT_ERRORS = (serial.SerialException, OSError, ValueError)
_IO_ERRORS = tuple(e for e in _PORT_ERRORS if e is not ValueError)


def _is_pty(device: str) -> bool:
    """A Unix98 pseudo-terminal slave (the simulator's `--pty`): it has no line framing, so
    parity cannot be set on it (the kernel refuses PARENB once nothing else changes)."""
    try:
        return os.path.realpath(device).startswith("/dev/pts/")
    except (OSError, ValueError):
        return False
_SLICE = 0.05          # pyserial read timeout; read_some loops until its own deadline


class SerialTransport(Transport):
    """A serial port (RS-485 adapter) or a pty, opened through pyserial."""

    def __init__(self, spec: LinkSpec) -> None:
        self.spec = spec
        self.url = spec.url
        self._port: serial.SerialBase | None = None

    @property
    def is_open(self) -> bool:
        return self._port is not None

    def open(self) -> None:
        if self._port is not None:
            return
        try:
            self._port = self._open(self.spec.parity)
        except _PORT_ERRORS as exc:
            if self.spec.parity == "N" or not _is_pty(self.spec.port):
                raise LinkError(_("Cannot open serial port {port}: {reason}")
                                .format(port=self.spec.port, reason=exc)) from None
            try:                    # a pty carries bytes, not bits: parity means nothing there
                self._port = self._open("N")
            except _PORT_ERRORS as again:
                raise LinkError(_("Cannot open serial port {port}: {reason}")
                                .format(port=self.spec.port, reason=again)) from None

    def _open(self, parity: str) -> serial.SerialBase:
        return serial.serial_for_url(
            self.spec.port, baudrate=self.spec.baud, parity=_PARITY[parity],
            bytesize=self.spec.bytesize, stopbits=self.spec.stopbits, timeout=_SLICE,
            write_timeout=2.0)

    def close(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            try:
                port.close()
            except _IO_ERRORS:
                pass

    def _fail(self, exc: BaseException) -> LinkError:
        self.close()
        return LinkError(_("Serial port {port} failed: {reason}")
                         .format(port=self.spec.port, reason=exc))

    def _require(self) -> serial.SerialBase:
        if self._port is None:
            raise LinkError(_("Link {url} is not open").format(url=self.url))
        return self._port

    def write(self, data: bytes) -> None:
        port = self._require()
        try:
            port.write(data)
            port.flush()
        except _IO_ERRORS as exc:
            raise self._fail(exc) from None

    def read_some(self, timeout: float) -> bytes:
        port = self._require()
        deadline = time.monotonic() + max(0.0, timeout)
        try:
            while True:
                data = port.read(port.in_waiting or 1)
                if data or time.monotonic() >= deadline:
                    return bytes(data)
        except _IO_ERRORS as exc:
            raise self._fail(exc) from None

    def discard_input(self) -> None:
        port = self._require()
        try:
            port.reset_input_buffer()
        except _IO_ERRORS as exc:
            raise self._fail(exc) from None

    def byte_time(self) -> float:
        return self.spec.byte_time()


class TcpTransport(Transport):
    """A transparent serial server (DTU / converter) reached over TCP."""

    def __init__(self, spec: LinkSpec, connect_timeout: float = 3.0) -> None:
        self.spec = spec
        self.url = spec.url
        self.connect_timeout = connect_timeout
        self._sock: socket.socket | None = None

    @property
    def is_open(self) -> bool:
        return self._sock is not None

    def open(self) -> None:
        if self._sock is not None:
            return
        try:
            sock = socket.create_connection((self.spec.host, self.spec.tcp_port),
                                            timeout=self.connect_timeout)
        except OSError as exc:
            raise LinkError(_("Cannot connect to {host}:{port}: {reason}").format(
                host=self.spec.host, port=self.spec.tcp_port, reason=exc)) from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass

    def _fail(self, reason: object) -> LinkError:
        self.close()
        return LinkError(_("Connection to {host}:{port} was lost: {reason}").format(
            host=self.spec.host, port=self.spec.tcp_port, reason=reason))

    def _require(self) -> socket.socket:
        if self._sock is None:
            raise LinkError(_("Link {url} is not open").format(url=self.url))
        return self._sock

    def write(self, data: bytes) -> None:
        sock = self._require()
        try:
            sock.settimeout(self.connect_timeout)
            sock.sendall(data)
        except OSError as exc:
            raise self._fail(exc) from None

    def read_some(self, timeout: float) -> bytes:
        sock = self._require()
        try:
            sock.settimeout(max(0.0, timeout))
            data = sock.recv(4096)
        except (TimeoutError, BlockingIOError):
            return b""
        except OSError as exc:
            raise self._fail(exc) from None
        if not data:
            raise self._fail(_("closed by the converter"))
        return data

    def discard_input(self) -> None:
        """Drop stale bytes; a connection the converter closed while idle raises LinkError."""
        sock = self._require()
        try:
            sock.setblocking(False)
            while True:
                try:
                    data = sock.recv(4096)
                except (BlockingIOError, InterruptedError):
                    return
                if not data:
                    raise self._fail(_("closed by the converter"))
        except OSError as exc:
            raise self._fail(exc) from None
        finally:
            if self._sock is not None:
                self._sock.setblocking(True)

    def byte_time(self) -> float:
        return self.spec.byte_time()


def open_transport(spec: LinkSpec, connect: bool = False) -> Transport:
    """The Transport for a serial:// or tcp:// link (not yet opened unless connect=True).
    modbus-tcp:// links are served by the Modbus side (comms.modbus*)."""
    if spec.scheme == "serial":
        transport: Transport = SerialTransport(spec)
    elif spec.scheme == "tcp":
        transport = TcpTransport(spec)
    else:
        raise LinkError(_("Link {url} cannot carry DL/T 645 or CJ/T 188 frames").format(url=spec.url))
    if connect:
        transport.open()
    return transport
