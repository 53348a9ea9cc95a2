"""The comms fixtures (a simulator on loopback TCP or a pty; drivers through the real
Transport/Channel stack) for the bus-survival tests."""
from tests.comms.conftest import clock, connect, sim  # noqa: F401
