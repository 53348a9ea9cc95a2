"""The outbox's exactly-once delivery: the poll_db station (simulator on loopback TCP, link bus1,
meters E1..E3 and W1) on both backends."""
from tests.comms.polling.conftest import sim, station  # noqa: F401 - fixtures
