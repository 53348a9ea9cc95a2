"""Link URLs: where a bus of meters is reached.

    serial:///dev/ttyUSB0?baud=2400&parity=E     a PC serial port (COM3 on Windows: serial://COM3)
    tcp://HOST:PORT                              a transparent serial server / DTU
    modbus-tcp://HOST:PORT                       Modbus TCP (MBAP framing)

The syntax is vocabulary both the archive (which checks a link before storing it) and comms
(which opens it) need, so it lives here at the bottom; nothing in it touches a port.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from models.errors import InvalidInput
from resources.i18n import _

PARITIES = {"N": "N", "E": "E", "O": "O", "NONE": "N", "EVEN": "E", "ODD": "O"}


@dataclass(frozen=True)
class LinkSpec:
    scheme: str              # "serial" | "tcp" | "modbus-tcp"
    url: str
    port: str = ""           # serial device (/dev/ttyUSB0, COM3)
    host: str = ""
    tcp_port: int = 0
    baud: int = 2400
    parity: str = "E"
    bytesize: int = 8
    stopbits: int = 1

    def byte_time(self) -> float:
        """Seconds per byte on the wire: start + data + parity + stop bits / baud."""
        bits = 1 + self.bytesize + (0 if self.parity == "N" else 1) + self.stopbits
        return bits / self.baud


def parse_link_url(url: str) -> LinkSpec:
    """Parse a link URL; raise InvalidInput with a clear message when it is malformed."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("serial", "tcp", "modbus-tcp"):
        raise InvalidInput(_("Link URL {url} is not valid: use serial://PORT, tcp://HOST:PORT or "
                             "modbus-tcp://HOST:PORT").format(url=url))
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    try:
        baud = int(query.get("baud", "2400" if parts.scheme != "modbus-tcp" else "9600"))
        parity = PARITIES[query.get("parity", "E").upper()]
        bytesize = int(query.get("bytesize", "8"))
        stopbits = int(query.get("stopbits", "1"))
        if baud <= 0 or bytesize not in (7, 8) or stopbits not in (1, 2):
            raise ValueError
    except (KeyError, ValueError):
        raise InvalidInput(_("Link URL {url} has bad serial settings").format(url=url)) from None
    if parts.scheme == "serial":
        device = (parts.netloc + parts.path) if parts.netloc else parts.path
        com = re.fullmatch(r"/?(?:\\\\\.\\)?(COM)(\d{1,3}):?", device, re.IGNORECASE)
        if com:      # Windows: serial://COM3, serial:///COM3, com3, COM3:, \\.\COM12 -> "COM3"
            device = f"COM{int(com.group(2))}"
        if not device:
            raise InvalidInput(_("Link URL {url} names no serial port").format(url=url))
        return LinkSpec("serial", url, port=device, baud=baud, parity=parity,
                        bytesize=bytesize, stopbits=stopbits)
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or not port:
        raise InvalidInput(_("Link URL {url} needs a host and a port").format(url=url))
    return LinkSpec(parts.scheme, url, host=host, tcp_port=port, baud=baud, parity=parity,
                    bytesize=bytesize, stopbits=stopbits)
