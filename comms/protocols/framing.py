"""Stream framing shared by the DL/T 645 and CJ/T 188 codecs (pure, no I/O).

Both protocols frame as 68 ... L ... CS 16 with optional FE preamble. `scan` finds the first
complete valid frame in a receive buffer by its length byte; it never stops at the first 0x16.
"""
from __future__ import annotations

from collections.abc import Callable

START = 0x68

# check_at(buf, i) -> size of a valid frame at buf[i] (a 68), 0 if incomplete, -1 if invalid
CheckAt = Callable[[bytes, int], int]


def _next_valid(buf: bytes, start: int, check_at: CheckAt) -> tuple[int, int]:
    """(position, size) of the first complete valid frame at or after start, or (-1, 0)."""
    j = buf.find(START, start)
    while j >= 0:
        size = check_at(buf, j)
        if size > 0:
            return j, size
        j = buf.find(START, j + 1)
    return -1, 0


def scan(buf: bytes, check_at: CheckAt) -> tuple[bytes | None, int]:
    """(frame, consumed): the first frame without preamble (None while incomplete) and how many
    leading bytes to drop. Garbage and FE are skipped; a start byte whose frame fails its checks
    is dropped alone (resynchronisation). An incomplete candidate that is followed by a complete
    valid frame is treated as garbage, so a stray 68 cannot stall the stream."""
    buf = bytes(buf)
    i = buf.find(START)
    while i >= 0:
        size = check_at(buf, i)
        if size > 0:
            return buf[i:i + size], i + size
        if size == 0:
            j, later = _next_valid(buf, i + 1, check_at)
            if j >= 0:
                return buf[j:j + later], j + later
            return None, i
        i = buf.find(START, i + 1)
    return None, len(buf)
