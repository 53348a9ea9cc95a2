"""billing.monitor_query: one row per meter with place, account, balance level, last reading,
live values and the derived board state; area rights; the state precedence."""
from __future__ import annotations

from datetime import timedelta

import pytest

from billing.monitor_query import board_state, monitor_rows
from tests.ui.meters import board_site


def test_rows_are_complete_and_correct(db, superadmin):
    site = board_site.build(db, meters=300)
    board_site.set_account(db, site.meters[0], balance_fen=1500)     # ≤ 20.00: alarm 1
    board_site.set_account(db, site.meters[2], balance_fen=300)      # ≤ 5.00: alarm 2
    board_site.set_account(db, site.meters[4], balance_fen=0)        # arrears
    board_site.set_account(db, site.meters[6], balance_fen=-100)
    board_site.set_meter(db, site.meters[6], keep_power=True)        # arrears tolerated
    board_site.set_meter(db, site.meters[8], relay_state="open")     # tripped
    board_site.set_meter(db, site.meters[10], comm_state="lost", relay_state="open")
    board_site.set_meter(db, site.meters[1], state="removed")        # not on the board
    rows = monitor_rows(db, superadmin)
    assert len(rows) == 299
    by_id = {r.meter_id: r for r in rows}
    assert [r.number for r in rows] == sorted(r.number for r in rows)
    r0 = by_id[site.meters[0]]
    assert (r0.state, r0.balance_fen, r0.alarm_level, r0.mode, r0.account_state) == (
        "alarm1", 1500, "alarm1", "station-prepaid", "open")
    assert r0.customer.startswith("客户") and r0.account.startswith("A")
    assert r0.building.startswith("B") and r0.floor == "1F" and r0.room.endswith("-0000")
    assert r0.energy_milli == 3 and r0.read_at == board_site.T0 + timedelta(hours=3)   # the latest of 3
    assert r0.last_values == {"voltage": "220.1", "current": "1.5"}
    assert r0.tags and r0.tags[0].startswith("line:")
    assert by_id[site.meters[5]].tags == () and by_id[site.meters[3]].state == "not_opened"
    assert by_id[site.meters[3]].balance_fen is None and by_id[site.meters[3]].customer == ""
    assert by_id[site.meters[2]].state == "alarm2"
    assert by_id[site.meters[4]].state == "arrears"
    assert by_id[site.meters[6]].state == "keep_power" and by_id[site.meters[6]].alarm_level == "arrears"
    assert by_id[site.meters[8]].state == "tripped"
    assert by_id[site.meters[10]].state == "lost"
    assert by_id[site.meters[12]].state == "normal"
    assert by_id[site.meters[299]].energy_milli == 299 * 1000 + 3
    subset = monitor_rows(db, superadmin, meter_ids=site.meters[:5])
    assert [r.meter_id for r in subset] == [m for m in site.meters[:5] if m != site.meters[1]]
    assert subset[0] == r0


def test_area_rights_limit_rows(db, superadmin):
    from access import login as auth
    from access import operators as operator_service

    site = board_site.build(db, meters=30, buildings=2)
    operator_service.add_operator(db, superadmin, "b1", "pass-123", "cashier", buildings=[site.buildings[0]])
    b1 = auth.login(db, "b1", "pass-123", "TEST")
    rows = monitor_rows(db, b1)
    assert rows and {r.building_id for r in rows} == {site.buildings[0]}
    assert len(monitor_rows(db, None)) == 30


@pytest.mark.parametrize("args, expected", [
    (dict(comm_state="lost", account_open=False, relay_state="open", keep_power=True, alarm_level=""), "lost"),
    (dict(comm_state="online", account_open=False, relay_state="open", keep_power=False, alarm_level=""),
     "not_opened"),
    (dict(comm_state="online", account_open=True, relay_state="open", keep_power=True, alarm_level="arrears"),
     "tripped"),
    (dict(comm_state="unknown", account_open=True, relay_state="closed", keep_power=True,
          alarm_level="arrears"), "keep_power"),
    (dict(comm_state="online", account_open=True, relay_state="unknown", keep_power=False,
          alarm_level="arrears"), "arrears"),
    (dict(comm_state="online", account_open=True, relay_state="closed", keep_power=False,
          alarm_level="alarm2"), "alarm2"),
    (dict(comm_state="online", account_open=True, relay_state="closed", keep_power=False,
          alarm_level="alarm1"), "alarm1"),
    (dict(comm_state="online", account_open=True, relay_state="closed", keep_power=False,
          alarm_level="normal"), "normal"),
])
def test_board_state_precedence(args, expected):
    assert board_state(**args) == expected
