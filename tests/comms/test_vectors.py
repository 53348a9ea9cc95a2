"""Every verified DL/T 645 and CJ/T 188 frame in tests/vectors/meter-frames.json decodes to its
recorded fields, and every request we build equals the verified bytes."""
from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from comms.protocols import cjt188, cjt188_data, dlt645
from comms.protocols import dlt645_requests as req
from comms.protocols.dlt645_data import lookup

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "meter-frames.json"
PROTOCOLS = ("dlt645-2007", "dlt645-1997", "cjt188")


def _load():
    return [v for v in json.loads(VECTORS.read_text(encoding="utf-8")) if v["protocol"] in PROTOCOLS]


CASES = _load()
assert CASES, f"no verified frames in {VECTORS}"
UNIT_ALIASES = {"yuan": "CNY"}


def _ids():
    return [f"{i}-{v['protocol']}-{v['direction']}" for i, v in enumerate(CASES)]


def _same(expected, got):
    if isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected)
        for e, g in zip(expected, got, strict=True):
            _same(e, g)
    elif expected == "FFFF" and got is None:
        pass
    elif isinstance(expected, float):
        assert got == Decimal(str(expected)), (expected, got)
    else:
        assert got == expected, (expected, got)


def _check_645(vector):
    raw = bytes.fromhex(vector["hex"])
    f = vector["decoded_fields"]
    version = "1997" if vector["protocol"] == "dlt645-1997" else "2007"
    frame = dlt645.parse_frame(raw)
    assert frame.preamble == f["preamble_fe_count"]
    assert frame.address_wire.hex().upper() == f["address_wire_hex"]
    assert frame.address == f["address_nameplate"]
    assert f"{frame.control:02X}" == f["control"]
    assert f"{frame.function:02X}" == f["function"]
    assert frame.ctrl.from_slave == f["dir_slave_to_master"]
    assert frame.ctrl.error == f["error_flag"]
    assert frame.ctrl.more == f["follow_flag"]
    assert len(frame.data) == f["length"]
    assert frame.data.hex().upper() == f["data_minus_33_wire_order"]
    assert f"{raw[-2]:02X}" == f["checksum"]
    assert dlt645.extract_frame(raw) == (raw[f["preamble_fe_count"]:], len(raw))
    pre = f["preamble_fe_count"]
    if vector["direction"] == "request":
        fn = frame.function
        if fn in (0x11, 0x01):
            assert req.read_request(frame.address, f["DI"], version, preamble=pre) == raw
            assert lookup(f["DI"], version) is not None or f["DI"] in ("03010000", "00020000")
        elif fn == 0x1C:
            cred, code, until = req.parse_control(frame)
            built = req.control_request(frame.address, code, level=cred.level,
                                        password=cred.password, operator=cred.operator,
                                        valid_until=until, preamble=pre)
            assert built == raw
            value = f["value"]
            assert f"{code:02X}" == value["N1"]
            if "PA" in value:
                assert cred.level == value["PA"] and frame.data[9] == int(value["N2"], 16)
                assert until == datetime.fromisoformat(value["valid_until"])
        elif fn == 0x08:
            when = datetime.fromisoformat(f["value"])
            assert req.broadcast_time_request(when, preamble=pre) == raw
        else:
            pytest.fail(f"no builder for function {fn:02X}")
        return
    if frame.function == 0x13:
        assert req.parse_address_reply(frame) == f["value"]
    elif frame.function == 0x1C:
        assert frame.data == b""
    elif "value" in f:
        di, item, value = req.decode_reading(frame, version)
        assert di == f["DI"]
        _same(f["value"], value)
        if "unit" in f:
            assert item.unit == UNIT_ALIASES.get(f["unit"], f["unit"])


HEAT_KEYS = {
    "current_m3": lambda d: d.fields["current"].value,
    "settlement_m3": lambda d: d.fields["settlement"].value,
    "unit": lambda d: f"{d.fields['current'].unit_code:02X}",
    "supply_C": lambda d: d.extra["supply_temp"], "return_C": lambda d: d.extra["return_temp"],
    "work_h": lambda d: d.extra["work_hours"],
    "time": lambda d: d.time.strftime("%Y-%m-%d %H:%M:%S"),
    "current_heat_kWh": lambda d: d.fields["current_heat"].in_base(),
    "accum_flow_m3": lambda d: d.fields["volume"].in_base(),
    "settle_heat": lambda d: d.fields["settlement_heat"].value,
    "settle_unit": lambda d: f"{d.fields['settlement_heat'].unit_code:02X}",
    "current_heat": lambda d: d.fields["current_heat"].value,
    "current_unit": lambda d: f"{d.fields['current_heat'].unit_code:02X}",
    "accum_flow": lambda d: d.fields["volume"].value,
    "flow_unit": lambda d: f"{d.fields['volume'].unit_code:02X}",
    "accum_unit": lambda d: f"{d.fields['volume'].unit_code:02X}",
}


def _check_188(vector):
    raw = bytes.fromhex(vector["hex"])
    f = vector["decoded_fields"]
    frame = cjt188.parse_frame(raw)
    pre = frame.preamble
    assert f"{frame.meter_type:02X}" == f["meter_type"]
    assert frame.address == f["address_nameplate"]
    assert f"{frame.control:02X}" == f["control"]
    assert len(frame.data) == f["length"]
    assert frame.data.hex().upper() == f["data_wire_hex_no_offset"]
    assert cjt188.extract_frame(raw) == (raw[pre:], len(raw))
    order = "little" if frame.data[:2] in (b"\x1f\x90", b"\x17\xa0") else "big"
    if vector["direction"] == "request":
        if frame.control == cjt188.C_READ:
            built = cjt188.read_request(frame.meter_type, frame.address, "901F", frame.data[2],
                                        order, preamble=pre)
        else:
            assert frame.control == cjt188.C_WRITE
            built = cjt188.valve_request(frame.meter_type, frame.address,
                                         frame.data[3] == cjt188.VALVE_OPEN, frame.data[2],
                                         order, preamble=pre)
        assert built == raw
        return
    cjt188.raise_if_error(frame)
    if frame.control == 0x84:
        assert cjt188.di_from_bytes(frame.data) == "A017"
        assert cjt188_data.valve_state(frame.data[3:5]) == "open"
        return
    data = cjt188_data.parse_meter_data(frame.data)
    assert data.di == "901F"
    for key, expected in f["value_check"].items():
        _same(expected, HEAT_KEYS[key](data))
    if vector["hex"].find("90 1F 00 05") > 0 or "unit-first" in vector["meaning"].lower():
        assert data.layout == "unit-value"


@pytest.mark.parametrize("vector", CASES, ids=_ids())
def test_vector(vector):
    if vector["protocol"] == "cjt188":
        _check_188(vector)
    else:
        _check_645(vector)


def test_all_vectors_present():
    assert len(CASES) >= 50
