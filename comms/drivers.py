"""make_driver: the MeterDriver for a MeterConfig, speaking through a link's Channel.

    channel = Channel(open_transport(parse_link_url(url)))
    driver = make_driver(MeterConfig("dlt645-2007", "000000000001"), channel)
    driver.read(["energy", "balance", "relay"])
"""
from __future__ import annotations

from comms.driver import MeterConfig, MeterDriver
from comms.errors import Unsupported
from comms.transaction import Channel
from models.archive import PROTOCOLS
from resources.i18n import _


def make_driver(config: MeterConfig, channel: Channel) -> MeterDriver:
    if config.protocol == "dlt645-2007":
        from comms.dlt645_driver import DLT645Driver
        return DLT645Driver(config, channel, "2007")
    if config.protocol == "dlt645-1997":
        from comms.dlt645_driver import DLT645Driver
        return DLT645Driver(config, channel, "1997")
    if config.protocol == "cjt188":
        from comms.cjt188_driver import CJT188Driver
        return CJT188Driver(config, channel)
    if config.protocol == "modbus":
        # --- Modbus hook: comms/modbus_driver.py is written by the Modbus side. ---
        from comms.modbus_driver import ModbusDriver
        return ModbusDriver(config, channel)
    raise Unsupported(_("Protocol {protocol} is not known; use one of {protocols}")
                      .format(protocol=config.protocol, protocols=", ".join(PROTOCOLS)))
