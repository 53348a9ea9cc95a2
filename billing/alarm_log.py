"""The alarm log: raising, clearing and acknowledging alarms (models.automation.Alarm).

Alarms are raised by the station's own work (settlement after a reading, the poller's lost
meters and links, failed commands) inside the transaction that discovered the condition, so
an alarm and its cause commit together. At most one alarm per (kind, account, meter, link) is
not cleared at a time: raising it again is a no-op, and clear() closes it when the condition is
gone (a purchase lifts the balance, a lost meter answers again).

    raise_alarm(s, "arrears", account_id=a.id, message=...)   # inside a write transaction
    sync_account(s, account)                                  # raise/clear alarm1/alarm2/arrears
    acknowledge(db, actor, [ids])                             # an operator saw them
    list_alarms(db, actor, open_only=True)                    # rows for pages and reports
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Session

from billing import alarms
from billing.money import from_fen
from models.accounts import Account
from models.archive import Customer, Floor, Link, Meter, Room
from models.areas import Building
from models.audit import audited, record, require_read
from models.automation import ALARM_KINDS, Alarm
from models.base import rowcount, utcnow
from models.db import Database
from models.errors import InvalidInput
from models.rights import Actor
from resources.i18n import N_, _

KIND_TITLES = {
    "alarm1": N_("Low balance"),
    "alarm2": N_("Very low balance"),
    "arrears": N_("Arrears"),
    "tripped": N_("Tripped for arrears"),
    "meter_lost": N_("Meter not answering"),
    "link_lost": N_("Link not answering"),
    "reading_flag": N_("Suspicious reading"),
    "command_failed": N_("Meter command failed"),
    "over_voltage": N_("Over-voltage"),
    "under_voltage": N_("Under-voltage"),
    "over_current": N_("Over-current"),
    "overload": N_("Overload"),
    "vacant_use": N_("Use in a vacant room"),
    "idle_use": N_("No use for days"),
    "use_spike": N_("Unusually high use"),
}
BALANCE_KINDS = ("alarm1", "alarm2", "arrears")
CLOSE_CLEARS = (*BALANCE_KINDS, "tripped")     # what closing the account ends (clear_closed_account)


@dataclass(frozen=True)
class AlarmRow:
    id: int
    kind: str
    title: str
    state: str
    raised_at: datetime
    message: str
    account: str           # account number or ""
    customer: str
    meter: str             # meter number or ""
    link: str
    building: str          # area the alarm is grouped by ("" when unknown)
    acked_by: str
    acked_at: datetime | None
    cleared_at: datetime | None
    details: dict[str, Any]


def _building_of(session: Session, account_id: int | None, meter_id: int | None) -> int | None:
    room_id = None
    if meter_id is not None:
        room_id = session.scalar(sa.select(Meter.room_id).where(Meter.id == meter_id))
    if room_id is None and account_id is not None:
        room_id = session.scalar(sa.select(Account.room_id).where(Account.id == account_id))
    if room_id is None:
        return None
    return session.scalar(sa.select(Floor.building_id).join(Room, Room.floor_id == Floor.id)
                          .where(Room.id == room_id))


def _same(kind: str, account_id: int | None, meter_id: int | None,
          link_id: int | None) -> sa.ColumnElement[bool]:
    def eq(col: InstrumentedAttribute[int | None], v: int | None) -> sa.ColumnElement[bool]:
        return col.is_(None) if v is None else col == v
    return sa.and_(Alarm.kind == kind, Alarm.state != "cleared", eq(Alarm.account_id, account_id),
                   eq(Alarm.meter_id, meter_id), eq(Alarm.link_id, link_id))


def raise_alarm(session: Session, kind: str, *, account_id: int | None = None, meter_id: int | None = None,
                link_id: int | None = None, message: str = "", details: dict[str, Any] | None = None,
                at: datetime | None = None) -> Alarm | None:
    """Raise an alarm unless the same one is already raised; returns the new row or None."""
    if kind not in ALARM_KINDS:
        raise ValueError(f"unknown alarm kind {kind!r}")
    if session.scalar(sa.select(Alarm.id).where(_same(kind, account_id, meter_id, link_id)).limit(1)):
        return None
    row = Alarm(kind=kind, account_id=account_id, meter_id=meter_id, link_id=link_id,
                building_id=_building_of(session, account_id, meter_id), message=message[:300],
                details=json.dumps(details or {}, ensure_ascii=False), raised_at=at or utcnow(), state="open")
    session.add(row)
    session.flush()
    return row


def clear(session: Session, kind: str, *, account_id: int | None = None, meter_id: int | None = None,
          link_id: int | None = None, at: datetime | None = None) -> int:
    """Clear the raised alarm of this kind and subject (the condition is gone); returns how many."""
    result = session.execute(sa.update(Alarm).where(_same(kind, account_id, meter_id, link_id))
                             .values(state="cleared", cleared_at=at or utcnow())
                             .execution_options(synchronize_session=False))
    return rowcount(result)


def clear_closed_account(session: Session, account_id: int, at: datetime) -> int:
    """The account was closed at `at` (billing/account_changes.py close_account, in its
    transaction): its balance-level alarms (low balance, arrears) and its meters' "tripped for
    arrears" alarms are over - no balance is left to warn about, no arrears to trip for - so they
    are cleared at the close, with details "cleared_by": "account_close"; the history keeps them.
    Its other alarms (a failed command, a suspicious reading, ...) are about a meter or an event
    and stay. Returns how many were cleared."""
    rows = session.execute(sa.select(Alarm).where(Alarm.account_id == account_id, Alarm.state != "cleared",
                                                  Alarm.kind.in_(CLOSE_CLEARS))
                           .order_by(Alarm.id)).scalars().all()
    for alarm in rows:
        details = json.loads(alarm.details or "{}")
        details["cleared_by"] = "account_close"
        alarm.state, alarm.cleared_at = "cleared", at
        alarm.details = json.dumps(details, ensure_ascii=False)
    return len(rows)


def sync_account(session: Session, account: Account, at: datetime | None = None, *,
                 none_raised: bool = False) -> str:
    """Make the balance alarms of an account match its level now; returns the level.

    Only the current level's alarm stays raised (arrears replaces alarm2 replaces alarm1); a
    closed account has none. none_raised=True: the caller knows this account has no alarm
    raised (the demo's fresh database), so there is nothing to clear: one UPDATE per other
    level saved."""
    lvl = alarms.level(account) if account.state == "open" else "normal"
    for kind in BALANCE_KINDS:
        if kind == lvl:
            _raise_level(session, account, at)
        elif not none_raised:
            clear(session, kind, account_id=account.id, at=at)
    return lvl


def after_credit(session: Session, account: Account, before: str, at: datetime | None = None) -> str:
    """After money came in (a sale): when the account's level changed from `before`, the alarms
    of the levels it left clear in one UPDATE and the new level's (a balance still low) is
    raised; a sale that changes no level costs no statement. Returns the level."""
    lvl = alarms.level(account) if account.state == "open" else "normal"
    if lvl == before:
        return lvl
    left = [k for k in BALANCE_KINDS if k != lvl]
    session.execute(sa.update(Alarm).where(Alarm.kind.in_(left), Alarm.state != "cleared",
                                           Alarm.account_id == account.id, Alarm.meter_id.is_(None),
                                           Alarm.link_id.is_(None))
                    .values(state="cleared", cleared_at=at or utcnow())
                    .execution_options(synchronize_session=False))
    if lvl != "normal":
        _raise_level(session, account, at)
    return lvl


def _raise_level(session: Session, account: Account, at: datetime | None) -> None:
    raise_alarm(session, alarms.level(account), account_id=account.id, at=at,
                message=_("Account {account}: balance {balance}").format(
                    account=account.number, balance=str(from_fen(account.balance_fen))),
                details={"balance_fen": account.balance_fen})


def acknowledge(db: Database, actor: Actor, alarm_ids: Iterable[int]) -> int:
    """Mark alarms as seen by the operator (they stay raised until their condition clears)."""
    ids = sorted({int(i) for i in alarm_ids})
    if not ids:
        raise InvalidInput(_("No alarm selected"))
    with audited(db, actor, "alarm.ack", ",".join(map(str, ids[:20]))) as s:
        actor.require("report_view")
        visible = actor.visible_buildings()
        where = [Alarm.id.in_(ids), Alarm.state == "open"]
        if visible is not None:
            where.append(Alarm.building_id.in_(sorted(visible)))
        n = rowcount(s.execute(sa.update(Alarm).where(*where)
                               .values(state="acknowledged", acked_by=actor.name, acked_at=utcnow())
                               .execution_options(synchronize_session=False)))
        record(s, actor, "alarm.ack", ",".join(map(str, ids[:20])), {"count": n})
        return n


def alarm_rows_query() -> sa.Select[Alarm, str, str, str, str, str]:
    """The alarms with what they name (account, customer, meter, link, building): rows for
    to_row(); the caller adds the where, order and limit."""
    return _naming(sa.select(Alarm, Account.number, Customer.name, Meter.number,
                             sa.func.coalesce(Link.name, _METER_LINK.name), Building.name))


_METER_LINK = sa.orm.aliased(Link)
_Q = TypeVar("_Q", bound="sa.Select[*tuple[Any, ...]]")   # any select
# alarm_rows_query's columns without the ORM object: a plain row per alarm, for streams (exports)
_COLUMNS = (Alarm.id, Alarm.kind, Alarm.state, Alarm.raised_at, Alarm.message, Account.number, Customer.name,
            Meter.number, sa.func.coalesce(Link.name, _METER_LINK.name), Building.name, Alarm.acked_by,
            Alarm.acked_at, Alarm.cleared_at, Alarm.details)


def alarm_columns_query() -> sa.Select[*tuple[Any, ...]]:
    """alarm_rows_query() as plain columns (rows for column_row()): no ORM object per alarm, so
    it runs on a Core connection's cursor (yield_per) - the report's export of every alarm."""
    return _naming(sa.select(*_COLUMNS))


def _naming(q: _Q) -> _Q:
    return (q.outerjoin(Account, Account.id == Alarm.account_id)
            .outerjoin(Customer, Customer.id == Account.customer_id)
            .outerjoin(Meter, Meter.id == Alarm.meter_id)
            .outerjoin(Link, Link.id == Alarm.link_id)
            .outerjoin(_METER_LINK, _METER_LINK.id == Meter.link_id)
            .outerjoin(Building, Building.id == Alarm.building_id))


def to_row(a: Alarm, acc: str | None, cust: str | None, met: str | None, link: str | None,
           bld: str | None) -> AlarmRow:
    return AlarmRow(a.id, a.kind, _(KIND_TITLES.get(a.kind, a.kind)), a.state, a.raised_at, a.message,
                    acc or "", cust or "", met or "", link or "", bld or "", a.acked_by, a.acked_at,
                    a.cleared_at, json.loads(a.details or "{}"))


def column_row(i: int, kind: str, state: str, raised_at: datetime, message: str, acc: str | None,
               cust: str | None, met: str | None, link: str | None, bld: str | None, acked_by: str,
               acked_at: datetime | None, cleared_at: datetime | None, details: str | None) -> AlarmRow:
    """to_row() of an alarm_columns_query() row."""
    return AlarmRow(i, kind, _(KIND_TITLES.get(kind, kind)), state, raised_at, message, acc or "", cust or "",
                    met or "", link or "", bld or "", acked_by, acked_at, cleared_at, json.loads(details or "{}"))


def alarm_filters(visible: Iterable[int] | None, *, open_only: bool = False, since: datetime | None = None,
                  until: datetime | None = None, kinds: Iterable[str] | None = None,
                  after_id: int | None = None, state: str | None = None) -> list[sa.ColumnElement[bool]]:
    """The WHERE clauses of an alarm search (shared by list_alarms and billing/alarm_pages.py)."""
    where: list[sa.ColumnElement[bool]] = []
    if open_only:
        where.append(Alarm.state != "cleared")
    if state is not None:
        where.append(Alarm.state == state)
    if since is not None:
        where.append(Alarm.raised_at >= since)
    if until is not None:
        where.append(Alarm.raised_at < until)
    if kinds:
        where.append(Alarm.kind.in_(list(kinds)))
    if after_id is not None:
        where.append(Alarm.id > after_id)
    if visible is not None:     # an operator limited to some buildings sees their alarms (and no unplaced ones)
        where.append(Alarm.building_id.in_(sorted(visible)))
    return where


def list_alarms(db: Database, actor: Actor | None = None, *, open_only: bool = False,
                since: datetime | None = None, until: datetime | None = None,
                kinds: Iterable[str] | None = None, after_id: int | None = None,
                limit: int = 5000) -> list[AlarmRow]:
    """Alarms newest first: open_only = not cleared; after_id = only newer than that id
    (for pop-ups); since/until bound raised_at. At most `limit`: the whole history, a page
    at a time, is billing/alarm_pages.py."""
    visible = None
    if actor is not None:
        require_read(db, actor, "report_view", "alarm.view")
        visible = actor.visible_buildings()
    q = (alarm_rows_query().where(*alarm_filters(visible, open_only=open_only, since=since, until=until,
                                                 kinds=kinds, after_id=after_id))
         .order_by(Alarm.id.desc()).limit(limit))
    with db.read() as s:
        return [to_row(*r) for r in s.execute(q)]
