"""The simulated RS-485 bus: frames in, replies out, with line timing, faults and collisions.

feed(bytes) collects what the master sent, finds complete frames with the meters' own framing,
offers each frame to every meter of that framing and returns Responses: the reply (or None) and
how long to wait before it starts (request line time at 11 bits per byte + meter latency + any
'slow' fault delay). The server sends the reply paced at the same byte time. When two meters
answer one frame (AA wildcard with several meters) their replies collide into garbage, as on a
real bus. Broadcasts get no reply because meters return None for them.

Faults per meter address: "silent" (never answers), "garbled" (checksum broken), "slow" (answers
after slow_delay seconds), "garbled-ack" (the meter acts on a command - DL/T 645 1C/14, CJ/T 188
04 - but its acknowledgement is garbled; reads are answered normally), None (healthy).
"""
from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from comms.simulator.base import SimMeter

FAULTS = ("silent", "garbled", "slow", "garbled-ack")
BITS_PER_BYTE = 11


@dataclass(frozen=True)
class Response:
    wait: float               # seconds between the end of the received bytes and the reply
    reply: bytes | None


class Bus:
    def __init__(self, meters: Sequence[SimMeter] = (), *, baud: int = 2400,
                 latency: float = 0.03, slow_delay: float = 2.0) -> None:
        self.meters: list[SimMeter] = []
        self.baud, self.latency, self.slow_delay = baud, latency, slow_delay
        self.faults: dict[str, str] = {}
        self.frames_seen = 0
        self._buf = b""
        self._kinds: dict[type, SimMeter] = {}
        self._routes: dict[tuple[type, bytes], list[SimMeter]] | None = None
        self.lock = threading.RLock()
        for m in meters:
            self.add(m)

    def add(self, meter: SimMeter) -> None:
        with self.lock:
            self.meters.append(meter)
            self._kinds.setdefault(type(meter), meter)
            self._routes = None

    def _candidates(self, frame: bytes, meters: list[SimMeter]) -> list[SimMeter]:
        """The meters a frame can concern: found by its address when the meter type offers
        route(frame) (a hundred meters on a bus then cost one dict look-up, not a hundred
        parses); every meter for wildcard and broadcast frames."""
        route = getattr(type(meters[0]), "route", None) if meters else None
        key = route(frame) if route is not None else None
        if key is None:
            return meters
        if self._routes is None:
            self._routes = {}
            for m in self.meters:
                r = getattr(m, "wire", None)
                if r is not None:
                    self._routes.setdefault((type(m), bytes(r)), []).append(m)
        return self._routes.get((type(meters[0]), key), [])

    def meter(self, address: str) -> SimMeter:
        for m in self.meters:
            if m.address == address or m.address.lstrip("0") == address.lstrip("0"):
                return m
        raise KeyError(address)

    def set_fault(self, address: str, fault: str | None) -> None:
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; choose one of {FAULTS}")
        with self.lock:
            key = self.meter(address).address
            if fault is None:
                self.faults.pop(key, None)
            else:
                self.faults[key] = fault

    def byte_time(self) -> float:
        """Seconds per byte on the line; 0 for baud 0 (no line delay: load tests)."""
        return BITS_PER_BYTE / self.baud if self.baud > 0 else 0.0

    def reset(self) -> None:
        """Forget partial input (the line was idle for a while)."""
        with self.lock:
            self._buf = b""

    def _next_frame(self) -> tuple[bytes, int, list[SimMeter]] | None:
        best = None
        for kind, extractor in self._kinds.items():
            frame, consumed = extractor.extract_frame(self._buf)
            if frame is not None and (best is None or consumed < best[1]):
                best = (frame, consumed, kind)
        if best is None:
            return None
        frame, consumed, kind = best
        return frame, consumed, self._candidates(frame, [m for m in self.meters if type(m) is kind]
                                                 if len(self._kinds) > 1 else self.meters)

    def feed(self, data: bytes) -> list[Response]:
        out: list[Response] = []
        with self.lock:
            self._buf = (self._buf + data)[-2048:]
            while True:
                found = self._next_frame()
                if found is None:
                    break
                frame, consumed, meters = found
                self._buf = self._buf[consumed:]
                self.frames_seen += 1
                out.append(self._answer(frame, consumed, meters))
        return out

    def _answer(self, frame: bytes, size: int, meters: list[SimMeter]) -> Response:
        wait = size * self.byte_time() + self.latency
        replies = []
        for m in meters:
            reply = m.handle(frame)
            if reply is None:
                continue
            fault = self.faults.get(m.address)
            if fault == "silent":
                continue
            if fault == "garbled-ack":
                is_command = getattr(m, "is_command", None)
                fault = "garbled" if is_command is not None and is_command(frame) else None
            if fault == "garbled":
                broken = bytearray(reply)
                broken[-2] ^= 0x5A
                reply = bytes(broken)
            if fault == "slow":
                wait += self.slow_delay
            replies.append(reply)
        if not replies:
            return Response(wait, None)
        if len(replies) == 1:
            return Response(wait, replies[0])
        size = max(len(r) for r in replies)
        mixed = bytearray(size)
        for r in replies:
            for i, b in enumerate(r):
                mixed[i] |= b
        return Response(wait, bytes(mixed))
