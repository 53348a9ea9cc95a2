"""Read-side queries of the counter and the accounts page (no writes, no Qt).

    hits = search(db, actor, "张", limit=20)       # as the cashier types
    card = account_card(db, actor, hits[0].number)   # balance, level, meters, usage, receipts
    lines = ledger_history(db, actor, card.number)   # every entry of the account

Search matches the account number, the customer's name or phone, the room/shop number or a
bound meter's number (case-insensitive, part of the text), within the operator's buildings.
Usage of a month is the rise of each bound meter's reading over that month (× CT ratio):
the last reading before the month's end minus the last reading before its start (or the first
reading in it); flagged readings (backwards, jump) are ignored.
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from billing.alarms import level
from billing.ledger import paid_balance_fen
from billing.ledger_words import note_text
from billing.lookup import account_building, active_bindings, find_account
from billing.money import from_fen
from billing.refunds import REVERSIBLE
from billing.units import from_milli
from models import station_time
from models.accounts import Account, AccountMeter, TariffPlan
from models.archive import Customer, Floor, Meter, Reading, Room
from models.areas import Building
from models.audit import log_denied
from models.base import utcnow
from models.db import Database
from models.errors import PermissionDenied, ReadOnlyDatabase
from models.ledger import LedgerEntry, OutboxItem, Receipt
from models.rights import RIGHTS, Actor
from resources.i18n import _

FINAL_STATES = ("done", "failed", "expired")


@dataclass(frozen=True)
class AccountHit:
    id: int
    number: str
    customer: str
    phone: str
    room: str
    building: str
    meters: tuple[str, ...]
    state: str
    mode: str
    balance: Decimal
    level: str
    match: tuple[str, str] = ("", "")    # why search() found it: (field, text), see match_reason()


@dataclass(frozen=True)
class MeterLine:
    number: str
    kind: str
    reading: Decimal | None
    read_at: datetime | None
    age_seconds: int | None
    relay: str
    comm: str
    keep_power: bool = False
    meter_id: int | None = None


@dataclass(frozen=True)
class ReceiptLine:
    number: str
    kind: str
    at: datetime
    amount: Decimal
    method: str
    reversed_by: str | None
    reversible: bool


@dataclass(frozen=True)
class Delivery:
    item_id: int
    kind: str
    meter: str
    state: str
    attempts: int
    error: str


@dataclass(frozen=True)
class AccountCard:
    account_id: int
    number: str
    customer: str
    phone: str
    room: str
    building_id: int | None
    mode: str
    state: str
    tariff: str
    balance: Decimal
    subsidy: Decimal
    refundable: Decimal
    level: str
    arrears: str
    meters: tuple[MeterLine, ...]
    usage: tuple[tuple[str, Decimal], ...]     # ("2026-09", kWh) oldest first, this month last
    receipts: tuple[ReceiptLine, ...]           # newest first
    deliveries: tuple[Delivery, ...]            # meter commands not yet done, newest first


@dataclass(frozen=True)
class LedgerLine:
    at: datetime
    kind: str
    amount: Decimal
    balance_after: Decimal
    operator: str
    receipt_no: str
    method: str
    energy: Decimal | None
    note: str


def _like(text: str) -> str:
    return "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


_Q = TypeVar("_Q", bound="sa.Select[*tuple[Any, ...]]")   # any select


def _base_query() -> sa.Select[Account, Customer, str, int, str]:
    return (sa.select(Account, Customer, Room.number, Building.id, Building.name)
            .join(Customer, Customer.id == Account.customer_id)
            .outerjoin(Room, Room.id == Account.room_id).outerjoin(Floor, Floor.id == Room.floor_id)
            .outerjoin(Building, Building.id == Floor.building_id))


def _visible(q: _Q, actor: Actor | None) -> _Q:
    visible = None if actor is None else actor.visible_buildings()
    if visible is not None:
        q = q.where(Building.id.in_(sorted(visible) or [-1]))
    return q


def _hits(s: Session, rows: Sequence[sa.Row[Account, Customer, str, int, str]]) -> list[AccountHit]:
    ids = [r[0].id for r in rows]
    meters: dict[int, list[str]] = {}
    if ids:
        for aid, num in s.execute(sa.select(AccountMeter.account_id, Meter.number)
                                  .join(Meter, Meter.id == AccountMeter.meter_id)
                                  .where(AccountMeter.account_id.in_(ids), AccountMeter.closed_at.is_(None))
                                  .order_by(AccountMeter.id)):
            meters.setdefault(aid, []).append(num)
    return [AccountHit(a.id, a.number, c.name, c.phone, rnum or "", bname or "", tuple(meters.get(a.id, ())),
                       a.state, a.mode, from_fen(a.balance_fen), level(a) if a.state == "open" else "not_opened")
            for a, c, rnum, _bid, bname in rows]


def match_reason(hit: AccountHit, key: str) -> tuple[str, str]:
    """Which field of a hit holds the search text, first of: account number, room/shop, meter
    number, customer name, phone. ("account" | "room" | "meter" | "name" | "phone", the value)."""
    k = key.strip().lower()
    if not k:
        return ("", "")
    if hit.number.lower().startswith(k):              # search() matches account numbers by prefix
        return ("account", hit.number)
    for field_name, values in (("room", (hit.room,)), ("meter", hit.meters),
                               ("name", (hit.customer,)), ("phone", (hit.phone,))):
        for value in values:
            if value and k in value.lower():
                return (field_name, value)
    return ("", "")


# The rights whose work is with accounts: the counter (sell, refund, reverse), the accounts
# page's actions (open, close, move/replace/bind), reports and the archive. Every built-in role
# holds one (cashier: sell, report_view; viewer: report_view; admins: all); a role with none of
# them (only log_view, backup, settings_edit, shift, meter_read, ...) does not list accounts.
ACCOUNT_LIST_RIGHTS = ("sell", "report_view", "archive_edit", "account_open", "account_close", "account_edit",
                       "refund", "reverse")


def may_list_accounts(actor: Actor | None) -> bool:
    """The check a window makes before it lists or searches accounts."""
    return isinstance(actor, Actor) and any(right in actor.rights for right in ACCOUNT_LIST_RIGHTS)


def accounts_refusal(actor: Actor | None) -> PermissionDenied:
    """What an operator without any of ACCOUNT_LIST_RIGHTS is told (one translated line)."""
    if not isinstance(actor, Actor):
        return PermissionDenied(_("This needs a logged-in operator"), right=ACCOUNT_LIST_RIGHTS[0])
    return PermissionDenied(_("Operator {name} has no right to see the accounts: it takes one of {rights}").format(
        name=actor.name, rights=_(", ").join(_(RIGHTS[r]) for r in ACCOUNT_LIST_RIGHTS)),
        right=ACCOUNT_LIST_RIGHTS[0])


def require_list(db: Database, actor: Actor | None, action: str) -> None:
    """Refuse (PermissionDenied, logged as one `denied` row naming `action`) an operator holding
    none of ACCOUNT_LIST_RIGHTS, and a call without an operator; before anything is read."""
    if may_list_accounts(actor):
        return
    refusal = accounts_refusal(actor)
    _log_refusal(db, actor, action, "", refusal)
    raise refusal


def _log_refusal(db: Database, actor: Actor | None, action: str, target: str, refusal: PermissionDenied) -> None:
    """The `denied` row of a read's refusal; none for a call without an operator, nor on a
    read-only file (the refusal stands, unlogged)."""
    if isinstance(actor, Actor):
        try:
            log_denied(db, actor, action, target, refusal)
        except ReadOnlyDatabase:
            pass


def search(db: Database, actor: Actor, text: str, *, limit: int = 20,
           include_closed: bool = False) -> list[AccountHit]:
    """Accounts matching `text` (number, name, phone, room, meter number), open ones first.
    Needs one of ACCOUNT_LIST_RIGHTS (require_list)."""
    require_list(db, actor, "account.search")
    return _search(db, actor, text, limit=limit, include_closed=include_closed)


def _search(db: Database, actor: Actor, text: str, *, limit: int, include_closed: bool) -> list[AccountHit]:
    key = text.strip()
    if not key:
        return []
    pattern = _like(key)
    by_meter = (sa.select(AccountMeter.account_id).join(Meter, Meter.id == AccountMeter.meter_id)
                .where(AccountMeter.closed_at.is_(None), sa.func.lower(Meter.number).like(pattern, escape="\\")))
    cond = sa.or_(Account.number.like(_like(key)[1:], escape="\\"),
                  sa.func.lower(Customer.name).like(pattern, escape="\\"),
                  Customer.phone.like(pattern, escape="\\"),
                  sa.func.lower(Room.number).like(pattern, escape="\\"),
                  Account.id.in_(by_meter))
    q = _visible(_base_query().where(cond), actor)
    if not include_closed:
        q = q.where(Account.state == "open")
    exact_first = sa.case((Account.number == key, 0), (Room.number == key, 1), (Customer.name == key, 1), else_=2)
    q = q.order_by(exact_first, Account.state.desc(), Account.number).limit(limit)
    with db.read() as s:
        hits = _hits(s, s.execute(q).all())
    return [replace(h, match=match_reason(h, key)) for h in hits]


def list_accounts(db: Database, actor: Actor, text: str = "", *, state: str | None = None,
                  limit: int = 2000) -> list[AccountHit]:
    """The accounts page's list: every account (or those matching text), by number. Needs one
    of ACCOUNT_LIST_RIGHTS (require_list)."""
    require_list(db, actor, "account.list")
    if text.strip():
        return [h for h in _search(db, actor, text, limit=limit, include_closed=True)
                if state is None or h.state == state]
    q = _visible(_base_query(), actor)
    if state:
        q = q.where(Account.state == state)
    with db.read() as s:
        return _hits(s, s.execute(q.order_by(Account.number).limit(limit)).all())


def _month_starts(today: date, count: int = 3) -> list[date]:
    y, m = today.year, today.month
    out = []
    for _i in range(count + 1):
        out.append(date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return list(reversed(out))   # count+1 starts: oldest first, the last is this month's


def _utc(d: date) -> datetime:
    return station_time.at(d, time())


def month_usage(s: Session, meters: list[Meter], today: date | None = None) -> list[tuple[str, Decimal]]:
    """This month's and the two previous months' usage of `meters` (oldest first), by the
    consumption reports' own rule (billing/reports/consumption.py)."""
    from billing.reports.consumption import meter_figures

    starts = _month_starts(today or station_time.today())
    bounds = [_utc(d) for d in starts[1:]] + [utcnow()]
    ids = [m.id for m in meters]
    out = []
    for i, start_day in enumerate(starts[1:]):
        figures = meter_figures(s, bounds[i], bounds[i + 1], kind=None, meter_ids=ids)
        total = sum((f.consumption for f in figures if f.consumption is not None), Decimal(0))
        out.append((start_day.strftime("%Y-%m"), total))
    return out


