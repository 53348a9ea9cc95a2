"""SMS notices to customers: PDU encoding (pdu.py), a GSM modem sender over a serial port
(modem.py) and a sender that writes JSON lines to a folder (file_sender.py).

station/sms_delivery.make_sender(kind) builds the sender named by the setting sms.sender ("modem" or "file");
every sender has send(phone, text, reference=None) -> list of message references, and is a
context manager (the modem port is held only while a batch is sent).
"""
from __future__ import annotations

from comms.sms.file_sender import FileSender
from comms.sms.modem import ModemNoReply, ModemRejected, ModemSender, SmsError
from comms.sms.pdu import PduError, decode_submit, encode_submit

__all__ = ["FileSender", "ModemNoReply", "ModemRejected", "ModemSender", "PduError", "SmsError",
           "decode_submit", "encode_submit"]
