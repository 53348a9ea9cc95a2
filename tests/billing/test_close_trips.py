"""No power without an account (billing/unbilled_power.py): closing an account trips its meters
in the close's transaction (not a kept-powered meter, not one tripped already, not without
relay_control: the close goes on, the refusal is logged); the next account bound to such a
meter closes it when it would not trip it (postpaid, money paid in) and a prepaid account at
zero leaves it for its first sale. A meter tripped by hand is never closed by a binding.
SQLite and PostgreSQL."""
from __future__ import annotations

import json
from decimal import Decimal as D

import sqlalchemy as sa

from access import operators as operator_service
from billing import control
from billing.account_changes import close_account
from billing.accounts_open import MeterOpening, open_account
from billing.sales import sell
from models.archive import Link, Meter
from models.ledger import OutboxItem
from models.oplog import OpLogEntry
from tests.billing import factories as f


def _linked(db, *accounts) -> None:
    """The accounts' meters on a link (a meter on none can receive no command)."""
    with db.write() as s:
        link = s.execute(sa.select(Link).where(Link.name == "bus")).scalar_one_or_none()
        if link is None:
            link = Link(name="bus", url="tcp://127.0.0.1:9")
            s.add(link)
            s.flush()
        numbers = [m for a in accounts for m in a.meters]
        s.execute(sa.update(Meter).where(Meter.number.in_(numbers)).values(link_id=link.id))


def _relay_items(db, meter_number: str) -> list[tuple[str, str]]:
    with db.read() as s:
        rows = s.execute(sa.select(OutboxItem.kind, OutboxItem.payload).join(Meter, Meter.id == OutboxItem.meter_id)
                         .where(Meter.number == meter_number, OutboxItem.kind.in_(["meter.trip", "meter.close"]))
                         .order_by(OutboxItem.id)).all()
    return [(k, json.loads(p).get("reason", "")) for k, p in rows]


def _log(db, action: str) -> list[dict]:
    with db.read() as s:
        return [json.loads(d or "{}") for d in s.execute(sa.select(OpLogEntry.details)
                                                         .where(OpLogEntry.action == action)).scalars()]


def test_closing_trips_and_the_next_account_closes_when_it_pays(db, root):
    acc = f.account(db, root)
    _linked(db, acc)
    meter = acc.meters[0]
    close_account(db, root, acc.number, {meter: D("100")})
    assert _relay_items(db, meter) == [("meter.trip", "account closed")]
    assert _log(db, "account.close.trip") == [{"meter": meter}]
    # a prepaid account at zero on it: still tripped (its arrears would trip a live meter) ...
    new = open_account(db, root, f.customer(db), [MeterOpening(meter, D("100"))], tariff="flat")
    assert _relay_items(db, meter) == [("meter.trip", "account closed")]
    sell(db, root, new.number, D("50"))                 # ... until its first sale closes it
    assert _relay_items(db, meter)[-1][0] == "meter.close"


def test_a_postpaid_account_bound_to_it_closes_it_at_once(db, root):
    acc, unlinked = f.account(db, root), f.account(db, root)
    _linked(db, acc)
    meter = acc.meters[0]
    close_account(db, root, acc.number, {meter: D("100")})
    close_account(db, root, unlinked.number, {unlinked.meters[0]: D("100")})
    assert _relay_items(db, unlinked.meters[0]) == []          # on no link: nothing can reach it
    open_account(db, root, f.customer(db), [MeterOpening(meter, D("100"))], mode="postpaid", tariff="flat")
    assert _relay_items(db, meter) == [("meter.trip", "account closed"), ("meter.close", "account opened")]
    assert _log(db, "account.bind.close") == [{"meter": meter}]


def test_kept_powered_and_already_tripped_meters_get_no_trip(db, root):
    kept, tripped = f.account(db, root), f.account(db, root)
    _linked(db, kept, tripped)
    with db.write() as s:
        s.execute(sa.update(Meter).where(Meter.number == kept.meters[0]).values(keep_power=True))
    by_hand = control.send_command(db, root, [_meter_id(db, tripped.meters[0])], "trip")
    assert by_hand
    close_account(db, root, kept.number, {kept.meters[0]: D("100")})
    close_account(db, root, tripped.number, {tripped.meters[0]: D("100")})
    assert _relay_items(db, kept.meters[0]) == []
    assert [k for k, _r in _relay_items(db, tripped.meters[0])] == ["meter.trip"]      # the one by hand
    # a meter tripped by hand stays tripped when a postpaid account takes it on
    open_account(db, root, f.customer(db), [MeterOpening(tripped.meters[0], D("100"))], mode="postpaid",
                 tariff="flat")
    assert [k for k, _r in _relay_items(db, tripped.meters[0])] == ["meter.trip"]


def test_a_closer_without_relay_control_closes_the_account_and_the_refusal_is_logged(db, root):
    acc = f.account(db, root)
    _linked(db, acc)
    operator_service.define_role(db, root, "closer", "Closer", ["account_close"])
    operator_service.add_operator(db, root, "clara", "pw-clara-1", "closer")
    from access import login as auth

    clara = auth.login(db, "clara", "pw-clara-1", "T")
    r = close_account(db, clara, acc.number, {acc.meters[0]: D("100")})
    assert r.kind == "account_close"
    assert _relay_items(db, acc.meters[0]) == []
    assert {"action": "account.close.trip", "meter": acc.meters[0], "right": "relay_control"} in _log(db, "denied")


def _meter_id(db, number: str) -> int:
    with db.read() as s:
        return s.execute(sa.select(Meter.id).where(Meter.number == number)).scalar_one()
