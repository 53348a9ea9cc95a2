"""A pure-Python null modem: two pseudo-terminals whose masters are joined by one thread.

    with NullModem() as (left, right):      # two /dev/pts/N paths; bytes written to one
        ...                                 # arrive at the other (no socat needed)
"""
from __future__ import annotations

import os
import select
import threading
import tty


class NullModem:
    def __init__(self) -> None:
        self._stop = threading.Event()
        self._fds: list[int] = []
        self._thread: threading.Thread | None = None

    def __enter__(self) -> tuple[str, str]:
        names = []
        for _ in range(2):
            master, slave = os.openpty()
            tty.setraw(master)
            tty.setraw(slave)
            names.append(os.ttyname(slave))
            self._fds += [master, slave]
        self._thread = threading.Thread(target=self._pump, name="null-modem", daemon=True)
        self._thread.start()
        return names[0], names[1]

    def _pump(self) -> None:
        a, b = self._fds[0], self._fds[2]
        peer = {a: b, b: a}
        while not self._stop.is_set():
            ready, _, _ = select.select([a, b], [], [], 0.05)
            for fd in ready:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    continue      # the other side closed its slave for a moment
                if data:
                    os.write(peer[fd], data)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        for fd in self._fds:
            os.close(fd)
