"""Modbus RTU frames with pymodbus's PDU classes and RTU framer, for links shared with DL/T 645.

Requests are pymodbus PDUs encoded by FramerRTU (CRC included). Replies are found in a byte
stream by `find_rtu_frame`: the frame length comes from pymodbus (lookupPduClass +
calculateRtuFrameSize: fixed size, or the byte count), the CRC is checked by FramerRTU.check_CRC,
and bytes that are not a frame (another protocol's traffic, line noise) are skipped, so a Channel
can hunt for one meter's reply on a busy RS-485 line.
"""
from __future__ import annotations

import struct
from collections.abc import Callable, Sequence

from pymodbus.exceptions import ModbusException
from pymodbus.framer.rtu import FramerRTU
from pymodbus.pdu import DecodePDU, ExceptionResponse, ModbusPDU
from pymodbus.pdu.register_message import (
    ReadHoldingRegistersRequest,
    ReadInputRegistersRequest,
    WriteMultipleRegistersRequest,
    WriteSingleRegisterRequest,
)

from comms.errors import MeterRefused, ProtocolError
from comms.interfaces import FrameExtractor
from resources.i18n import N_, _

CLIENT_DECODER = DecodePDU(is_server=False)
SERVER_DECODER = DecodePDU(is_server=True)
READS = {3: ReadHoldingRegistersRequest, 4: ReadInputRegistersRequest}

EXCEPTION_NAMES = {
    1: N_("illegal function"), 2: N_("illegal data address"), 3: N_("illegal data value"),
    4: N_("device failure"), 5: N_("acknowledge"), 6: N_("device busy"),
    7: N_("negative acknowledge"), 8: N_("memory parity error"),
    10: N_("gateway path unavailable"), 11: N_("gateway target did not respond"),
}


def read_request(unit: int, function: int, address: int, count: int) -> ModbusPDU:
    return READS[function](address=address, count=count, dev_id=unit)


def write_request(unit: int, function: int, address: int, values: Sequence[int]) -> ModbusPDU:
    if function == 6:
        return WriteSingleRegisterRequest(address=address, registers=list(values), dev_id=unit)
    return WriteMultipleRegistersRequest(address=address, registers=list(values), dev_id=unit)


def encode_frame(pdu: ModbusPDU) -> bytes:
    """The RTU frame (unit id, PDU, CRC) of a request or a response."""
    return FramerRTU(CLIENT_DECODER).buildFrame(pdu)


def reply_size(request: ModbusPDU) -> int:
    """Bytes in a normal (non-exception) RTU reply to `request`."""
    if request.function_code in READS:
        return 5 + 2 * request.count
    return 8


def find_rtu_frame(buf: bytes, *, unit: int | None = None, function: int | None = None,
                   decoder: DecodePDU = CLIENT_DECODER,
                   size: int | None = None) -> tuple[bytes | None, int]:
    """First CRC-valid RTU frame in buf -> (frame, bytes consumed), or (None, bytes to drop).

    With unit and function (a reply hunt) only frames from that unit with that function or
    its exception are taken; a frame of that header that fails its CRC raises ProtocolError once
    nothing else in buf could still become a frame; a valid one of the wrong size (when `size`
    is given) raises ProtocolError. Without them, anything else is skipped silently.
    """
    strict = unit is not None and function is not None
    pending: int | None = None
    bad_crc = False
    for start in range(len(buf) - 1):
        head = buf[start:]
        if unit is not None and head[0] != unit:
            continue
        if function is not None and head[1] not in (function, function | 0x80):
            continue
        try:
            pdu_class = decoder.lookupPduClass(head)
            length = pdu_class.calculateRtuFrameSize(head) if pdu_class else -1
        except (IndexError, KeyError, ModbusException):
            continue
        if length < 0 or length > FramerRTU.MAX_SIZE:
            continue
        if length < FramerRTU.MIN_SIZE or len(head) < length:
            pending = start if pending is None else pending
            continue
        frame = head[:length]
        if not FramerRTU.check_CRC(frame[:-2], int.from_bytes(frame[-2:], "big")):
            bad_crc = True
            continue
        if strict and size is not None and not frame[1] & 0x80 and length != size:
            raise ProtocolError(_("The reply from Modbus unit {unit} has {got} bytes, expected "
                                  "{size}").format(unit=unit, got=length, size=size))
        return frame, start + length
    if pending is not None:
        return None, pending
    if strict and bad_crc:
        raise ProtocolError(_("The reply from Modbus unit {unit} failed its CRC check").format(
            unit=unit))
    keep = 1 if buf and (unit is None or buf[-1] == unit) else 0
    return None, len(buf) - keep


