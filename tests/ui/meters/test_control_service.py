"""billing.control: rights (refused and logged), the items it queues, restore-prepaid, status,
and that downloads the comms layer cannot execute fail clearly."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from access import login as auth
from access import operators as operator_service
from billing import control
from models.errors import InvalidInput, PermissionDenied
from models.ledger import OutboxItem
from models.oplog import OpLogEntry
from tests.ui.meters import board_site


@pytest.fixture
def cashier(db, superadmin):
    operator_service.add_operator(db, superadmin, "cas", "pass-123", "cashier")
    return auth.login(db, "cas", "pass-123", "TEST")


def _items(db, ids):
    with db.read() as s:
        return {i.id: (i.kind, i.meter_id, i.priority, i.state, i.account_id, json.loads(i.payload))
                for i in s.execute(sa.select(OutboxItem).where(OutboxItem.id.in_(ids))).scalars()}


def _log(db, action):
    with db.read() as s:
        return s.execute(sa.select(OpLogEntry).where(OpLogEntry.action == action)).scalars().all()


def test_trip_queues_priority_items_and_logs(db, superadmin):
    site = board_site.build(db, meters=6)
    ids = control.send_command(db, superadmin, site.meters[:3], "trip")
    items = _items(db, ids)
    assert [items[i][:4] for i in ids] == [("meter.trip", m, 0, "pending") for m in site.meters[:3]]
    assert items[ids[0]][4] == site.accounts[site.meters[0]] and items[ids[1]][4] is None
    entry = _log(db, "meter.trip")[-1]
    assert entry.operator == "root" and json.loads(entry.details)["count"] == 3
    status = control.command_status(db, ids)
    assert {s.state for s in status.values()} == {"pending"} and not status[ids[0]].finished


def test_cashier_refused_and_logged(db, superadmin, cashier):
    site = board_site.build(db, meters=3)
    with pytest.raises(PermissionDenied):
        control.send_command(db, cashier, site.meters, "trip")
    denied = _log(db, "denied")[-1]
    assert denied.operator == "cas" and json.loads(denied.details)["action"] == "meter.trip"
    with db.read() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(OutboxItem)) == 0
    ids = control.send_command(db, cashier, site.meters[:1], "read")          # cashiers may read meters
    assert _items(db, ids)[ids[0]][0] == "meter.read"


def test_area_rights_per_building(db, superadmin):
    site = board_site.build(db, meters=12, buildings=2)
    operator_service.add_operator(db, superadmin, "adm1", "pass-123", "admin", buildings=[site.buildings[0]])
    adm1 = auth.login(db, "adm1", "pass-123", "TEST")
    with pytest.raises(PermissionDenied):
        control.send_command(db, adm1, site.meters, "close")          # half of them in building 2
    assert control.send_command(db, adm1, site.meters[:1], "close")   # the first is in building 1


def test_restore_prepaid_closes_only_with_money(db, superadmin):
    site = board_site.build(db, meters=4)          # meters 0 and 2 opened with 100.00
    board_site.set_account(db, site.meters[2], balance_fen=-50)
    ids = control.send_command(db, superadmin, site.meters[:3], "restore-prepaid")
    items = _items(db, ids)
    assert [(items[i][0], items[i][1]) for i in ids] == [
        ("meter.keep-power-off", site.meters[0]), ("meter.close", site.meters[0]),
        ("meter.keep-power-off", site.meters[1]), ("meter.keep-power-off", site.meters[2])]


def test_bad_requests(db, superadmin):
    site = board_site.build(db, meters=2)
    with pytest.raises(InvalidInput):
        control.send_command(db, superadmin, [], "trip")
    with pytest.raises(InvalidInput):
        control.send_command(db, superadmin, site.meters, "explode")
    board_site.set_meter(db, site.meters[1], link_id=None)
    with pytest.raises(InvalidInput, match="no link"):
        control.send_command(db, superadmin, site.meters, "trip")


def test_downloads_go_through_the_contract(db, superadmin):
    """Price download: a payload the contract does not know is refused; a good one is claimed
    for delivery (comms has a handler: tests/comms/test_outbox_contract.py)."""
    from comms.polling.outbox_source import OutboxSource

    site = board_site.build(db, meters=1)
    with pytest.raises(InvalidInput):
        control.send_command(db, superadmin, site.meters, "price", {"tariff": "flat"})
    ids = control.send_command(db, superadmin, site.meters, "price", {"prices": ["0.55"]})
    assert _items(db, ids)[ids[0]][5] == {"prices": ["0.55"]}
    OutboxSource(db, {site.meters[0]: site.link_id}, station="TEST").refresh()
    assert control.command_status(db, ids)[ids[0]].state == "sending"
