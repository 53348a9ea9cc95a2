"""Bytes on one link: transports (serial, TCP), one exchange at a time (transaction), the
Modbus links. A link opened for work with its drivers is comms/session.py."""