def _meter_line(s: Session, m: Meter, now: datetime) -> MeterLine:
    last = s.execute(sa.select(Reading.energy_milli, Reading.at).where(Reading.meter_id == m.id, Reading.flag == "")
                     .order_by(Reading.at.desc(), Reading.id.desc()).limit(1)).first()
    reading, at = (from_milli(last[0]), last[1]) if last else (None, None)
    age = None if at is None else max(int((now - at).total_seconds()), 0)
    return MeterLine(m.number, m.kind, reading, at, age, m.relay_state, m.comm_state, bool(m.keep_power), m.id)


def _receipts(s: Session, account_id: int, limit: int) -> list[ReceiptLine]:
    reversal = aliased(LedgerEntry)
    q = (sa.select(Receipt.number, Receipt.kind, Receipt.issued_at, LedgerEntry.amount_fen, LedgerEntry.method,
                   LedgerEntry.kind, reversal.receipt_no, Receipt.payload)
         .outerjoin(LedgerEntry, LedgerEntry.id == Receipt.entry_id)
         .outerjoin(reversal, reversal.reverses_id == LedgerEntry.id)
         .where(Receipt.account_id == account_id).order_by(Receipt.id.desc()).limit(limit))
    out = []
    for number, kind, at, fen, method, ekind, rev_no, payload in s.execute(q):
        if fen is None:
            amount = Decimal(json.loads(payload or "{}").get("amount", "0"))
        else:
            amount = from_fen(fen)
        out.append(ReceiptLine(number, kind, at, amount, method or "", rev_no,
                               rev_no is None and ekind in REVERSIBLE))
    return out


