"""Opening an account (开户) and binding meters to it (一户多表); showing an account.

The opening reading of each meter is given (typed), read from the meter (the caller read it
and passes the value, source "read"), or None: the first poll's reading becomes the opening
(source "first-poll"). Consumption before the opening reading is never charged.
Account numbers come from the gapless 'account' counter ("000001", ...).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from billing.alarms import level
from billing.ledger import lock_account, paid_balance_fen
from billing.lookup import (
    account_building,
    active_bindings,
    binding_of_meter,
    find_account,
    find_customer,
    find_meter,
    require_account_read,
    room_building,
)
from billing.money import from_fen, to_fen
from billing.results import AccountView
from billing.settlement import record_reading
from billing.tariffs.plan_store import find_plan_id
from billing.unbilled_power import restore_bound
from billing.units import to_milli
from models import capabilities
from models.accounts import MODES, Account, AccountMeter, TariffPlan
from models.archive import CUSTOMER_TYPES, Customer, Meter, Room
from models.audit import audited, record
from models.base import utcnow
from models.counters import next_value
from models.db import Database, retrying
from models.errors import Conflict, InvalidInput, NotFound
from models.rights import Actor
from resources.i18n import _

SOURCES = ("given", "read", "first-poll")
_AT = re.compile(r"^trip-at=([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class MeterOpening:
    """A meter to bind and its opening reading (None: the first poll's reading)."""

    meter: str | int
    reading: Decimal | str | None = None
    source: str = "given"


def parse_arrears(text: str) -> tuple[str, str]:
    """"trip-now" | "never" | "trip-at=HH:MM" -> (policy, time)."""
    text = text.strip()
    if text in ("trip-now", "never"):
        return text, ""
    m = _AT.match(text)
    if m is None:
        raise InvalidInput(_("Arrears policy {policy}: use trip-now, never or trip-at=HH:MM").format(policy=text))
    return "trip-at", f"{m[1]}:{m[2]}"


def bind(session: Session, account: Account, opening: MeterOpening, at: datetime,
         actor: Actor | None = None, right: str = "account_edit") -> AccountMeter:
    """Bind one meter in the caller's transaction (the account is locked or new). With `actor`:
    it needs `right` on the meter's building too (the meter's readings are charged to the account
    and its relay follows the account's arrears)."""
    meter = find_meter(session, opening.meter)
    if actor is not None:
        actor.require(right, room_building(session, meter.room_id))
    if binding_of_meter(session, meter.id) is not None:
        raise Conflict(_("Meter {meter} is already bound to an account").format(meter=meter.number))
    if meter.is_common:
        raise Conflict(_("Meter {meter} is a common meter; its cost is apportioned, not sold")
                       .format(meter=meter.number))
    if account.mode == "meter-prepaid":       # the money goes into the meter: it must take purchases
        capabilities.of_meter(meter).require("purchase", meter.number)
    source = opening.source if opening.reading is not None else "first-poll"
    if source not in SOURCES:
        raise InvalidInput(_("Unknown reading source {source}").format(source=source))
    milli = None if opening.reading is None else to_milli(opening.reading)
    binding = AccountMeter(account_id=account.id, meter_id=meter.id, opening_milli=milli,
                           opening_source=source, opened_at=at, last_settled_milli=milli,
                           last_settled_at=at if milli is not None else None)
    session.add(binding)
    if milli is not None:
        record_reading(session, meter.id, milli, at, "open")
    session.flush()
    restore_bound(session, account, meter, actor)   # tripped at its last account's close
    return binding


@retrying
def open_account(db: Database, actor: Actor, customer: str | int, meters: list[MeterOpening], *,
                 room: str | int | None = None, mode: str = "station-prepaid", tariff: str | None = None,
                 arrears: str = "trip-now", account_type: str | None = None,
                 alarm1: Decimal | None = None, alarm2: Decimal | None = None) -> AccountView:
    if mode not in MODES:
        raise InvalidInput(_("Unknown account mode {mode}; use one of {modes}")
                           .format(mode=mode, modes=", ".join(MODES)))
    policy, when = parse_arrears(arrears)
    if account_type is not None and account_type not in CUSTOMER_TYPES:
        raise InvalidInput(_("Unknown account type {type}").format(type=account_type))
    with audited(db, actor, "account.open", str(customer)) as s:
        actor.require("account_open")            # first: a refusal says nothing of what exists
        cust = find_customer(s, customer)
        room_id = _room_id(s, room, meters)
        actor.require("account_open", room_building(s, room_id))
        plan_id = find_plan_id(s, tariff) if tariff else None
        if mode != "meter-prepaid" and plan_id is None and meters:
            raise InvalidInput(_("A {mode} account needs a tariff").format(mode=mode))
        number = f"{next_value(s, 'account'):06d}"
        account = Account(number=number, customer_id=cust.id, room_id=room_id, mode=mode,
                          tariff_plan_id=plan_id, arrears_policy=policy, arrears_time=when,
                          account_type=account_type or cust.type, balance_fen=0, subsidy_fen=0,
                          alarm1_fen=2000 if alarm1 is None else to_fen(alarm1),
                          alarm2_fen=500 if alarm2 is None else to_fen(alarm2))
        if account.alarm2_fen < 0 or account.alarm1_fen < account.alarm2_fen:
            raise InvalidInput(_("The first alarm threshold must be at or above the second, and both at or above zero"))
        s.add(account)
        s.flush()
        now = utcnow()
        for m in meters:
            bind(s, account, m, now, actor, "account_open")
        record(s, actor, "account.open", number, {"customer": cust.name, "mode": mode, "tariff": tariff,
                                                  "meters": [str(m.meter) for m in meters]})
        return view(s, account)


def _room_id(s: Session, room: str | int | None, meters: list[MeterOpening]) -> int | None:
    if room is None:
        for m in meters:
            meter = find_meter(s, m.meter)
            if meter.room_id is not None:
                return meter.room_id
        return None
    if isinstance(room, int):
        if s.get(Room, room) is None:
            raise NotFound(_("No room has the number {room}").format(room=room))
        return room
    ids = list(s.execute(sa.select(Room.id).where(Room.number == room.strip())).scalars())
    if len(ids) != 1:
        raise (NotFound(_("No room has the number {room}").format(room=room)) if not ids else
               InvalidInput(_("Several rooms have the number {room}; give the room id").format(room=room)))
    return ids[0]


@retrying
def bind_meter(db: Database, actor: Actor, account_ref: str | int, opening: MeterOpening) -> AccountView:
    """Bind another meter to an open account (一户多表)."""
    with audited(db, actor, "account.bind", str(account_ref)) as s:
        actor.require("account_edit")            # first: a refusal says nothing of what exists
        account = find_account(s, account_ref)
        actor.require("account_edit", account_building(s, account))
        account = lock_account(s, account.id)
        if account.state != "open":
            raise Conflict(_("Account {account} is closed").format(account=account.number))
        if account.mode != "meter-prepaid" and account.tariff_plan_id is None:
            raise Conflict(_("Account {account} has no tariff").format(account=account.number))
        bind(s, account, opening, utcnow(), actor)
        record(s, actor, "account.bind", account.number, {"meter": str(opening.meter),
                                                          "reading": str(opening.reading)})
        return view(s, account)


def view(s: Session, account: Account) -> AccountView:
    customer = s.get(Customer, account.customer_id)
    room = s.get(Room, account.room_id) if account.room_id else None
    plan = s.get(TariffPlan, account.tariff_plan_id) if account.tariff_plan_id else None
    meters = [s.get(Meter, b.meter_id) for b in active_bindings(s, account.id)]
    arrears = account.arrears_policy + (f"={account.arrears_time}" if account.arrears_policy == "trip-at" else "")
    return AccountView(number=account.number, customer=customer.name if customer else "",
                       room=room.number if room else "", mode=account.mode, state=account.state,
                       tariff=plan.name if plan else "", balance=from_fen(account.balance_fen),
                       subsidy=from_fen(account.subsidy_fen),
                       refundable=from_fen(max(paid_balance_fen(account), 0)), alarm=level(account),
                       arrears=arrears, meters=tuple(m.number for m in meters if m))


def show(db: Database, account_ref: str | int) -> AccountView:
    with db.read() as s:
        return view(s, find_account(s, account_ref))


def show_to(db: Database, actor: Actor, account_ref: str | int) -> AccountView:
    """`show` for an operator (`account show`): report_view, first, then on the account's building."""
    require_account_read(db, actor, "report_view", "account.show", account_ref)
    return show(db, account_ref)
