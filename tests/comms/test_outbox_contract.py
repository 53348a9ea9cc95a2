"""One outbox contract (issue 10): every kind that can be queued has a handler in comms, every
capability a model declares cites its source, and what a model lacks is refused up front."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from comms.polling.command_delivery import HANDLERS, POLLER_KINDS
from comms.polling.outbox_source import to_command
from models import capabilities
from models import commands as contract
from models.errors import InvalidInput
from models.ledger import OutboxItem

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = {contract.RechargePayload: {"amount": "1.00", "purchase_count": 1},
           contract.RefundPayload: {"amount": "1.00", "purchase_count": 1},
           contract.PricePayload: {"prices": ["0.5"]}, contract.SettingsPayload: {"alarm1": "5"},
           contract.ControlPayload: {"action": "trip"}}


@pytest.mark.parametrize("name", sorted(contract.KINDS))
def test_every_kind_has_a_handler(name):
    spec = contract.KINDS[name]
    item = OutboxItem(id=1, kind=name, meter_id=1, payload=contract.to_json(name, SAMPLES.get(spec.payload)))
    command = to_command(item)
    assert command is not None, f"{name} is queued but never delivered"
    assert command.kind in HANDLERS or command.kind in POLLER_KINDS, f"{name}: no handler for {command.kind}"
    assert spec.capability in capabilities.CAPABILITIES


def test_poller_runs_its_own_kinds():
    source = (ROOT / "comms" / "polling" / "poller.py").read_text(encoding="utf-8")
    for kind in POLLER_KINDS:
        assert f'command.kind == "{kind}"' in source


def test_enqueue_goes_through_the_contract():
    """billing.outbox.enqueue serialises with the contract, so nothing outside it can be queued."""
    import inspect

    from billing import outbox
    assert "contract.to_json(kind, payload)" in inspect.getsource(outbox.enqueue)


def test_control_actions_map_to_kinds():
    from billing import control
    for action in control.ACTIONS:
        steps = ["keep-power-off", "close"] if action == "restore-prepaid" else [action]
        for step in steps:
            assert f"meter.{step}" in contract.KINDS


def test_unknown_kind_or_wrong_payload_refused():
    with pytest.raises(InvalidInput):
        contract.to_json("meter.self-destruct", None)
    with pytest.raises(InvalidInput):
        contract.to_json("meter.price", {"prices": ["0.5"], "colour": "red"})
    with pytest.raises(InvalidInput):
        contract.to_json("meter.price", {"prices": ["-1"]})
    with pytest.raises(InvalidInput):
        contract.to_json("meter.recharge", {"amount": "1.001", "purchase_count": 1})
    assert json.loads(contract.to_json("meter.price", contract.PricePayload(("0.5",)))) == {"prices": ["0.5"]}


def _models():
    from comms.protocols.modbus_profile_schema import profile_names
    return [(n, n) for n in capabilities.model_names()] + [("modbus", n) for n in profile_names()]


@pytest.mark.parametrize("protocol,name", _models())
def test_every_declared_capability_cites_a_source(protocol, name):
    caps = capabilities.of_model(protocol, name)
    for cap, spec in caps.offered.items():
        assert cap in capabilities.CAPABILITIES
        assert spec.get("source") and spec.get("how"), f"{name}.{cap} has no source"
    for cap in capabilities.CAPABILITIES:
        assert cap in caps.offered or caps.absent.get(cap), f"{name}: {cap} neither offered nor absent"


def test_own_simulator_says_it_is_its_own():
    own = capabilities.of_model("dlt645-2007", "meterstation-sim-dlt645")
    assert "own" in own.offered["purchase"]["source"] and own.can("purchase") and own.can("refund")
    modbus_own = capabilities.of_model("modbus", "meterstation-sim-prepaid")
    assert "own" in modbus_own.offered["purchase"]["source"]


def test_plain_esam_and_profile_refusals():
    plain = capabilities.of_model("dlt645-2007", "")
    assert not plain.can("purchase") and not plain.can("refund")
    assert plain.can("price") and plain.can("settings") and plain.can("clock") and plain.can("relay")
    assert "03330201" in plain.refusal("purchase")
    esam = capabilities.of_model("dlt645-2007", "dlt645-2007-esam")
    assert "security module" in esam.refusal("purchase")
    water = capabilities.of_model("cjt188", "")
    assert not water.can("clock") and water.can("valve") and not water.can("relay")
    ddsy = capabilities.of_model("modbus", "acrel-ddsy1352")
    assert not ddsy.can("purchase") and not ddsy.can("relay")          # only an unconfirmed mapping
    meter = type("M", (), {"protocol": "modbus", "profile": "acrel-ddsy1352",
                           "options": json.dumps({"unconfirmed_registers": "allow"})})()
    assert capabilities.of_meter(meter).can("relay")


def test_security_module_plugs_in():
    from comms.protocols import security
    esam = capabilities.of_model("dlt645-2007", "dlt645-2007-esam")
    with pytest.raises(Exception, match="security module"):
        security.module_for("esam")
    try:
        security.install("esam", object())          # any object: the interface is a Protocol
        assert esam.can("purchase")
    finally:
        security._MODULES.pop("esam", None)
        capabilities.SECURITY_MODULES.discard("esam")
    assert not esam.can("purchase")


def test_payload_dataclasses_round_trip():
    for name, spec in contract.KINDS.items():
        payload = contract.parse(name, contract.to_json(name, SAMPLES.get(spec.payload)))
        assert dataclasses.is_dataclass(payload) and isinstance(payload, spec.payload)