def deliveries(s: Session, account_id: int, limit: int = 10) -> list[Delivery]:
    rows = s.execute(sa.select(OutboxItem, Meter.number).outerjoin(Meter, Meter.id == OutboxItem.meter_id)
                     .where(OutboxItem.account_id == account_id).order_by(OutboxItem.id.desc()).limit(limit)).all()
    return [Delivery(i.id, i.kind, num or "", i.state, i.attempts, i.last_error) for i, num in rows]


def delivery_states(db: Database, item_ids: list[int]) -> dict[int, Delivery]:
    """The state of outbox items (the counter polls these while a delivery is under way)."""
    if not item_ids:
        return {}
    with db.read() as s:
        rows = s.execute(sa.select(OutboxItem, Meter.number).outerjoin(Meter, Meter.id == OutboxItem.meter_id)
                         .where(OutboxItem.id.in_(item_ids))).all()
        return {i.id: Delivery(i.id, i.kind, num or "", i.state, i.attempts, i.last_error) for i, num in rows}


@contextmanager
def _building_refusals_logged(db: Database, actor: Actor, account_ref: str | int) -> Iterator[None]:
    """An account of a building the operator may not see (_check_visible, raised inside the
    read) is refused and logged as one `denied` row naming `account.view` and the account asked
    for, once the read has ended; before, that refusal was not logged."""
    try:
        yield
    except PermissionDenied as refusal:
        _log_refusal(db, actor, "account.view", str(account_ref), refusal)
        raise


