"""What a DL/T 645 read sends and checks, worked out once and shared (issue 12: a poll of 10,000
meters used to redo it for every read): a DI's table entry and bytes, the quantities a meter is
asked, a meter's link options, and what a reply must echo. Used by comms/drivers/dlt645.py."""
from __future__ import annotations

import enum
from typing import Final

from comms.drivers.options import opt_float, opt_int
from comms.errors import MeterRefused, ProtocolError, Unsupported
from comms.interfaces import MeterConfig
from comms.protocols import dlt645
from comms.protocols.dlt645_data import DataItem, di_bytes, di_from_bytes, lookup
from resources.i18n import _


class Unset(enum.Enum):
    """Not in the echo cache (None there means: a reply with no DI to check)."""
    UNSET = 0


UNSET: Final = Unset.UNSET
# What a normal reply's (unscrambled) data must start with - the DI asked for - and, for a 2007
# follow-up read, end with - its SEQ; None for commands whose reply carries no DI.
Echo = tuple[bytes, bytes | None] | None
# version -> {DI as asked -> its table entry, its bytes as sent, whether a reply that echoes
# those bytes names the entry's DI}: the same for every meter (a driver keeps its version's
# dict: a read looks its DI up by the string alone)
DiInfo = tuple[DataItem, bytes, bool]
DI_TABLES: dict[str, dict[str, DiInfo]] = {"2007": {}, "1997": {}}
# (version, quantities asked) -> (those the protocol offers, in order; the energies among them)
WANTED: dict[tuple[str, tuple[str, ...]], tuple[list[str], list[str]]] = {}
# (function, DI bytes as sent, preamble) -> a read request's bytes around the meter's address
# (dlt645.frame_parts): 10,000 meters' requests for one DI differ only in their address
READ_FRAMES: dict[tuple[int, bytes, int], tuple[bytes, bytes, int]] = {}
# the raw (timeout, retries, preamble) options -> their values: 10,000 meters, a handful of spellings
_LINK_OPTIONS: dict[tuple[object, object, object], tuple[float, int, int]] = {}


class ReplyCheck:
    """The reply check of one kind of exchange with one meter: the frame must come from this
    meter (its header 68 A0..A5 68 compared as bytes; parsed for a wildcard address), answer this
    function (normal, error or follow-up reply) and - for reads - carry the DI (and SEQ) asked;
    a late reply to an earlier request is dropped. The frame it accepts is kept in .frame (the
    exchange returns its bytes: they are not parsed twice). An object rather than a closure: one
    read's check per meter is kept for the poller's life, and a closure's cells are seven more
    objects for every garbage collection to walk at 10,000 meters."""
    __slots__ = ("header", "address", "function", "reply", "di", "seq", "frame")

    def __init__(self, header: bytes | None, address: str, function: int, echo: Echo) -> None:
        self.header = header                # None: a wildcard or broadcast address
        self.address = address
        self.function = function
        self.reply = 0x80 | function
        self.di: bytes | None = None if echo is None else echo[0]
        self.seq: bytes | None = None if echo is None else echo[1]
        self.frame: dlt645.Frame | None = None

    def match(self, raw: bytes) -> bool:
        # raw is what dlt645.extract_frame took off the line: 68 A0..A5 68 C L DATA CS 16, its
        # length, checksum and end byte checked there; no preamble
        header = self.header
        frame: dlt645.Frame | None = None
        if header is not None:
            if raw[:8] != header:
                return False                # another meter's frame: no decoding at all
            if type(raw) is bytes and len(raw) >= dlt645.MIN_FRAME and len(raw) == dlt645.MIN_FRAME + raw[9] \
                    and raw[-1] == dlt645.END and sum(raw[:-2]) & 0xFF == raw[-2]:
                # parse_frame's checks and its Frame, for a frame that starts with the header
                # (68 A0..A5 68: no preamble) - a call less a reply
                frame = dlt645.Frame(raw[1:7], raw[8], raw[10:-2].translate(dlt645.UNSCRAMBLE))
        if frame is None:
            try:
                frame = dlt645.parse_frame(raw)
            except ProtocolError:
                return False
        control = frame.control
        if control & 0x9F != self.reply:
            return False
        if header is None and not dlt645.is_reply_to(frame, self.function, self.address):
            return False
        di, seq = self.di, self.seq
        if control & 0x40 or di is None or (
                frame.data.startswith(di) and (seq is None or frame.data.endswith(seq))):
            self.frame = frame
            return True
        return False

    def accepted(self, raw: bytes) -> dlt645.Frame:
        """The frame the exchange returned (as match parsed it), an error reply raised."""
        frame, self.frame = self.frame, None
        return dlt645.raise_if_error(frame if frame is not None else dlt645.parse_frame(raw))


def di_table(version: str) -> dict[str, DiInfo]:
    """di_info's cache for one version (DI as asked -> di_info's answer)."""
    table = DI_TABLES.get(version)
    if table is None:
        table = DI_TABLES.setdefault(version, {})
    return table


def di_info(di: str, version: str) -> DiInfo:
    """The table entry of a DI, its bytes as sent, and whether a reply echoing those bytes names
    the entry's DI (read_reply_parts' DI is then the one asked for); Unsupported for a DI not in
    the table."""
    table = di_table(version)
    info = table.get(di)
    if info is None:
        item = lookup(di, version)
        if item is None:
            raise Unsupported(_("Data identifier {di} is not known").format(di=di))
        raw_di = di_bytes(item.di, version)
        info = (item, raw_di, di_from_bytes(raw_di) == item.di)
        if len(table) < 4096:
            table[di] = info
    return info


def link_options(config: MeterConfig) -> tuple[float, int, int]:
    """The meter's (timeout, retries, preamble) options, parsed and checked as opt_* do."""
    options = config.options
    key = (options.get("timeout"), options.get("retries"), options.get("preamble"))
    try:
        known = _LINK_OPTIONS.get(key)
        hashable = True
    except TypeError:               # a value that cannot be a key: parse it every time
        known, hashable = None, False
    if known is None:               # parsed (and refused, InvalidInput) as before
        known = (opt_float(config, "timeout", 1.5), opt_int(config, "retries", 1),
                 opt_int(config, "preamble", 4))
        if hashable and len(_LINK_OPTIONS) < 256:
            _LINK_OPTIONS[key] = known
    return known


def no_data(exc: MeterRefused) -> bool:
    """The meter answered "no such data" (ERR bit 1): the quantity is left out."""
    return bool(dlt645.err_code(exc) & dlt645.ERR_NO_DATA)


def echo_of(request: bytes, function: int, version: str) -> Echo:
    """What a normal reply to a read must echo: its DI (2007: 4 bytes; 1997: 2) and, for a
    2007 follow-up read, the SEQ byte last. None for commands whose reply carries no DI."""
    fn = dlt645.F1997 if version == "1997" else dlt645.F2007
    if function not in (fn["read"], fn["read_more"]):
        return None
    data = dlt645.parse_frame(request).data
    width = 2 if version == "1997" else 4
    if function == fn["read_more"] and version != "1997":
        return data[:width], data[width:width + 1]
    return data[:width], None
