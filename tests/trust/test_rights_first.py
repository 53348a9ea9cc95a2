"""Every service that names a target checks the right before it looks the target up.

The walk's hostile cashier learnt which customers exist from "there is no customer ..." when it
had no right to open accounts (tests/trust/test_rights_before_lookups.py). Here every service
entry point that is given an account, customer, meter, receipt, room, building, operator,
command or schedule is called by an operator whose role holds none of the rights involved,
once naming something that does not exist and once something that does: both calls must be
refused for the right with the same message, change no row of any table, write no file, and
each leave one `denied` row in the operation log naming the service's action.

(Where the right is per building the rule is: plain right first, then the target, then the
right on its building. A target in a building the operator may not act on is refused with
"may not act on this building" — distinguishable from a missing one, as the counter's account
card and every area check already are; that part is not what this test is about.)
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from models.errors import PermissionDenied
from models.oplog import OpLogEntry
from tests.billing import factories

D = Decimal
MONTH = "2026-10"


@dataclass
class World:
    account: str            # an open station-prepaid account
    other: str              # a second one (transfers)
    meter: str              # the account's meter
    meter_id: int
    receipt: str            # the receipt of a sale to the account
    customer: str
    customer_id: int
    room_id: int
    building_id: int
    item_id: int            # an outbox item
    alarm_id: int
    schedule_id: int
    timed: str              # a timed-control schedule
    link: str


def _world(db, root) -> World:
    from archive import places
    from archive import service as archive
    from billing import alarm_log, outbox, sales
    from billing.settings_service import ScheduleSpec, add_schedule
    from billing.timed.service import TimedSpec, add_timed
    from models.archive import Customer, Meter, Room

    rooms = factories.place(db, rooms=2)
    acc = factories.account(db, root, room_id=rooms[0])
    other = factories.account(db, root, room_id=rooms[1])
    sale = sales.sell(db, root, acc.number, D("20"))
    link_id = archive.add_link(db, root, "bus-1", "tcp://127.0.0.1:1", "dlt645-2007")
    places.add_tag(db, root, "area", "east")
    schedule_id = add_schedule(db, root, ScheduleSpec(name="every meter"))
    add_timed(db, root, TimedSpec(name="night", tag="area:east", off_at="23:00", on_at="06:00"))
    with db.write() as s:
        meter = s.execute(sa.select(Meter).where(Meter.number == acc.meters[0])).scalar_one()
        meter.link_id = link_id
        item = outbox.enqueue(s, "meter.read", account_id=None, meter_id=meter.id)
        item.state = "failed"
        alarm = alarm_log.raise_alarm(s, "meter_lost", meter_id=meter.id, message="lost")
        assert alarm is not None
        s.flush()
        customer = s.execute(sa.select(Customer).where(Customer.name == acc.customer)).scalar_one()
        building = places.building_of_room(s, rooms[0])
        assert s.get(Room, rooms[0]) is not None
        return World(acc.number, other.number, meter.number, meter.id, sale.receipt, customer.name,
                     customer.id, rooms[0], building, item.id, alarm.id, schedule_id, "night", "bus-1")


def _calls() -> list[tuple[str, str, str, Any]]:
    """(test id, the right, the logged action, call(db, actor, world, exists, tmp) -> None)."""
    from access import operators, service_identity
    from archive import places
    from archive import service as archive
    from billing import (
        account_changes,
        account_receipts,
        accounts_open,
        alarm_log,
        apportion,
        bill_print,
        control,
        outbox,
        postpaid,
        quality_thresholds,
        receipts,
        recompute,
        refunds,
        sales,
        settings_service,
        settlement,
        subsidies,
        transfers,
    )
    from billing.accounts_open import MeterOpening
    from billing.settings_service import ScheduleSpec
    from billing.tariffs import plan_store
    from billing.timed import service as timed
    from billing.timed.service import TimedSpec

    def acc(w, e):
        return w.account if e else "nobody-at-all"

    def meter(w, e):
        return w.meter if e else "NO-SUCH-METER"

    def never(*_a):
        raise AssertionError("the meter was talked to before the right was checked")

    return [
        ("sell", "sell", "sale", lambda db, a, w, e, t: sales.sell(db, a, acc(w, e), D("10"))),
        ("refund", "refund", "refund", lambda db, a, w, e, t: refunds.refund(db, a, acc(w, e), D("1"))),
        ("reverse", "reverse", "reversal",
         lambda db, a, w, e, t: refunds.reverse(db, a, w.receipt if e else "999999")),
        ("reprint", "sell", "receipt.reprint",
         lambda db, a, w, e, t: receipts.reprint(db, a, w.receipt if e else "999999")),
        ("open_account", "account_open", "account.open",
         lambda db, a, w, e, t: accounts_open.open_account(db, a, w.customer if e else "nobody-at-all", [])),
        ("open_receipt", "account_open", "receipt.account_open",
         lambda db, a, w, e, t: account_receipts.issue_open_receipt(db, a, acc(w, e))),
        ("bind_meter", "account_edit", "account.bind",
         lambda db, a, w, e, t: accounts_open.bind_meter(db, a, acc(w, e), MeterOpening("NO-SUCH-METER", "1"))),
        ("close_account", "account_close", "account.close",
         lambda db, a, w, e, t: account_changes.close_account(db, a, acc(w, e))),
        ("replace_meter", "account_edit", "meter.replace",
         lambda db, a, w, e, t: account_changes.replace_meter(db, a, acc(w, e), meter(w, e), "101",
                                                                "NEW-METER", "0")),
        ("move_tenant", "account_edit", "account.move",
         lambda db, a, w, e, t: account_changes.move_tenant(db, a, acc(w, e), w.room_id if e else 999999, {}, [])),
        ("transfer", "account_edit", "transfer",
         lambda db, a, w, e, t: transfers.transfer(db, a, acc(w, e), w.other if e else "nobody-else", D("1"))),
        ("opening_balance", "account_edit", "account.opening_balance",
         lambda db, a, w, e, t: transfers.opening_balance(db, a, acc(w, e), D("5"))),
        ("bill_account", "account_edit", "bill",
         lambda db, a, w, e, t: postpaid.bill_account(db, a, acc(w, e), MONTH, {})),
        ("print_bill", "sell", "bill.print", lambda db, a, w, e, t: bill_print.print_bill(db, a, acc(w, e), MONTH)),
        ("require_print", "sell", "bill.print",
         lambda db, a, w, e, t: bill_print.require_print(db, a, [acc(w, e)])),
        ("issue_period", "sell", "bill.print",
         lambda db, a, w, e, t: bill_print.issue_period(db, a, MONTH, [acc(w, e)], folder=t)),
        ("grant_subsidy", "subsidy", "subsidy.grant",
         lambda db, a, w, e, t: subsidies.grant(db, a, acc(w, e), MONTH, D("5"))),
        ("recompute", "reverse", "recompute",
         lambda db, a, w, e, t: recompute.recompute(db, a, date(2026, 10, 1), date(2026, 10, 2),
                                                    account=acc(w, e))),
        ("outbox_retry", "sell", "outbox.retry",
         lambda db, a, w, e, t: outbox.retry(db, a, w.item_id if e else 999999)),
        ("settle_reading", "meter_read", "settle",
         lambda db, a, w, e, t: settlement.settle_reading(db, a, meter(w, e), "200")),
        ("apportion", "account_edit", "apportion",
         lambda db, a, w, e, t: apportion.apportion(db, a, meter(w, e), "200", tariff="flat")),
        ("send_command", "relay_control", "meter.trip",
         lambda db, a, w, e, t: control.send_command(db, a, [w.meter_id if e else 999999], "trip")),
        ("direct_command", "relay_control", "meter.trip",
         lambda db, a, w, e, t: control.direct_command(db, a, "trip", never, meter_id=w.meter_id if e else 999999)),
        ("group_read", "meter_read", "meter.read_group",
         lambda db, a, w, e, t: control.authorize_group_read(db, a, w.schedule_id if e else 999999)),
        ("acknowledge_alarm", "report_view", "alarm.ack",
         lambda db, a, w, e, t: alarm_log.acknowledge(db, a, [w.alarm_id if e else 999999])),
        ("update_operator", "operator_admin", "operator.update",
         lambda db, a, w, e, t: operators.update_operator(db, a, "root" if e else "nobody", active=False)),
        ("operator_password", "operator_admin", "operator.update",
         lambda db, a, w, e, t: operators.update_operator(db, a, "root" if e else "nobody",
                                                          password="taken-over-1")),
        ("add_operator", "operator_admin", "operator.add",
         lambda db, a, w, e, t: operators.add_operator(db, a, "root" if e else "newbie", "pass-1234", "cashier")),
        ("define_role", "operator_admin", "role.define",
         lambda db, a, w, e, t: operators.define_role(db, a, "viewer" if e else "newrole", "x", ["log_view"])),
        ("service_identity", "operator_admin", "service.identity",
         lambda db, a, w, e, t: service_identity.make_identity(db, a, "root" if e else "svc")),
        ("rename_building", "archive_edit", "building.update",
         lambda db, a, w, e, t: places.rename_building(db, a, w.building_id if e else 999999, "Renamed")),
        ("add_floor", "archive_edit", "floor.add",
         lambda db, a, w, e, t: places.add_floor(db, a, w.building_id if e else "Nowhere", "9F")),
        ("add_room", "archive_edit", "room.add",
         lambda db, a, w, e, t: places.add_room(db, a, w.building_id if e else "Nowhere", "1F", "999")),
        ("update_room", "archive_edit", "room.update",
         lambda db, a, w, e, t: places.update_room(db, a, w.room_id if e else 999999, name="x")),
        ("add_meter", "archive_edit", "meter.add",
         lambda db, a, w, e, t: archive.add_meter(db, a, "NEW-METER", address="000000000999", link=None,
                                                  room=w.room_id if e else 999999, state="stock")),
        ("update_meter", "archive_edit", "meter.update",
         lambda db, a, w, e, t: archive.update_meter(db, a, meter(w, e), state="removed")),
        ("meter_tags", "archive_edit", "meter.tags",
         lambda db, a, w, e, t: archive.set_meter_tags(db, a, meter(w, e), [("area", "x")])),
        ("change_meter_tags", "archive_edit", "meter.tags",
         lambda db, a, w, e, t: archive.change_meter_tags(db, a, meter(w, e), add=[("area", "x")])),
        ("update_link", "archive_edit", "link.update",
         lambda db, a, w, e, t: archive.update_link(db, a, w.link if e else "no-link", enabled=False)),
        ("update_customer", "archive_edit", "customer.update",
         lambda db, a, w, e, t: archive.update_customer(db, a, w.customer_id if e else 999999, name="x")),
        ("tariff_version", "tariff_edit", "tariff.version",
         lambda db, a, w, e, t: plan_store.add_version(db, a, "flat" if e else "no-tariff",
                                                       {"kind": "flat", "price": "9"}, create=False)),
        ("thresholds_set", "settings_edit", "quality.threshold_set",
         lambda db, a, w, e, t: quality_thresholds.set_thresholds(
             db, a, f"meter:{meter(w, e)}", quality_thresholds.Limits(over_voltage=D("253")))),
        ("thresholds_remove", "settings_edit", "quality.threshold_remove",
         lambda db, a, w, e, t: quality_thresholds.remove_thresholds(db, a, f"meter:{meter(w, e)}")),
        ("update_schedule", "settings_edit", "schedule.update",
         lambda db, a, w, e, t: settings_service.update_schedule(db, a, w.schedule_id if e else 999999,
                                                                 ScheduleSpec(name="renamed"))),
        ("delete_schedule", "settings_edit", "schedule.delete",
         lambda db, a, w, e, t: settings_service.delete_schedule(db, a, w.schedule_id if e else 999999)),
        ("delete_schedule_named", "settings_edit", "schedule.delete",
         lambda db, a, w, e, t: settings_service.delete_schedule_named(db, a, "every meter" if e else "no-such")),
        ("update_timed", "relay_control", "timed.update",
         lambda db, a, w, e, t: timed.update_timed(db, a, w.timed if e else "no-such",
                                                   TimedSpec(name="x", tag="area:east", off_at="22:00"))),
        ("remove_timed", "relay_control", "timed.remove",
         lambda db, a, w, e, t: timed.remove_timed(db, a, w.timed if e else "no-such")),
    ]


CALLS = _calls()


@pytest.fixture
def hostile(db, superadmin):
    """An operator whose role holds only log_view: none of the rights the services need."""
    from access import login as auth
    from access import operators

    operators.define_role(db, superadmin, "hostile", "Hostile", ["log_view"])
    operators.add_operator(db, superadmin, "hos", "pass-123", "hostile")
    return auth.login(db, "hos", "pass-123", "TEST")


def _counts(db) -> dict[str, int]:
    """Rows in every table but the operation log itself."""
    with db.read() as s:
        names = sa.inspect(s.connection()).get_table_names()
        return {n: s.execute(sa.text(f'SELECT count(*) FROM "{n}"')).scalar_one()
                for n in sorted(names) if not n.startswith("oplog")}


def _denied(db) -> list[OpLogEntry]:
    with db.read() as s:
        rows = list(s.execute(sa.select(OpLogEntry).where(OpLogEntry.action == "denied")
                              .order_by(OpLogEntry.seq)).scalars())
        s.expunge_all()
    return rows


def test_the_list_names_every_service_once():
    names = [c[0] for c in CALLS]
    assert len(names) == len(set(names)) == 48


@pytest.mark.parametrize("name,right,action,call", CALLS, ids=[c[0] for c in CALLS])
def test_refused_for_the_right_before_the_target_is_looked_up(db, superadmin, hostile, tmp_path,
                                                              name, right, action, call):
    from models.rights import RIGHTS

    world = _world(db, superadmin)
    folder = tmp_path / "out"
    folder.mkdir()
    before = _counts(db)
    messages = []
    for exists in (False, True):
        denied = len(_denied(db))
        with pytest.raises(PermissionDenied) as refused:
            call(db, hostile, world, exists, folder)
        assert refused.value.details.get("right") == right, (exists, str(refused.value))
        messages.append(str(refused.value))
        rows = _denied(db)
        assert len(rows) == denied + 1, f"{name}: the refusal was not logged as denied (exists={exists})"
        details = json.loads(rows[-1].details)
        assert rows[-1].operator == "hos" and details["action"] == action and details["reason"] == messages[-1]
        assert _counts(db) == before, f"{name} changed rows (exists={exists})"
        assert not any(folder.iterdir()), f"{name} wrote a file (exists={exists})"
    assert messages[0] == messages[1], f"{name}: a missing target is refused differently: {messages}"
    assert messages[0] == f"Operator hos has no right to: {RIGHTS[right]}"


def test_a_reading_is_settled_only_in_the_operators_buildings(db, superadmin):
    """settle_reading checked meter_read but never the meter's building: a cashier limited to
    one building charged consumption to an account in another."""
    from access import login as auth
    from access import operators
    from archive.places import building_of_room
    from billing import settlement

    world = _world(db, superadmin)
    other_building = factories.place(db, rooms=1)
    with db.read() as s:
        elsewhere = building_of_room(s, other_building[0])
    operators.add_operator(db, superadmin, "cas2", "pass-123", "cashier", buildings=[elsewhere])
    limited = auth.login(db, "cas2", "pass-123", "TEST")
    before = _counts(db)
    with pytest.raises(PermissionDenied) as refused:
        settlement.settle_reading(db, limited, world.meter, "200")
    assert refused.value.details.get("building_id") == world.building_id
    assert _counts(db) == before
    assert json.loads(_denied(db)[-1].details)["action"] == "settle"


def test_control_names_no_meter_to_a_cashier_without_the_right(cli, db, superadmin):
    """`meterstation control METER_NO` looked the meter up before the control service checked
    the right: a cashier learnt which meter numbers exist ("There is no meter ...")."""
    from tests.trust.conftest import one_error

    meter = factories.meter(db)
    lines = []
    for number in ("NO-SUCH-METER", meter):
        denied = len(_denied(db))
        lines.append(one_error(cli("control", number, "trip")))
        rows = _denied(db)
        assert len(rows) == denied + 1 and rows[-1].operator == "cas" and rows[-1].target == number
        assert json.loads(rows[-1].details)["action"] == "meter.trip"
    assert lines[0] == lines[1] and "has no right to: Relay and valve control" in lines[0], lines


def test_bill_printing_names_no_account_to_an_operator_without_the_right(cli, db, superadmin, hostile, tmp_path):
    """`bill print ACCOUNT` previewed the bill (and so named a missing account) before it logged
    in; `bill print-all` said "No account was billed" before any right was checked."""
    from tests.trust.conftest import one_error

    account = factories.account(db, superadmin).number
    who = ("hos", "pass-123")
    lines = []
    for args in (("print", "nobody-at-all", "--period", MONTH), ("print", account, "--period", MONTH),
                 ("print-all", "--period", MONTH, "--dir", str(tmp_path / "bills"))):
        denied = len(_denied(db))
        lines.append(one_error(cli("bill", *args, who=who)))
        assert len(_denied(db)) == denied + 1, args
    assert len(set(lines)) == 1 and "has no right to: Sell" in lines[0], lines
    assert not (tmp_path / "bills").exists()


def test_apportion_charges_only_accounts_in_the_operators_buildings(db, superadmin):
    """apportion checked account_edit but no building: an operator limited to one building
    charged a common meter's cost to accounts in another."""
    from access import login as auth
    from access import operators
    from archive.places import building_of_room
    from billing.apportion import apportion
    from billing.lookup import find_meter

    mine, theirs = factories.place(db, rooms=1), factories.place(db, rooms=1)
    common = factories.meter(db, common=True)
    sharers = [factories.account(db, superadmin, room_id=room) for room in (mine[0], theirs[0])]
    with db.write() as s:
        for acc in sharers:
            find_meter(s, acc.meters[0]).parent_id = find_meter(s, common).id
        building = building_of_room(s, mine[0])
        elsewhere = building_of_room(s, theirs[0])
    operators.define_role(db, superadmin, "clerk", "Clerk", ["account_edit"])
    operators.add_operator(db, superadmin, "clk", "pass-123", "clerk", buildings=[building])
    limited = auth.login(db, "clk", "pass-123", "TEST")
    before = _counts(db)
    with pytest.raises(PermissionDenied) as refused:
        apportion(db, limited, common, "20", tariff="flat")
    assert refused.value.details.get("building_id") == elsewhere
    assert _counts(db) == before


