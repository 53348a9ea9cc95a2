"""Every shipped profile validates; bad profiles fail with one clear message naming the field."""
from __future__ import annotations

import copy
import json
from decimal import Decimal

import pytest

from comms.interfaces import QUANTITIES
from comms.protocols.modbus_profile_schema import load_profile, parse_profile, profile_names
from models.errors import InvalidInput
from resources import path

SHIPPED = ("acrel-ddsy1352", "chint-ddsu666", "eastron-sdm120", "eastron-sdm630",
           "meterstation-sim-prepaid")


def _raw(name: str) -> dict:
    return json.loads(path("profiles", name + ".json").read_text(encoding="utf-8"))


def test_the_five_models_are_shipped():
    assert set(SHIPPED) <= set(profile_names())


@pytest.mark.parametrize("name", profile_names())
def test_every_profile_validates(name):
    profile = load_profile(name)
    assert profile.name == name and profile.quantities
    for spec in profile.quantities.values():
        if spec.name in QUANTITIES:
            assert spec.unit == QUANTITIES[spec.name]
        assert spec.function in (3, 4)
    # nothing is both mapped and declared absent
    assert not set(profile.absent) & set(profile.quantities)


def test_documented_facts():
    sdm = load_profile("eastron-sdm120")
    assert (sdm.quantities["energy"].address, sdm.quantities["energy"].function) == (0x0156, 4)
    assert sdm.quantities["power"].scale == Decimal("0.001")      # W on the meter -> kW
    ddsu = load_profile("chint-ddsu666")
    assert ddsu.quantities["voltage"].address == 0x2000
    assert ddsu.quantities["energy"].address == 0x4000
    # CHINT's manual reads with function 03H (protocols.md §6); Tasmota's 04H is not the maker's
    assert {q.function for q in ddsu.quantities.values()} == {3}
    acrel = load_profile("acrel-ddsy1352")
    assert {"balance", "relay", "purchase_count"} <= set(acrel.absent)
    assert acrel.purchase is None and acrel.actions["trip"].confidence == "U"
    assert acrel.quantities["voltage"].scale == Decimal("0.1")
    sim = load_profile("meterstation-sim-prepaid")
    assert sim.purchase is not None and sim.clock is not None
    assert set(sim.actions) == {"trip", "close"}


def test_unknown_profile():
    with pytest.raises(InvalidInput, match="Unknown device profile no-such-meter"):
        load_profile("no-such-meter")
    with pytest.raises(InvalidInput, match="Unknown device profile"):
        load_profile("../secrets")


def _broken(change):
    data = copy.deepcopy(_raw("meterstation-sim-prepaid"))
    change(data)
    return data


@pytest.mark.parametrize("change, message", [
    (lambda d: d.pop("quantities"), r"quantities is missing"),
    (lambda d: d["quantities"]["voltage"].update(scale=0.1),
     r"quantities.voltage.scale must be a decimal number written as text"),
    (lambda d: d["quantities"]["voltage"].update(scale="zero"), r"quantities.voltage.scale"),
    (lambda d: d["quantities"]["voltage"].update(type="float"),
     r"quantities.voltage.type must be one of"),
    (lambda d: d["quantities"]["energy"].update(count=1),
     r"quantities.energy.count must be 2 for type uint32"),
    (lambda d: d["quantities"]["voltage"].update(unit="kV"), r"quantities.voltage.unit must be V"),
    (lambda d: d["quantities"]["voltage"].update(adress=3), r"unknown keys: adress"),
    (lambda d: d["quantities"]["voltage"].update(function=6),
     r"quantities.voltage.function must be one of 3, 4"),
    (lambda d: d["quantities"]["voltage"].update(address="0x0000"),
     r"quantities energy and voltage overlap"),
    (lambda d: d["quantities"]["voltage"].update(address="0xZZ"),
     r"quantities.voltage.address must be a whole number"),
    (lambda d: d["quantities"]["relay"]["states"].update({"7": "half"}),
     r"quantities.relay.states.7 must be one of closed, open"),
    (lambda d: d["actions"].update(explode={"function": 6, "address": 1, "values": [1]}),
     r"actions has unknown keys: explode"),
    (lambda d: d["actions"]["trip"].update(values=[1, 2]),
     r"actions.trip.values must list 1 register value"),
    (lambda d: d["absent"].update(voltage="because"), r"absent.voltage must be a reason"),
    (lambda d: d["purchase"].update(balance_quantity="money"),
     r"purchase needs the quantity money"),
    (lambda d: d["serial"].update(unit_id=300), r"serial.unit_id must be a whole number"),
    (lambda d: d.update(model="other"), r"model must be one of meterstation-sim-prepaid"),
])
def test_bad_profiles_are_refused_clearly(change, message):
    with pytest.raises(InvalidInput, match=r"Device profile meterstation-sim-prepaid is not "
                                           r"valid: .*" + message):
        parse_profile("meterstation-sim-prepaid", _broken(change))


def test_float32_needs_decimals():
    data = copy.deepcopy(_raw("chint-ddsu666"))
    del data["quantities"]["voltage"]["decimals"]
    with pytest.raises(InvalidInput, match="quantities.voltage.decimals is missing"):
        parse_profile("chint-ddsu666", data)


def test_not_an_object():
    with pytest.raises(InvalidInput, match="profile must be an object"):
        parse_profile("x", [1, 2])
