"""make_driver: the MeterDriver for a MeterConfig, speaking through a link's Channel.

    channel = Channel(open_transport(parse_link_url(url)))
    driver = make_driver(MeterConfig("dlt645-2007", "000000000001"), channel)
    driver.read(["energy", "balance", "relay"])
"""
from __future__ import annotations

from comms.drivers.dlt645 import DLT645Driver
from comms.errors import Unsupported
from comms.interfaces import MeterConfig, MeterDriver
from comms.links.transaction import Channel
from models.archive import PROTOCOLS
from resources.i18n import _


def make_driver(config: MeterConfig, channel: Channel) -> MeterDriver:
    # DL/T 645 imported with this module, not by an import statement per driver: a first poll
    # cycle makes 10,000 of them, and in a process with PySide6 loaded (the tests; the runtime
    # itself now runs in a child without Qt, station/runtime_child.py) every import statement
    # goes through its Python-level hook (four calls each)
    if config.protocol == "dlt645-2007":
        return DLT645Driver(config, channel, "2007")
    if config.protocol == "dlt645-1997":
        return DLT645Driver(config, channel, "1997")
    if config.protocol == "cjt188":
        from comms.drivers.cjt188 import CJT188Driver
        return CJT188Driver(config, channel)
    if config.protocol == "modbus":
        # --- Modbus hook: comms/drivers/modbus.py is written by the Modbus side. ---
        from comms.drivers.modbus import ModbusDriver
        return ModbusDriver(config, channel)
    raise Unsupported(_("Protocol {protocol} is not known; use one of {protocols}")
                      .format(protocol=config.protocol, protocols=", ".join(PROTOCOLS)))