def test_a_receipt_is_reprinted_only_in_the_operators_buildings(db, superadmin):
    """reprint checked sell but not the receipt's building: a cashier limited to one building
    reprinted (and so read) the receipts of accounts in others."""
    from access import login as auth
    from access import operators
    from archive.places import building_of_room
    from billing import receipts
    from models.ledger import Receipt

    world = _world(db, superadmin)
    other = factories.place(db, rooms=1)
    with db.read() as s:
        elsewhere = building_of_room(s, other[0])
    operators.add_operator(db, superadmin, "cas2", "pass-123", "cashier", buildings=[elsewhere])
    limited = auth.login(db, "cas2", "pass-123", "TEST")
    with pytest.raises(PermissionDenied) as refused:
        receipts.reprint(db, limited, world.receipt)
    assert refused.value.details.get("building_id") == world.building_id
    with db.read() as s:
        assert s.execute(sa.select(Receipt.reprints).where(Receipt.number == world.receipt)).scalar_one() == 0


def test_timed_control_without_relay_control_is_refused_once_and_logged(db, superadmin):
    """The timed-control minute job queued trips for a service identity whose role had no
    relay_control (the arrears job refuses and logs that; this one never asked)."""
    from billing.timed.run import run_due
    from models.automation import JobRun
    from models.rights import Actor
    from tests.billing.automation.conftest import local

    world = _world(db, superadmin)
    service = Actor(name="service", role="service", rights=frozenset({"poll", "settle", "meter_read"}),
                    station="A")
    result = run_due(db, local(2026, 11, 20, 23, 0), service, "A")
    assert result.applied == [] and result.denied == [(world.timed, "2026-11-20T23:00 off")]
    again = run_due(db, local(2026, 11, 20, 23, 1), service, "A")      # the next minute: not logged again
    assert again.applied == again.denied == []
    rows = [r for r in _denied(db) if r.operator == "service"]
    assert len(rows) == 1 and json.loads(rows[0].details)["action"] == "timed.off"
    with db.read() as s:
        runs = s.execute(sa.select(JobRun.details).where(JobRun.job.like("timed:%"))).scalars().all()
    assert [json.loads(d)["denied"] for d in runs] == ["relay_control"]


