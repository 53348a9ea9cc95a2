"""Property tests: any bytes give a value or ProtocolError/MeterRefused, and encode -> decode
round trips hold for values, addresses and frames."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from comms.errors import MeterRefused, ProtocolError
from comms.protocols import bcd, cjt188, cjt188_data, dlt645
from comms.protocols import dlt645_requests as req
from comms.protocols.dlt645_data import TABLE_1997, TABLE_2007, decode_value, encode_value, lookup

OK_ERRORS = (ProtocolError, MeterRefused)
settings.register_profile("comms", max_examples=150, deadline=None)
settings.load_profile("comms")


def _safe(fn, *args):
    try:
        return fn(*args)
    except OK_ERRORS:
        return None


@given(st.binary(max_size=80))
def test_645_any_bytes(data):
    frame_bytes, consumed = dlt645.extract_frame(data)
    assert 0 <= consumed <= len(data)
    frame = _safe(dlt645.parse_frame, data)
    if frame_bytes is not None:
        frame = dlt645.parse_frame(frame_bytes)
    if frame is not None:
        for version in ("2007", "1997"):
            _safe(req.parse_read_reply, frame, version)
            _safe(req.decode_reading, frame, version)
        _safe(req.parse_address_reply, frame)
        _safe(req.parse_control, frame)
        _safe(req.parse_write, frame)
        _safe(dlt645.raise_if_error, frame)
        _safe(lambda: frame.address)


@given(st.sampled_from(sorted(TABLE_2007) + sorted(TABLE_1997)), st.binary(max_size=16))
def test_decode_value_any_bytes(di, data):
    item = lookup(di, "1997" if len(di) == 4 else "2007")
    _safe(decode_value, item, data)


@given(st.binary(max_size=80))
def test_188_any_bytes(data):
    frame_bytes, consumed = cjt188.extract_frame(data)
    assert 0 <= consumed <= len(data)
    _safe(cjt188.parse_frame, data)
    _safe(cjt188_data.parse_meter_data, data)
    _safe(cjt188_data.valve_state, data)
    _safe(cjt188.di_from_bytes, data)
    if frame_bytes is not None:
        frame = cjt188.parse_frame(frame_bytes)
        _safe(cjt188.raise_if_error, frame)
        _safe(cjt188_data.parse_meter_data, frame.data)


@given(st.binary(min_size=22, max_size=22) | st.binary(min_size=46, max_size=46))
def test_188_meter_data_any_bytes(data):
    _safe(cjt188_data.parse_meter_data, data)


@given(st.binary(max_size=12), st.integers(0, 4), st.booleans())
def test_bcd_any_bytes(data, decimals, signed):
    _safe(bcd.decode_bcd, data, decimals, signed)
    _safe(bcd.bcd_to_int, data)
    _safe(bcd.wire_to_address, data)


@given(st.integers(1, 6), st.integers(0, 4), st.booleans(), st.data())
def test_bcd_round_trip(length, decimals, signed, data):
    top = (8 * 10 ** (2 * length - 1) if signed else 100 ** length) - 1
    units = data.draw(st.integers(-top if signed else 0, top))
    value = Decimal(units).scaleb(-decimals)
    assert bcd.decode_bcd(bcd.encode_bcd(value, length, decimals, signed), decimals, signed) == value


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_address_round_trip(address):
    wire = bcd.address_to_wire(address, 6)
    assert wire == bytes.fromhex(address)[::-1]
    assert bcd.wire_to_address(wire) == address


_addr645 = st.text(alphabet="0123456789", min_size=12, max_size=12)
_addr188 = st.text(alphabet="0123456789", min_size=14, max_size=14)


@given(_addr645, st.integers(0, 255), st.binary(max_size=60), st.integers(0, 4),
       st.binary(max_size=20), st.binary(max_size=20))
def test_645_frame_round_trip(address, control, data, pre, junk, tail):
    raw = dlt645.build_frame(address, control, data, pre)
    frame = dlt645.parse_frame(raw)
    assert (frame.address, frame.control, frame.data, frame.preamble) == (address, control, data, pre)
    junk = junk.replace(b"\x68", b"")
    stream = junk + raw + tail
    got, consumed = dlt645.extract_frame(stream)
    assert got == raw[pre:] and consumed == len(junk) + len(raw)


@given(_addr188, st.integers(0, 255), st.integers(0, 255), st.binary(max_size=60),
       st.integers(0, 13), st.binary(max_size=20))
def test_188_frame_round_trip(address, mtype, control, data, pre, junk):
    raw = cjt188.build_frame(mtype, address, control, data, pre)
    frame = cjt188.parse_frame(raw)
    assert (frame.meter_type, frame.address, frame.control, frame.data) == \
        (mtype, address, control, data)
    junk = junk.replace(b"\x68", b"")
    assert cjt188.extract_frame(junk + raw) == (raw[pre:], len(junk) + len(raw))


def test_extract_resynchronises_after_bad_checksum():
    good = bytes.fromhex("68 25 04 03 02 01 00 68 91 08 33 33 34 33 75 39 45 33 8B 16")
    bad = bytearray(good)
    bad[-2] ^= 0xFF
    got, consumed = dlt645.extract_frame(bytes(bad) + good)
    assert got == good and consumed == 2 * len(good)
    # a frame cut short is incomplete, not garbage
    assert dlt645.extract_frame(b"\xfe\xfe" + good[:-3]) == (None, 2)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)))
def test_time_round_trip(when):
    when = when.replace(microsecond=0)
    frame = dlt645.parse_frame(req.broadcast_time_request(when))
    assert req.time_from_bytes(frame.data) == when


@given(st.sampled_from([i for i in TABLE_2007.values() if i.kind in ("bcd", "count", "word")]),
       st.data())
def test_item_round_trip(item, data):
    if item.kind == "word":
        values = [f"{data.draw(st.integers(0, 0xFFFF)):04X}" for _ in range(item.count)]
    elif item.kind == "count":
        values = [data.draw(st.integers(0, 10 ** (2 * item.length) - 1)) for _ in range(item.count)]
    else:
        top = (8 * 10 ** (2 * item.length - 1) if item.signed else 100 ** item.length) - 1
        values = [Decimal(data.draw(st.integers(-top if item.signed else 0, top)))
                  .scaleb(-item.decimals) for _ in range(item.count)]
    value = values if item.count > 1 else values[0]
    assert decode_value(item, encode_value(item, value)) == value


@given(st.sampled_from(["value-unit", "unit-value"]),
       st.lists(st.integers(0, 99999999), min_size=5, max_size=5), st.integers(0, 255))
def test_heat_data_round_trip(layout, numbers, ser):
    units = [0x05, 0x08, 0x17, 0x35, 0x2C]
    fields = {name: cjt188_data.Quantity(Decimal(n).scaleb(-2), u)
              for (name, _k), n, u in zip(cjt188_data.HEAT_FIELDS, numbers, units, strict=True)}
    extra = {"supply_temp": Decimal("23.02"), "return_temp": Decimal("19.10"), "work_hours": 5834}
    raw = cjt188_data.encode_meter_data(b"\x90\x1f", ser, fields, datetime(2023, 9, 5, 12, 49, 9),
                                        b"\x00\x08", extra, layout)
    data = cjt188_data.parse_meter_data(raw)
    assert data.fields == fields and data.extra == extra and data.ser == ser
    assert data.layout == layout


@given(st.text(max_size=20), st.text(max_size=12))
def test_builders_reject_bad_text_cleanly(text, other):
    from comms.protocols.dlt645_data import normalise_di
    for call in (lambda: bcd.address_to_wire(text, 6), lambda: normalise_di(text),
                 lambda: normalise_di(text, "1997"), lambda: req.credentials(text, other),
                 lambda: req.read_request(text, other), lambda: cjt188.di_bytes(text, other),
                 lambda: cjt188.parse_type(text), lambda: cjt188.read_request(other, text),
                 lambda: req.control_request(text, other)):
        _safe(call)
