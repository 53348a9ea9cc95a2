"""Serving a simulated Bus: a loopback TCP port (a transparent serial server) or a pty.

Both endpoints run daemon-free worker threads that stop() joins. Replies are delayed by the bus
(line time + latency) and paced at the byte time, so a request/reply takes as long as on a real
line. TcpSimulator.drop_next_request() makes the "converter" close the connection when the next
request arrives (the read in flight on the station side then fails with LinkError).
"""
from __future__ import annotations

import ipaddress
import os
import select
import socket
import threading
import time
import tty
from collections.abc import Callable
from typing import Self

from comms.simulator.base import Clock, check_allowed
from comms.simulator.bus import Bus
from models.errors import PermissionDenied
from resources.i18n import _

POLL = 0.05
IDLE_RESET = 0.5           # forget partial input after this much silence
CHUNK = 16                 # reply bytes sent per paced write


class _Endpoint:
    url: str

    def __init__(self, bus: Bus, demo: bool, explicit_cli: bool) -> None:
        check_allowed(demo, explicit_cli)
        self.bus = bus
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def _spawn(self, target: Callable[..., None], name: str, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _serve(self, recv: Callable[[float], bytes | None], send: Callable[[bytes], None],
               drop: Callable[[], bool] = lambda: False) -> None:
        """Read requests and answer them until stop or the peer goes away."""
        quiet_since = time.monotonic()
        while not self._stop.is_set():
            data = recv(POLL)
            if data is None:
                return
            if not data:
                if time.monotonic() - quiet_since > IDLE_RESET:
                    self.bus.reset()
                continue
            quiet_since = time.monotonic()
            if drop():
                return
            for response in self.bus.feed(data):
                if (response.wait > 0 and self._stop.wait(response.wait)) or response.reply is None:
                    continue
                reply, step = response.reply, self.bus.byte_time()
                if step <= 0:
                    send(reply)
                    continue
                for i in range(0, len(reply), CHUNK):
                    part = reply[i:i + CHUNK]
                    if self._stop.wait(len(part) * step):
                        return
                    send(part)
            quiet_since = time.monotonic()

    def stop(self) -> None:
        self._stop.set()
        self._close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()

    def _close(self) -> None: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class TcpSimulator(_Endpoint):
    """The bus behind a TCP port (loopback only unless allow_remote=True)."""

    def __init__(self, bus: Bus, host: str = "127.0.0.1", port: int = 0, *,
                 allow_remote: bool = False, demo: bool = False,
                 explicit_cli: bool = False) -> None:
        super().__init__(bus, demo, explicit_cli)
        if not allow_remote and not _is_loopback(host):
            raise PermissionDenied(_("The simulator listens only on the loopback address "
                                     "unless remote access is allowed explicitly"))
        self._listener = socket.create_server((host, port))
        self._listener.settimeout(POLL)
        self.host, self.port = host, self._listener.getsockname()[1]
        self.url = f"tcp://{host}:{self.port}"
        self._conns: list[socket.socket] = []
        self._drop = threading.Event()
        self.connections = 0
        self._spawn(self._accept_loop, f"sim-tcp-accept-{self.port}")

    def drop_next_request(self) -> None:
        self._drop.set()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _peer = self._listener.accept()
            except (TimeoutError, BlockingIOError):
                continue
            except OSError:
                return
            # paced replies go out in small writes: without NODELAY, Nagle holds each one back
            # until the station's delayed ACK (~40 ms), which no serial converter does
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.connections += 1
            self._conns.append(conn)
            self._spawn(self._connection, f"sim-tcp-conn-{self.port}-{self.connections}", conn)

    def _connection(self, conn: socket.socket) -> None:
        def recv(timeout: float) -> bytes | None:
            try:
                conn.settimeout(timeout)
                data = conn.recv(4096)
            except TimeoutError:
                return b""
            except OSError:
                return None
            return data or None

        def drop() -> bool:
            if self._drop.is_set():
                self._drop.clear()
                return True
            return False

        try:
            self._serve(recv, conn.sendall, drop)
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def _close(self) -> None:
        self._listener.close()
        for conn in list(self._conns):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()


class PtySimulator(_Endpoint):
    """The bus behind a pseudo-terminal; connect the station to `slave_path`."""

    def __init__(self, bus: Bus, *, demo: bool = False, explicit_cli: bool = False) -> None:
        super().__init__(bus, demo, explicit_cli)
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.slave_path = os.ttyname(self._slave)
        self.url = f"serial://{self.slave_path}?baud={bus.baud}&parity=E"
        self._spawn(self._loop, f"sim-pty-{os.path.basename(self.slave_path)}")

    def _loop(self) -> None:
        def recv(timeout: float) -> bytes | None:
            try:
                ready, _w, _x = select.select([self._master], [], [], timeout)
                return os.read(self._master, 4096) if ready else b""
            except OSError:
                return None if self._stop.is_set() else b""

        def send(data: bytes) -> None:
            os.write(self._master, data)

        try:
            self._serve(recv, send)
        except OSError:
            pass

    def _close(self) -> None:
        for thread in self._threads:
            thread.join(timeout=5)
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def start_simulator(spec: str | None = None, *, pty: bool = False, host: str = "127.0.0.1",
                    port: int = 0, baud: int = 2400, latency: float = 0.03, clock: Clock | None = None,
                    allow_remote: bool = False, demo: bool = False,
                    explicit_cli: bool = False) -> TcpSimulator | PtySimulator:
    """Build the meters of a SimulatorSpec string on one Bus and serve it (see spec.py)."""
    from comms.simulator.spec import DEFAULT_SPEC, SimulatorSpec
    check_allowed(demo, explicit_cli)
    meters = SimulatorSpec.parse(spec or DEFAULT_SPEC).build(clock=clock)
    bus = Bus(meters, baud=baud, latency=latency)
    if pty:
        return PtySimulator(bus, demo=demo, explicit_cli=explicit_cli)
    return TcpSimulator(bus, host, port, allow_remote=allow_remote, demo=demo,
                        explicit_cli=explicit_cli)