def _check_visible(s: Session, actor: Actor | None, account: Account) -> int | None:
    building = account_building(s, account)
    visible = None if actor is None else actor.visible_buildings()
    if visible is not None and building is not None and building not in visible:
        assert actor is not None
        raise PermissionDenied(_("Operator {name} may not act on this building").format(name=actor.name))
    return building


def account_card(db: Database, actor: Actor, account_ref: str | int, *, receipts: int = 20) -> AccountCard:
    """Everything the counter shows of one account. Needs one of ACCOUNT_LIST_RIGHTS, checked
    before the account is looked up (require_list), then the account's building."""
    require_list(db, actor, "account.view")
    now = utcnow()
    with _building_refusals_logged(db, actor, account_ref), db.read() as s:
        a = find_account(s, account_ref)
        building = _check_visible(s, actor, a)
        c = s.get(Customer, a.customer_id)
        room = s.get(Room, a.room_id) if a.room_id else None
        plan = s.get(TariffPlan, a.tariff_plan_id) if a.tariff_plan_id else None
        meters = [m for m in (s.get(Meter, b.meter_id) for b in active_bindings(s, a.id)) if m is not None]
        arrears = a.arrears_policy + (f"={a.arrears_time}" if a.arrears_policy == "trip-at" else "")
        return AccountCard(
            account_id=a.id, number=a.number, customer=c.name if c else "", phone=c.phone if c else "",
            room=room.number if room else "", building_id=building, mode=a.mode, state=a.state,
            tariff=plan.name if plan else "", balance=from_fen(a.balance_fen), subsidy=from_fen(a.subsidy_fen),
            refundable=from_fen(max(paid_balance_fen(a), 0)),
            level=level(a) if a.state == "open" else "not_opened", arrears=arrears,
            meters=tuple(_meter_line(s, m, now) for m in meters), usage=tuple(month_usage(s, meters)),
            receipts=tuple(_receipts(s, a.id, receipts)),
            deliveries=tuple(d for d in deliveries(s, a.id)
                             if d.state != "done" and d.error != "reversed"))   # withdrawn: not news


def ledger_history(db: Database, actor: Actor, account_ref: str | int, *,
                   limit: int = 5000) -> list[LedgerLine]:
    """Every entry of the account, newest first. Needs what account_card needs."""
    require_list(db, actor, "account.view")
    with _building_refusals_logged(db, actor, account_ref), db.read() as s:
        a = find_account(s, account_ref)
        _check_visible(s, actor, a)
        rows = s.execute(sa.select(LedgerEntry).where(LedgerEntry.account_id == a.id)
                         .order_by(LedgerEntry.id.desc()).limit(limit)).scalars()
        return [LedgerLine(e.at, e.kind, from_fen(e.amount_fen), from_fen(e.balance_after_fen), e.operator,
                           e.receipt_no or "", e.method,
                           None if e.energy_milli is None else from_milli(e.energy_milli), note_text(e.note))
                for e in rows]


def free_meters(db: Database, actor: Actor | None, text: str = "", *, limit: int = 500) -> list[tuple[str, str, str]]:
    """Meters that can be bound: no open binding, not a common meter. (number, kind, room).
    Needs one of ACCOUNT_LIST_RIGHTS (require_list), as the accounts list it is offered beside:
    before, any operator (or none) could list the meters open for binding."""
    require_list(db, actor, "meter.free")
    bound = sa.select(AccountMeter.meter_id).where(AccountMeter.closed_at.is_(None))
    q = (sa.select(Meter.number, Meter.kind, Room.number, Building.id).outerjoin(Room, Room.id == Meter.room_id)
         .outerjoin(Floor, Floor.id == Room.floor_id).outerjoin(Building, Building.id == Floor.building_id)
         .where(Meter.id.not_in(bound), Meter.is_common.is_(False), Meter.state != "removed"))
    q = _visible(q, actor)
    if text.strip():
        pattern = _like(text.strip())
        q = q.where(sa.or_(sa.func.lower(Meter.number).like(pattern, escape="\\"),
                           sa.func.lower(Room.number).like(pattern, escape="\\")))
    with db.read() as s:
        return [(n, k, r or "") for n, k, r, _b in s.execute(q.order_by(Meter.number).limit(limit))]
