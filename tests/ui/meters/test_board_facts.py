"""What the monitor board says about a meter, without Qt: the reading's unit, open alarms of any
kind, one state for a meter on the board and on the counter's card, the poller's default plan
reading the live V/A/kW, and why a counter search result matched (both backends)."""
from __future__ import annotations

import json

import sqlalchemy as sa

from billing import counter_query
from billing.monitor_query import monitor_rows, reading_unit
from comms.polling.archive_plans import quantities_for
from models.automation import Alarm
from tests.comms.polling.conftest import meter, poll_once, sim, station  # noqa: F401 - fixtures
from tests.ui.meters import board_site
from ui.widgets.account_card import card_state


def _row(db, meter_id):
    return next(r for r in monitor_rows(db, None) if r.meter_id == meter_id)


def test_reading_units(db, superadmin):
    site = board_site.build(db, meters=4)
    board_site.set_meter(db, site.meters[1], kind="water")
    board_site.set_meter(db, site.meters[2], kind="water",
                         last_values=json.dumps({"volume": "12.5", "units": {"volume": "m3"}}))
    assert reading_unit(_row(db, site.meters[0])) == "kWh"
    assert reading_unit(_row(db, site.meters[1])) == "m³"
    assert reading_unit(_row(db, site.meters[2])) == "m³"           # the driver's "m3", in words


def test_open_alarms_of_any_kind_mark_the_meter(db, superadmin):
    site = board_site.build(db, meters=6)           # meters 0, 2, 4 have accounts
    m0, m1, m2, m4 = site.meters[0], site.meters[1], site.meters[2], site.meters[4]
    with db.write() as s:
        s.add_all([Alarm(kind="over_voltage", meter_id=m1),                        # a kind the board never heard of
                   Alarm(kind="meter_lost", meter_id=m0, state="acknowledged"),    # seen, not cleared: open
                   Alarm(kind="meter_lost", meter_id=m0, state="cleared"),
                   Alarm(kind="arrears", account_id=site.accounts[m2]),            # the state colour says it
                   Alarm(kind="command_failed", account_id=site.accounts[m4])])
    counts = {r.meter_id: r.open_alarms for r in monitor_rows(db, None)}
    assert (counts[m0], counts[m1], counts[m2], counts[m4], counts[site.meters[3]]) == (1, 1, 0, 1, 0)


def test_card_and_board_agree_on_a_meters_state(db, superadmin):
    site = board_site.build(db, meters=8)
    cases = {0: dict(balance_fen=-500), 2: dict(balance_fen=-500), 4: dict(balance_fen=-100),
             6: dict(balance_fen=100)}
    meters = {0: dict(relay_state="open"), 2: dict(comm_state="lost"), 4: dict(keep_power=True),
              6: dict(relay_state="open")}
    for i, values in cases.items():
        board_site.set_account(db, site.meters[i], **values)
        board_site.set_meter(db, site.meters[i], **meters[i])
    seen = []
    for i in cases:
        row = _row(db, site.meters[i])
        card = counter_query.account_card(db, superadmin, row.account)
        assert card_state(card) == row.state, (i, row.state)
        seen.append(row.state)
    assert seen == ["tripped", "lost", "keep_power", "tripped"]   # an arrears meter tripped is 已拉闸 on both


def test_default_plan_reads_live_values(station):  # noqa: F811 - the fixture
    db = station
    assert {"voltage", "current", "power"} <= set(quantities_for("electricity", "station-prepaid"))
    assert {"voltage", "current", "power"} <= set(quantities_for("electricity", None))
    assert not {"voltage", "current", "power"} & set(quantities_for("water", "station-prepaid"))
    poll_once(db, quantities=None)                 # what the station's runtime asks: each meter's plan
    values = json.loads(meter(db, "E1").last_values)
    assert values["voltage"] == "220.0" and "current" in values and "power" in values
    assert values["units"]["voltage"] == "V" and values["units"]["power"] == "kW"
    assert "voltage" not in json.loads(meter(db, "W1").last_values)


def test_search_says_why_a_row_matched(db, superadmin):
    site = board_site.build(db, meters=4)
    with db.write() as s:
        from models.accounts import Account
        from models.archive import Customer
        a = s.get(Account, site.accounts[site.meters[0]])
        s.get(Customer, a.customer_id).phone = "13912340042"
        s.execute(sa.update(Customer).where(Customer.id == a.customer_id).values(name="张三丰"))
        a.number = number = "990042"               # account numbers are digits (000042)
        meter_number = site.numbers[0]
    room = _row(db, site.meters[0]).room
    assert counter_query.search(db, superadmin, room)[0].match == ("room", room)
    assert counter_query.search(db, superadmin, meter_number)[0].match == ("meter", meter_number)
    assert counter_query.search(db, superadmin, "340042")[0].match == ("phone", "13912340042")
    assert counter_query.search(db, superadmin, "三丰")[0].match == ("name", "张三丰")
    assert counter_query.search(db, superadmin, number)[0].match == ("account", number)
    assert counter_query.search(db, superadmin, "9900")[0].match == ("account", number)   # a prefix


def test_a_meter_behind_a_lost_link_is_unreachable_on_board_and_card():
    """The poller marks meters behind a dead converter "unreachable" (not their fault, no
    failure streak); the board and the card both say so instead of falling through to a balance
    colour, and a meter that is lost itself still wins."""
    from billing.monitor_query import BOARD_STATES, account_state, board_state

    assert "unreachable" in BOARD_STATES
    assert board_state(comm_state="unreachable", account_open=True, relay_state="closed",
                       keep_power=False, alarm_level="normal") == "unreachable"
    assert account_state(account_open=True, alarm_level="arrears",
                         meters=[("online", "closed", False), ("unreachable", "closed", False)]) == "unreachable"
    assert account_state(account_open=True, alarm_level="normal",
                         meters=[("lost", "closed", False), ("unreachable", "closed", False)]) == "lost"


def test_an_account_with_a_meter_nobody_reads_is_unknown_on_the_card(db, superadmin):
    """Nobody reads one of its meters (the runtime ended): the account is "unknown" on the card
    as the meter is on the board, before lost, tripped or a balance level; its other meters or
    other accounts' meters change nothing."""
    from billing.monitor_query import account_state

    assert account_state(account_open=True, alarm_level="arrears", watched=False,
                         meters=[("lost", "open", True), ("online", "closed", False)]) == "unknown"
    site = board_site.build(db, meters=4)
    board_site.set_meter(db, site.meters[0], relay_state="open")
    row = _row(db, site.meters[0])
    card = counter_query.account_card(db, superadmin, row.account)
    assert [m.meter_id for m in card.meters] == [row.meter_id]
    assert card_state(card, {site.meters[2]}) == row.state == "tripped"          # another meter
    assert card_state(card, {row.meter_id}) == "unknown"
