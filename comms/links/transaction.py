"""One request at a time on one link: write, wait for the matching reply, retry, count.

A Channel wraps one Transport and is used by one worker thread at a time (the lock only guards
against misuse). `exchange` discards stale input, writes the request, then reads until the frame
extractor yields a frame that `match` accepts; frames for other meters are skipped. Outcome per
attempt: a matching frame -> returned; silence until the timeout -> NoReply; garbage or bad
checksums (a dropped 68 start byte) and then a short silence -> ProtocolError; stray noise bytes
alone (RS-485 turnaround glitches) do not count as garbage. Failed attempts are retried
`retries` times with the idle gap between them. The idle gap before every request is 4 byte
times (at least 3 ms) unless given: 18 ms at 2400 baud, 5 ms at 9600 - a fixed 20 ms cost a
9600 baud line a fifth of its capacity (tests/benchmarks/bench_poll.py); 2 byte times before a
request led by 2+ FE wake-up bytes, which give the meter's receiver the rest (30 meters at 2400
baud: 0.91 -> 0.94 of the line limit). A LinkError (port gone, converter dropped the
connection) is not retried: it ends the exchange at once, and the next exchange reopens the
transport.

Late replies: input is discarded before every request and again after a timeout, and `match`
checks address, function and the request's DI / SER, so a reply that comes after its timeout is
dropped as foreign, never taken as the answer to the next request. `retry_silence=False` (the
poller's routine reads) makes a timeout final for that exchange: a silent meter costs one timeout,
and its re-read (补抄) waits for the end of the cycle instead of delaying the live meters.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from comms.errors import CommsError, LinkError, NoReply, ProtocolError
from comms.interfaces import FrameExtractor, Transport
from resources.i18n import _

log = logging.getLogger(__name__)
PREAMBLE = 0xFE
START = 0x68          # a dropped start byte means a frame failed its checks


def scan_frames(buf: bytes, extractor: FrameExtractor, match: Callable[[bytes], bool],
                garbage: bool) -> tuple[bytes | None, bytes, bool]:
    """Take frames off the front of what was received: (the first frame `match` accepts or None,
    the bytes left, whether garbage was seen). Used by Channel and by the TCP event loop."""
    while buf:
        frame, consumed = extractor(buf)
        dropped, buf = buf[:consumed], buf[consumed:]
        if frame is None:
            garbage = garbage or START in dropped
            if consumed == 0 or not buf:
                break
            continue
        if match(frame):
            return frame, buf, garbage
        garbage = garbage or START in dropped[:len(dropped) - len(frame)]
    return None, buf, garbage


@dataclass
class ChannelStats:
    exchanges: int = 0
    ok: int = 0
    failed: int = 0
    retries: int = 0
    timeouts: int = 0
    bad_frames: int = 0
    link_errors: int = 0


class Channel:
    """Transactions over one link. Times are seconds and adjustable per call or per channel."""

    GAP_BYTES = 4          # bus idle before a request, in byte times (Modbus asks 3.5)
    WAKE_BYTES = 2         # of which FE wake-up bytes leading a DL/T 645 / CJ/T 188 request may take
    MIN_GAP = 0.003

    def __init__(self, transport: Transport, *, idle_gap: float | None = None,
                 garbage_quiet: float = 0.15, inter_byte_timeout: float = 0.5) -> None:
        self.transport = transport
        self.byte_time = transport.byte_time()     # seconds a byte takes on the line (fixed per link)
        # bus idle time before every request: a few byte times lets the last meter's transceiver
        # turn around (DL/T 645 sets no master gap; its 20 ms minimum is the meter's reply delay)
        self.idle_gap = idle_gap if idle_gap is not None else \
            max(self.MIN_GAP, self.GAP_BYTES * transport.byte_time())
        # a request led by FE wake-up bytes (DL/T 645, CJ/T 188) needs less silence before it:
        # the meter's receiver synchronises on the FEs, which are on the line anyway. Modbus
        # frames never start with FE (unit ids end at 247): they keep the whole 3.5+ chars.
        self._wake_gap = self.idle_gap if idle_gap is not None else \
            max(self.MIN_GAP, (self.GAP_BYTES - self.WAKE_BYTES) * transport.byte_time())
        self.garbage_quiet = garbage_quiet        # silence after garbage that ends an attempt
        self.inter_byte_timeout = inter_byte_timeout
        self.stats = ChannelStats()
        self.retry_silence = True       # False: a timeout is not retried within the exchange
        self._lock = threading.Lock()
        self._last_activity = 0.0
        self._sent_at = 0.0             # when the event loop's last request left the line (tcp_loop)

    # -- helpers -------------------------------------------------------------------------
    def _prepare(self) -> None:
        """Open (or reopen) the link and drop stale bytes; reconnect once if it died idle."""
        self.transport.open()
        try:
            self.transport.discard_input()
        except LinkError:
            self.transport.close()
            self.transport.open()
            self.transport.discard_input()

    def _wait_idle(self, request: bytes = b"") -> None:
        gap = self._wake_gap if request[:self.WAKE_BYTES] == b"\xfe" * self.WAKE_BYTES else self.idle_gap
        pause = self._last_activity + gap - time.monotonic()
        if pause > 0:
            time.sleep(pause)

    def _send(self, request: bytes) -> float:
        """Write and return when the request has left the line (by byte time)."""
        self._wait_idle(request)
        self._prepare()
        self.transport.write(request)
        log.debug("%s > %s", self.transport.url, request.hex(" ").upper())
        return time.monotonic() + len(request) * self.transport.byte_time()

    def _receive(self, sent_at: float, extractor: FrameExtractor,
                 match: Callable[[bytes], bool], timeout: float) -> bytes:
        buf = b""
        garbage = False
        deadline = sent_at + timeout
        last_rx = time.monotonic()
        while True:
            now = time.monotonic()
            if buf:
                deadline = max(deadline, last_rx + min(self.inter_byte_timeout, timeout))
            if garbage and now - last_rx >= self.garbage_quiet:
                break
            if now >= deadline:
                break
            chunk = self.transport.read_some(min(deadline - now, 0.05))
            if not chunk:
                continue
            last_rx = time.monotonic()
            frame, buf, garbage = scan_frames(buf + chunk, extractor, match, garbage)
            if frame is not None:
                log.debug("%s < %s", self.transport.url, frame.hex(" ").upper())
                return frame
        raise self.no_frame(buf, garbage, timeout)

    def no_frame(self, buf: bytes, garbage: bool, timeout: float) -> CommsError:
        """The outcome of an attempt that ended without a matching frame (counted): garbage or a
        bad frame -> ProtocolError, silence or stray noise alone -> NoReply."""
        self._last_activity = time.monotonic()
        if garbage or buf.strip(bytes([PREAMBLE])):
            self.stats.bad_frames += 1
            return ProtocolError(_("The reply from {url} was garbled (bad checksum or length)")
                                 .format(url=self.transport.url))
        self.stats.timeouts += 1
        return NoReply(_("No reply on {url} within {seconds} s").format(
            url=self.transport.url, seconds=f"{timeout:g}"))

    def _discard_late(self) -> None:
        """After a timeout: drop whatever has arrived (the start of a late reply)."""
        try:
            self.transport.discard_input()
        except LinkError:
            self.transport.close()          # the next exchange reconnects

    # -- public --------------------------------------------------------------------------
    def exchange(self, request: bytes, extractor: FrameExtractor, match: Callable[[bytes], bool],
                 timeout: float = 1.0, retries: int = 1) -> bytes:
        """Send request and return the first reply frame for which match(frame) is true."""
        with self._lock:
            self.stats.exchanges += 1
            error: CommsError | None = None
            for attempt in range(retries + 1):
                if attempt:
                    self.stats.retries += 1
                try:
                    sent_at = self._send(request)
                    frame = self._receive(sent_at, extractor, match, timeout)
                except LinkError:
                    self.stats.link_errors += 1
                    self.stats.failed += 1
                    self._last_activity = time.monotonic()
                    raise
                except NoReply as exc:
                    error = exc
                    self._discard_late()
                    if not self.retry_silence:
                        break
                    continue
                except ProtocolError as exc:
                    error = exc
                    continue
                self.stats.ok += 1
                self._last_activity = time.monotonic()
                return frame
            self.stats.failed += 1
            assert error is not None
            raise error

    def send_only(self, request: bytes) -> None:
        """Send a frame that gets no reply (broadcast) and keep the bus idle while it leaves."""
        with self._lock:
            done = self._send(request)
            pause = done - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            self._last_activity = time.monotonic()

    def close(self) -> None:
        with self._lock:
            self.transport.close()