def test_a_meter_is_bound_only_in_the_operators_buildings(db, superadmin):
    """bind_meter checked the account's building but not the meter's: an operator limited to one
    building bound another building's meter to its account (its use charged there, its relay
    tripped for that account's arrears)."""
    from access import login as auth
    from access import operators
    from archive.places import building_of_room
    from billing.accounts_open import MeterOpening, bind_meter

    mine, theirs = factories.place(db, rooms=1), factories.place(db, rooms=1)
    account = factories.account(db, superadmin, room_id=mine[0]).number
    foreign = factories.meter(db, room_id=theirs[0])
    with db.read() as s:
        building, elsewhere = building_of_room(s, mine[0]), building_of_room(s, theirs[0])
    operators.define_role(db, superadmin, "clerk", "Clerk", ["account_edit"])
    operators.add_operator(db, superadmin, "clk", "pass-123", "clerk", buildings=[building])
    limited = auth.login(db, "clk", "pass-123", "TEST")
    before = _counts(db)
    with pytest.raises(PermissionDenied) as refused:
        bind_meter(db, limited, account, MeterOpening(foreign, "0"))
    assert refused.value.details.get("building_id") == elsewhere
    assert _counts(db) == before
    bind_meter(db, limited, account, MeterOpening(factories.meter(db, room_id=mine[0]), "0"))   # its own: bound
