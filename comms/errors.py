"""Communication faults, each with one clear translated message (see models.errors)."""
from __future__ import annotations

from models.errors import StationError


class CommsError(StationError):
    """Base of every meter/link fault."""


class LinkError(CommsError):
    """The port or converter cannot be opened, or dropped the connection."""


class NoReply(CommsError):
    """The meter did not answer within the timeout (silent meter, wrong address)."""


class ProtocolError(CommsError):
    """Bytes that are not a valid frame, or a reply that does not match the request."""


class MeterRefused(CommsError):
    """The meter answered with an error reply (unsupported data, bad password...)."""


class Unsupported(CommsError):
    """The protocol or meter does not offer this quantity or action."""
