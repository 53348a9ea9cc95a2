"""A link opened for work: its Channel (or Modbus TCP client) and one driver per meter.

    with LinkSession("tcp://127.0.0.1:9000") as link:
        link.driver(MeterConfig("dlt645-2007", "000000000001")).read(["energy"])

Used by the poller (one session per link worker), and by `meterstation read` / `control`.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from comms.interfaces import MeterConfig, MeterDriver
from models.link_urls import parse_link_url

if TYPE_CHECKING:
    from comms.links.modbus import TcpLink
    from comms.links.transaction import Channel, ChannelStats


# comms.drivers.factory.make_driver once imported (lazily: it brings the archive's models), not an
# import statement per driver built (10,000 in a first cycle): in a process with PySide6 loaded
# (the tests) each one is four Python calls more, through PySide6's Python-level import hook
_make_driver: Callable[[MeterConfig, Channel], MeterDriver] | None = None


def _factory() -> Callable[[MeterConfig, Channel], MeterDriver]:
    global _make_driver
    from comms.drivers.factory import make_driver

    _make_driver = make_driver
    return make_driver


class LinkSession:
    def __init__(self, url: str) -> None:
        self.spec = parse_link_url(url)
        self.url = url
        self._channel: Channel | None = None
        self._tcp_link: TcpLink | None = None
        self._drivers: dict[tuple[str, str, str | None, tuple[tuple[str, str], ...]], MeterDriver] = {}
        # id(config) -> its driver: no key to build. The driver alone, not (config, driver): a
        # tuple holding a driver is one more object per meter for Python's cyclic collector to
        # walk at every full collection (the GUI thread's, ui/gui_main.py)
        self._by_config: dict[int, MeterDriver] = {}
        self._retry_silence = True

    def retry_silence(self, flag: bool) -> None:
        """False for routine reads: a timeout ends the exchange (one timeout per silent meter)."""
        self._retry_silence = flag
        if self._channel is not None:
            self._channel.retry_silence = flag

    @property
    def channel(self) -> Channel:
        if self._channel is None:
            from comms.links.transaction import Channel
            from comms.links.transport import open_transport

            self._channel = Channel(open_transport(self.spec))
            self._channel.retry_silence = self._retry_silence
        return self._channel

    def driver(self, config: MeterConfig) -> MeterDriver:
        known = self._by_config.get(id(config))
        if known is not None and known.config is config:    # the poller's configs are built once
            return known
        key = (config.protocol, config.address, config.profile, tuple(sorted(config.options.items())))
        driver = self._drivers.get(key)
        if driver is None:
            if self.spec.scheme == "modbus-tcp":
                from comms.drivers.modbus import ModbusDriver
                from comms.links.modbus import TcpLink

                if self._tcp_link is None:
                    self._tcp_link = TcpLink(self.spec)
                driver = ModbusDriver(config, self._tcp_link)
            else:
                make = _make_driver or _factory()
                driver = make(config, self._channel if self._channel is not None else self.channel)
            self._drivers[key] = driver
        if driver.config is config:         # else (an equal config, another object) by key next time
            self._by_config[id(config)] = driver
        return driver

    def stats(self) -> ChannelStats | None:
        return None if self._channel is None else self._channel.stats

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
        if self._tcp_link is not None:
            self._tcp_link.close()
        # the drivers stay: they hold the channel (or Modbus TCP link), which reopens on the next
        # exchange - a poll cycle or a reconnect does not rebuild 10,000 drivers

    def __enter__(self) -> LinkSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