def reply_extractor(request: ModbusPDU) -> FrameExtractor:
    """A Channel frame extractor for the reply to `request` (one unit, one function)."""
    expected = reply_size(request)

    def extract(buf: bytes) -> tuple[bytes | None, int]:
        return find_rtu_frame(buf, unit=request.dev_id, function=request.function_code,
                              size=expected)
    return extract


def reply_matches(request: ModbusPDU) -> Callable[[bytes], bool]:
    """A Channel match check: the reply comes from the unit asked, for the function asked, with
    the byte count (reads) or register address (writes) of this request."""
    fc = request.function_code
    echo = None if fc in READS else int(request.address).to_bytes(2, "big")

    def match(frame: bytes) -> bool:
        if len(frame) < 3 or frame[0] != request.dev_id or frame[1] & 0x7F != fc:
            return False
        if frame[1] & 0x80:
            return True
        # a late reply to an earlier request: a read of another size, a write elsewhere
        return frame[2] == 2 * request.count if echo is None else frame[2:4] == echo
    return match


def decode_frame(frame: bytes, decoder: DecodePDU = CLIENT_DECODER) -> ModbusPDU:
    """The PDU in one complete RTU frame (CRC checked); ProtocolError when it is not one."""
    try:
        if len(frame) < FramerRTU.MIN_SIZE or not FramerRTU.check_CRC(
                frame[:-2], int.from_bytes(frame[-2:], "big")):
            raise ProtocolError(_("The Modbus frame is damaged (bad length or CRC)"))
        pdu = decoder.decode(frame[1:-2])
    except (IndexError, ValueError, struct.error, ModbusException):
        pdu = None
    if pdu is None:
        raise ProtocolError(_("The Modbus frame {frame} cannot be decoded").format(
            frame=frame.hex(" ")))
    pdu.dev_id = frame[0]
    return pdu


def refused(pdu: ExceptionResponse, unit: int) -> MeterRefused:
    """The translated MeterRefused for an exception response."""
    code = pdu.exception_code
    name = _(EXCEPTION_NAMES[code]) if code in EXCEPTION_NAMES else _("unknown exception")
    return MeterRefused(_("Modbus unit {unit} refused the request: exception {code:02X} "
                          "({name})").format(unit=unit, code=code, name=name),
                        exception_code=code)


def check_reply(request: ModbusPDU, reply: ModbusPDU) -> ModbusPDU:
    """Raise MeterRefused for an exception reply, ProtocolError for a reply that does not
    answer `request`; return the reply otherwise."""
    unit = request.dev_id
    if reply.isError() and isinstance(reply, ExceptionResponse):
        raise refused(reply, unit)
    if reply.function_code != request.function_code:
        raise ProtocolError(_("Modbus unit {unit} answered function {got} to function "
                              "{function}").format(unit=unit, got=reply.function_code,
                                                   function=request.function_code))
    if request.function_code in READS:
        ok = len(reply.registers) == request.count
    elif request.function_code == 6:
        ok = (reply.address, list(reply.registers)) == (request.address,
                                                         list(request.registers))
    else:
        ok = (reply.address, reply.count) == (request.address, request.count)
    if not ok:
        raise ProtocolError(_("The reply from Modbus unit {unit} does not match the "
                              "request").format(unit=unit))
    return reply
