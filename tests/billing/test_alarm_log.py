"""Alarm log: raised once per subject, cleared when the condition goes, acknowledged by an
operator with the action logged, listed with account, customer and area."""
from __future__ import annotations

import pytest

from billing import alarm_log
from billing.lookup import find_account
from models.errors import InvalidInput, PermissionDenied
from tests.billing import factories


def _sync(db, number):
    with db.write() as s:
        return alarm_log.sync_account(s, find_account(s, number))


def test_balance_alarms_follow_the_level(db, root):
    rooms = factories.place(db)
    view = factories.account(db, root, room_id=rooms[0])
    assert _sync(db, view.number) == "arrears"          # a new account has no money
    assert _sync(db, view.number) == "arrears"          # raising again changes nothing
    rows = alarm_log.list_alarms(db, root, open_only=True)
    assert [(r.kind, r.account) for r in rows] == [("arrears", view.number)]
    assert rows[0].building.startswith("B") and rows[0].customer
    from billing.sales import sell
    sell(db, root, view.number, "15.00", method="cash")
    assert _sync(db, view.number) == "alarm1"            # 15.00 <= 20.00 default threshold
    open_rows = alarm_log.list_alarms(db, root, open_only=True)
    assert [r.kind for r in open_rows] == ["alarm1"]
    history = alarm_log.list_alarms(db, root)
    assert {r.kind: r.state for r in history} == {"alarm1": "open", "arrears": "cleared"}


def test_acknowledge_is_logged_and_needs_a_selection(db, root):
    view = factories.account(db, root)
    _sync(db, view.number)
    [row] = alarm_log.list_alarms(db, root, open_only=True)
    assert alarm_log.acknowledge(db, root, [row.id]) == 1
    [row] = alarm_log.list_alarms(db, root, open_only=True)
    assert row.state == "acknowledged" and row.acked_by == root.name
    assert alarm_log.list_alarms(db, root, after_id=row.id) == []
    with pytest.raises(InvalidInput):
        alarm_log.acknowledge(db, root, [])
    from models import oplog
    with db.read() as s:
        assert any(e.action == "alarm.ack" for e in oplog.search(s, action="alarm.*"))


def test_lost_meter_alarm_raise_and_clear(db, root):
    factories.meter(db, "LM1")
    from billing.lookup import find_meter
    with db.write() as s:
        mid = find_meter(s, "LM1").id
        assert alarm_log.raise_alarm(s, "meter_lost", meter_id=mid, message="x") is not None
        assert alarm_log.raise_alarm(s, "meter_lost", meter_id=mid, message="x") is None
    with db.write() as s:
        assert alarm_log.clear(s, "meter_lost", meter_id=mid) == 1
    assert alarm_log.list_alarms(db, root, open_only=True) == []


def test_viewer_without_report_right_cannot_list(db, root):
    from models.rights import Actor
    nobody = Actor("x", "custom", frozenset(), "TEST")
    with pytest.raises(PermissionDenied):
        alarm_log.list_alarms(db, nobody)


def test_area_limited_operator_sees_only_its_buildings(db, root):
    import dataclasses
    rooms_a = factories.place(db)
    rooms_b = factories.place(db)
    a = factories.account(db, root, room_id=rooms_a[0])
    b = factories.account(db, root, room_id=rooms_b[0])
    _sync(db, a.number)
    _sync(db, b.number)
    from billing.lookup import room_building
    with db.read() as s:
        building_a = room_building(s, rooms_a[0])
    limited = dataclasses.replace(root, all_areas=False, areas=frozenset({building_a}))
    assert [r.account for r in alarm_log.list_alarms(db, limited)] == [a.number]
    other = next(r for r in alarm_log.list_alarms(db, root) if r.account == b.number)
    assert alarm_log.acknowledge(db, limited, [other.id]) == 0
