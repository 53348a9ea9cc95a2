"""Register values, request frames and the RTU reply extractor, checked against the shared
vectors (CRCs recomputed with pymodbus) and with hypothesis on arbitrary bytes."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymodbus.framer.rtu import FramerRTU
from pymodbus.pdu.register_message import ReadInputRegistersResponse

from comms.errors import MeterRefused, ProtocolError
from comms.protocols import modbus_rtu as rtu
from comms.protocols.modbus_profile_schema import load_profile
from comms.protocols.modbus_profiles import RegisterSpec
from comms.protocols.modbus_values import decode_value, encode_value, float32_text, plan_reads

from .conftest import modbus_vectors

settings.register_profile("comms_modbus", max_examples=300, deadline=None)


def _hex(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


def _spec(**kw) -> RegisterSpec:
    base = dict(name="x", function=3, address=0, count=1, type="uint16", word_order="big",
                scale=Decimal(1), decimals=0, unit="")
    base.update(kw)
    return RegisterSpec(**base)


def test_ddsu666_voltage_vector():
    vector = next(v for v in modbus_vectors() if v["direction"] == "response"
                  and v["decoded_fields"].get("unit") == "V")
    frame = _hex(vector["hex"])
    pdu = rtu.decode_frame(frame)                       # CRC checked by pymodbus
    spec = load_profile("chint-ddsu666").quantities["voltage"]
    value = decode_value(spec, pdu.registers)
    assert value == Decimal("230.2") and str(value) == "230.2"
    assert value == Decimal(str(vector["decoded_fields"]["value"]))


def test_sdm_request_vectors_are_rebuilt_exactly():
    requests = [v for v in modbus_vectors() if v["direction"] == "request"]
    assert len(requests) >= 4
    profile = load_profile("eastron-sdm120")
    addresses = {s.address for s in profile.quantities.values()}
    for vector in requests:
        wire = _hex(vector["hex"])
        unit, function = wire[0], wire[1]
        address, count = int.from_bytes(wire[2:4], "big"), int.from_bytes(wire[4:6], "big")
        assert address in addresses
        assert FramerRTU.compute_CRC(wire[:-2]).to_bytes(2, "big") == wire[-2:]
        built = rtu.encode_frame(rtu.read_request(unit, function, address, count))
        assert built == wire, vector["meaning"]


def test_published_wrong_crc_is_caught():
    good = rtu.encode_frame(rtu.read_request(1, 4, 0x0046, 2))
    assert good.hex(" ").upper() == "01 04 00 46 00 02 90 1E"
    with pytest.raises(ProtocolError):
        rtu.decode_frame(_hex("01 04 00 46 00 02 90 E1"))


def test_acrel_event_reply_decodes():
    pdu = rtu.decode_frame(_hex("01 03 0C 12 01 08 0A 01 01 01 00 00 00 00 00 80 23"))
    assert pdu.function_code == 3 and len(pdu.registers) == 6 and pdu.registers[0] == 0x1201


@pytest.mark.parametrize("words, order, text", [
    ([0x4366, 0x3333], "big", "230.2"),
    ([0x3333, 0x4366], "little", "230.2"),
    ([0x4366, 0x3334], "big", "230.20001"),      # the DDSU666 vector: one ulp above 230.2
    ([0x3F80, 0x0000], "big", "1"),
    ([0xC2C8, 0x0000], "big", "-100"),
])
def test_float32_shortest_text(words, order, text):
    assert float32_text(words, order) == text


def test_float32_scale_and_rounding():
    spec = _spec(count=2, type="float32", scale=Decimal("0.001"), decimals=4, unit="kW")
    words = encode_value(_spec(count=2, type="float32"), Decimal("1234.5"))
    assert decode_value(spec, words) == Decimal("1.2345")
    assert str(decode_value(_spec(count=2, type="float32", decimals=2), words)) == "1234.50"


def test_float32_not_a_number():
    with pytest.raises(ProtocolError, match="not a number"):
        decode_value(_spec(count=2, type="float32", decimals=1), [0x7FC0, 0])


@pytest.mark.parametrize("kind, words, scale, expected", [
    ("uint32", [0x0001, 0xE240], "0.01", "1234.56"),
    ("int16", [0xFC18], "0.001", "-1.000"),
    ("int32", [0xFFFF, 0xFFFF], "0.01", "-0.01"),
    ("uint16", [2302], "0.1", "230.2"),
])
def test_integers_scale_exactly(kind, words, scale, expected):
    spec = _spec(type=kind, count=len(words), scale=Decimal(scale),
                 decimals=-Decimal(scale).as_tuple().exponent)
    value = decode_value(spec, words)
    assert str(value) == expected
    assert encode_value(spec, value) == words


def test_states_and_bad_counts():
    relay = load_profile("meterstation-sim-prepaid").quantities["relay"]
    assert decode_value(relay, [0]) == "closed" and decode_value(relay, [1]) == "open"
    with pytest.raises(ProtocolError, match="not a known state"):
        decode_value(relay, [9])
    with pytest.raises(ProtocolError, match="returned 2 registers"):
        decode_value(relay, [0, 0])


def test_grouping_makes_few_requests():
    sdm = load_profile("eastron-sdm630")
    groups = plan_reads(list(sdm.quantities.values()), sdm.max_registers, sdm.max_gap)
    # 0x0000-0x0011 | 0x0034 | 0x003E | 0x0046-0x004B | 0x00E0 | 0x0156 (gaps are not read)
    assert [(g.address, g.count) for g in groups] == [
        (0x0000, 18), (0x0034, 2), (0x003E, 2), (0x0046, 6), (0x00E0, 2), (0x0156, 2)]
    sim = load_profile("meterstation-sim-prepaid")
    assert len(plan_reads(list(sim.quantities.values()))) == 1
    assert len(plan_reads(list(sim.quantities.values()), max_registers=8)) == 3
    bridged = plan_reads(list(sdm.quantities.values()), 125, max_gap=40)
    assert [(g.address, g.count) for g in bridged][:2] == [(0x0000, 0x004C), (0x00E0, 2)]


# -- the RTU reply extractor ----------------------------------------------------------------
READ = rtu.read_request(1, 4, 0x2000, 2)
REPLY = _hex("01 04 04 43 66 33 34 1B 38")


def test_extractor_finds_reply_after_foreign_traffic():
    dlt645 = _hex("FE FE 68 01 00 00 00 00 00 68 91 08 33 33 34 33 33 33 33 33 AA 16")
    extract = rtu.reply_extractor(READ)
    frame, used = extract(dlt645 + REPLY + b"\x00")
    assert frame == REPLY and used == len(dlt645) + len(REPLY)


def test_extractor_waits_for_split_reply():
    extract = rtu.reply_extractor(READ)
    assert extract(REPLY[:5]) == (None, 0)
    assert extract(REPLY) == (REPLY, len(REPLY))


def test_extractor_exception_reply_and_refusal():
    refusal = rtu.encode_frame(rtu.ExceptionResponse(4, 2, device_id=1))
    frame, _used = rtu.reply_extractor(READ)(refusal)
    with pytest.raises(MeterRefused, match=r"exception 02 \(illegal data address\)") as err:
        rtu.check_reply(READ, rtu.decode_frame(frame))
    assert err.value.details["exception_code"] == 2


def test_extractor_bad_crc_and_wrong_size():
    broken = REPLY[:-1] + bytes([REPLY[-1] ^ 0xFF])
    with pytest.raises(ProtocolError, match="CRC"):
        rtu.reply_extractor(READ)(broken)
    four = ReadInputRegistersResponse(registers=[1, 2, 3, 4], dev_id=1)
    with pytest.raises(ProtocolError, match="has 13 bytes, expected 9"):
        rtu.reply_extractor(READ)(rtu.encode_frame(four))


def test_check_reply_mismatch():
    reply = rtu.decode_frame(REPLY)
    with pytest.raises(ProtocolError, match="does not match"):
        rtu.check_reply(rtu.read_request(1, 4, 0x2000, 4), reply)


def _frame_or_protocol_error(extract, data: bytes):
    try:
        frame, used = extract(data)
    except ProtocolError:
        return
    assert 0 <= used <= len(data)
    if frame is not None:
        assert data[used - len(frame):used] == frame
        rtu.decode_frame(frame) if frame[1] & 0x7F in (3, 4, 6, 16) else None


@settings(settings.get_profile("comms_modbus"))
@given(st.binary(max_size=120))
def test_extractors_on_any_bytes(data):
    for extract in (rtu.reply_extractor(READ),
                    rtu.reply_extractor(rtu.write_request(7, 16, 0x20, [1, 2, 3, 4])),
                    rtu.find_rtu_frame,
                    lambda b: rtu.find_rtu_frame(b, decoder=rtu.SERVER_DECODER)):
        _frame_or_protocol_error(extract, data)
        _frame_or_protocol_error(extract, data + REPLY)


@settings(settings.get_profile("comms_modbus"))
@given(st.binary(max_size=60), st.binary(max_size=60))
def test_reply_is_found_inside_noise(before, after):
    extract = rtu.reply_extractor(READ)
    try:
        frame, _used = extract(before + REPLY + after)
    except ProtocolError:
        return              # noise that happens to look like a damaged reply of this unit
    if frame is not None:
        assert rtu.decode_frame(frame).dev_id == 1


def test_refusal_message_is_translated():
    from resources import i18n

    i18n.set_language("zh_CN")
    message = str(rtu.refused(rtu.ExceptionResponse(3, 2, device_id=4), 4))
    assert "非法数据地址" in message and "02" in message
