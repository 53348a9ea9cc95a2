"""The monitor board's read side: one row per meter with everything the board shows.

    rows = monitor_rows(db, actor)            # every installed/stock meter the actor may see

Set-based and cheap for 10,000 meters: one joined query for meters with their place, link and
open account; one for tags; one for each meter's latest reading (a correlated newest-first
LIMIT 1 per meter, an index seek on (meter_id, at) — never a scan of months of readings). No
per-row round trips.

The board state (one colour per meter) is derived by board_state(); precedence, first wins:

    unknown     nobody is reading the meter now (MonitorRow.unwatched): the runtime that polled
                it ended (the window's bridge says "unknown" for every meter it watched,
                ui/bridge.py mark_unknown), so every state below is stale, lost and unreachable
                too, until a runtime reads it again (a reading, or its online / lost /
                unreachable state, ends it). Never from the database: monitor_rows() cannot tell
                whether a runtime is polling; the board's model (ui/item_models/meter_table.py)
                keeps the mark over its reloads
    lost        the meter stopped answering (comm_state "lost"): everything else is stale
    unreachable its link (converter, port) is down, so it was not asked (comm_state "unreachable")
    not_opened  no open account is bound to the meter (stock, vacant shop)
    tripped     the relay is open (the customer has no power, whatever the reason)
    keep_power  保电: the station never trips it for arrears, so a low balance is tolerated
    arrears     balance at or below zero (prepaid accounts)
    alarm2      balance at or below the second threshold
    alarm1      balance at or below the first threshold
    normal

The counter's account card shows the same state: account_state() folds an account's meters
into one board state with the same precedence (a meter nobody reads, a lost meter, an open
relay, keep-power on any of them), so the card and the board never disagree about one meter;
the card keeps its own set of unwatched meters from the same bridge signals
(ui/widgets/account_card.py).

Units: reading_unit() gives the unit of a row's reading — the unit the poller stored with the
value (Meter.last_values "units", kept in a row's last_values as flat_units()), else the meter
kind's (kWh, m³). open_alarms counts alarms not yet cleared on the meter (any kind), or on its
account for kinds other than the balance levels (those are the state colour already).
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from billing import alarms
from billing.alarm_log import BALANCE_KINDS
from models.accounts import Account, AccountMeter
from models.archive import Customer, Floor, Link, Meter, MeterTag, Reading, Room, Tag
from models.areas import Building
from models.audit import log_denied
from models.automation import Alarm
from models.db import Database
from models.errors import PermissionDenied, ReadOnlyDatabase
from models.rights import RIGHTS, Actor
from resources.i18n import _

BOARD_STATES = ("not_opened", "normal", "alarm1", "alarm2", "arrears", "tripped", "keep_power", "lost",
                "unreachable", "unknown")


@dataclass(frozen=True)
class MonitorRow:
    meter_id: int
    number: str
    kind: str
    protocol: str
    link: str
    building_id: int | None
    building: str
    floor: str
    room: str
    tags: tuple[str, ...]              # "kind:name"
    account_id: int | None
    account: str                       # account number, "" when not opened
    customer: str
    mode: str                          # billing mode, "" when not opened
    account_state: str                 # "open" or "" (only open bindings are shown)
    balance_fen: int | None
    alarm_level: str                   # billing.alarms level, "" when not opened
    comm_state: str                    # online | lost | unknown
    relay_state: str                   # closed | open | unknown
    keep_power: bool
    energy_milli: int | None           # last reading (kWh × 1000 or litres)
    read_at: datetime | None           # time of that reading (UTC)
    last_values: dict[str, Any] = field(default_factory=dict, compare=True, hash=False)
    last_read_at: datetime | None = None   # last successful poll (may be newer than the reading)
    state: str = "normal"              # the board state (board_state)
    floor_level: int = 0               # the floor's level (tile view order)
    open_alarms: int = 0               # alarms not cleared on this meter (or its account, non-balance)
    unwatched: bool = False            # nobody reads it now (the runtime ended): board state "unknown"

    def __hash__(self) -> int:
        return hash(self.meter_id)


def row_values(row: MonitorRow) -> tuple[Any, ...]:
    """A row as the tuple of its fields in order (row_from_values makes it again): how the
    window's runtime process sends board rows over its pipe (station/runtime_child.board_rows).
    Not pickled as MonitorRows: unpickling one gives it a __dict__ object of its own, one more
    object per row for the window's garbage collector to walk (10,000 rows on each board)."""
    return tuple(row.__dict__.values())


_LAST_VALUES = 22                   # MonitorRow.last_values's place in row_values()
_FIELD_AT = {f.name: i for i, f in enumerate(fields(MonitorRow))}


def row_replaced(row: MonitorRow, changes: Mapping[str, Any]) -> MonitorRow:
    """dataclasses.replace(row, **changes), cheaper: the board's live feed makes one per reading,
    and replace (which asks each of the 27 fields by name) was half of the GUI thread's 34 µs a
    reading. The row's values in field order (its __init__ set them in that order; frozen: never
    set again), the changed ones put in their place, one positional __init__. An unknown field
    is a KeyError."""
    values = list(row.__dict__.values())
    for name, value in changes.items():
        values[_FIELD_AT[name]] = value
    return MonitorRow(*values)


def row_from_values(values: tuple[Any, ...]) -> MonitorRow:
    """The row again; its last_values's units as the one shared tuple flat_units() keeps (an
    unpickled dict holding a tuple made just now stays tracked by the collector, see flat_units)."""
    last = values[_LAST_VALUES]
    units = last.get("units") if last else None
    if isinstance(units, tuple):
        shared = _shared_units(units)
        if shared is not units:
            last = {k: v for k, v in last.items() if k != "units"}
            last["units"] = shared
            values = (*values[:_LAST_VALUES], last, *values[_LAST_VALUES + 1:])
    return MonitorRow(*values)


def board_state(*, comm_state: str, account_open: bool, relay_state: str, keep_power: bool,
                alarm_level: str, watched: bool = True) -> str:
    """One board state per meter; precedence in the module docstring. watched=False: nobody is
    reading the meter now (MonitorRow.unwatched), whatever the rest says."""
    if not watched:
        return "unknown"
    if comm_state in ("lost", "unreachable"):
        return comm_state
    if not account_open:
        return "not_opened"
    if relay_state == "open":
        return "tripped"
    if keep_power:
        return "keep_power"
    return alarm_level if alarm_level in ("arrears", "alarm2", "alarm1") else "normal"


KIND_UNITS = {"electricity": "kWh", "water": "m³", "gas": "m³", "heat": "m³"}
UNIT_WORDS = {"m3": "m³"}           # the drivers' ASCII spelling (comms.interfaces.QUANTITIES)


def flat_units(units: Mapping[str, Any]) -> tuple[str, ...]:
    """A reading's units {quantity: unit} as a row keeps them in last_values["units"]: one flat
    tuple (quantity, unit, quantity, unit, ...) in quantity order. Strs in a flat tuple, not a
    nested dict: a row's last_values dict then holds only strs and such a tuple, which Python's
    cyclic collector does not track (10,000 rows on each board page, kept for as long as the
    program runs, stay out of every full collection's walk: ui/gui_main.py). One shared tuple per
    distinct set of units: a dict takes a tuple made just now as one the collector tracks (and is
    tracked from then on), a tuple it has seen once as untracked."""
    return _shared_units(tuple(s for q in sorted(units) for s in (str(q), str(units[q]))))


def _shared_units(flat: tuple[str, ...]) -> tuple[str, ...]:
    """The one tuple kept for these units (the first seen), or flat itself past 1,024 sets."""
    shared = _FLAT_UNITS.get(flat)
    if shared is None:
        shared = _FLAT_UNITS.setdefault(flat, flat) if len(_FLAT_UNITS) < 1024 else flat
    return shared


_FLAT_UNITS: dict[tuple[str, ...], tuple[str, ...]] = {}   # flat_units(): a site has a handful of sets


def reading_unit(row: MonitorRow) -> str:
    """The unit of row.energy_milli: as the poller stored it, else by the meter's kind."""
    units = row.last_values.get("units")
    if isinstance(units, tuple):                        # flat_units()
        units = dict(zip(units[::2], units[1::2], strict=True))
    if isinstance(units, dict):
        for q in ("energy", "volume"):
            if units.get(q):
                return UNIT_WORDS.get(str(units[q]), str(units[q]))
    return KIND_UNITS.get(row.kind, "")


def account_state(*, account_open: bool, alarm_level: str,
                  meters: list[tuple[str, str, bool]], watched: bool = True) -> str:
    """One state for an account with its meters [(comm_state, relay_state, keep_power)]: the
    board_state of the account as if it were one meter — unknown if nobody reads one of its
    meters now (watched=False: MonitorRow.unwatched of any of them), lost if any meter is lost,
    tripped if any relay is open, keep-power if any meter holds it; else the balance level."""
    comms = {c for c, _r, _k in meters}
    return board_state(comm_state="lost" if "lost" in comms else "unreachable" if "unreachable" in comms else "online",
                       account_open=account_open,
                       relay_state="open" if any(r == "open" for _c, r, _k in meters) else "closed",
                       keep_power=any(k for _c, _r, k in meters), alarm_level=alarm_level, watched=watched)


def _values(text: str | None) -> dict[str, Any]:
    if not text or text == "{}":
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    units = value.get("units")
    if isinstance(units, dict):     # a new dict: one that held a dict stays tracked by the collector
        value = {k: v for k, v in value.items() if k != "units"}
        value["units"] = flat_units(units)
    return value


# Who may see the board (every meter's state, customer and balance): an operator who views
# reports, reads meters or commands them. A pure cashier role (sell, shift) sees accounts at the
# counter, not the board; neither does an operator who only reads the operation log.
BOARD_RIGHTS = ("report_view", "meter_read", "relay_control")


def may_see_board(actor: Actor | None) -> bool:
    """The check a window makes before it asks for the board (None: the station itself)."""
    return actor is None or any(right in actor.rights for right in BOARD_RIGHTS)


def board_refusal(actor: Actor) -> PermissionDenied:
    """What an operator without any of BOARD_RIGHTS is told (one translated line)."""
    return PermissionDenied(_("Operator {name} has no right to see the meters: it takes one of {rights}").format(
        name=actor.name, rights=_(", ").join(_(RIGHTS[r]) for r in BOARD_RIGHTS)), right=BOARD_RIGHTS[0])


def monitor_rows(db: Database, actor: Actor | None = None, *, meter_ids: list[int] | None = None,
                 buildings: set[int] | None = None) -> list[MonitorRow]:
    """Rows ordered by meter number; actor limits them to its buildings (None: everything), or
    buildings does (the window's runtime process reads the board for its operator, who is not
    its own: station/runtime_child.board_rows); meter_ids limits them to those meters (for a
    refresh of a few). An actor without any of BOARD_RIGHTS is refused (logged as denied)."""
    if actor is not None and not may_see_board(actor):
        try:
            log_denied(db, actor, "board.view", "", board_refusal(actor))
        except ReadOnlyDatabase:                # a read-only file: the refusal stands, unlogged
            pass
        raise board_refusal(actor)
    binding = (sa.select(AccountMeter.meter_id, AccountMeter.account_id)
               .where(AccountMeter.closed_at.is_(None)).subquery())
    q = (sa.select(Meter.id, Meter.number, Meter.kind, Meter.protocol, Link.name, Building.id, Building.name,
                   Floor.name, Room.number, Account.id, Account.number, Customer.name, Account.mode, Account.state,
                   Account.balance_fen, Account.alarm1_fen, Account.alarm2_fen, Meter.comm_state,
                   Meter.relay_state, Meter.keep_power, Meter.last_values, Meter.last_read_at, Floor.level)
         .outerjoin(Link, Link.id == Meter.link_id).outerjoin(Room, Room.id == Meter.room_id)
         .outerjoin(Floor, Floor.id == Room.floor_id).outerjoin(Building, Building.id == Floor.building_id)
         .outerjoin(binding, binding.c.meter_id == Meter.id)
         .outerjoin(Account, sa.and_(Account.id == binding.c.account_id, Account.state == "open"))
         .outerjoin(Customer, Customer.id == Account.customer_id)
         .where(Meter.state != "removed").order_by(Meter.number))
    visible = buildings if actor is None else actor.visible_buildings()
    if visible is not None:
        q = q.where(Building.id.in_(sorted(visible) or [-1]))
    if meter_ids is not None:
        q = q.where(Meter.id.in_(list(meter_ids) or [-1]))
    # each meter's latest reading: an index seek per meter on (meter_id, at), inside one query
    # (a GROUP BY over the readings table would scan months of readings)
    newest = (sa.select(Reading.id).where(Reading.meter_id == Meter.id)
              .order_by(Reading.at.desc(), Reading.id.desc()).limit(1).correlate(Meter).scalar_subquery())
    latest = sa.select(Meter.id.label("mid"), newest.label("rid")).where(Meter.state != "removed")
    tag_q = sa.select(MeterTag.meter_id, Tag.kind, Tag.name).join(Tag, Tag.id == MeterTag.tag_id)
    if meter_ids is not None:
        latest = latest.where(Meter.id.in_(list(meter_ids) or [-1]))
        tag_q = tag_q.where(MeterTag.meter_id.in_(list(meter_ids) or [-1]))
    latest_sq = latest.subquery()
    reading_q = (sa.select(Reading.meter_id, Reading.id, Reading.energy_milli, Reading.at)
                 .join(latest_sq, latest_sq.c.rid == Reading.id))
    alarm_q = (sa.select(Alarm.meter_id, Alarm.account_id, Alarm.kind)
               .where(Alarm.state != "cleared", sa.or_(Alarm.meter_id.is_not(None), Alarm.account_id.is_not(None))))
    with db.read() as s:
        rows = s.execute(q).all()
        by_meter: dict[int, int] = {}
        by_account: dict[int, int] = {}
        for a_mid, a_aid, a_kind in s.execute(alarm_q):
            if a_mid is not None:
                by_meter[a_mid] = by_meter.get(a_mid, 0) + 1
            elif a_kind not in BALANCE_KINDS and a_aid is not None:
                by_account[a_aid] = by_account.get(a_aid, 0) + 1
        tags: dict[int, list[str]] = {}
        for mid, kind, name in s.execute(tag_q.order_by(MeterTag.meter_id, Tag.kind, Tag.name)):
            tags.setdefault(mid, []).append(f"{kind}:{name}")
        last: dict[int, tuple[int, int, datetime]] = {}
        for mid, rid, energy, at in s.execute(reading_q):
            last[mid] = (rid, energy, at)
    out = []
    for (mid, number, kind, protocol, link, bid, bname, fname, rnum, aid, anum, cust, mode, astate, bal, a1, a2,
         comm, relay, keep, values, read_ok_at, flevel) in rows:
        opened = aid is not None
        level = alarms.level_for(bal, a1, a2, mode) if opened else ""
        reading = last.get(mid)
        out.append(MonitorRow(
            mid, number, kind, protocol, link or "", bid, bname or "", fname or "", rnum or "",
            tuple(tags.get(mid, ())), aid, anum or "", cust or "", mode or "", astate or "",
            bal if opened else None, level, comm or "unknown", relay or "unknown", bool(keep),
            reading[1] if reading else None, reading[2] if reading else None, _values(values), read_ok_at,
            board_state(comm_state=comm or "", account_open=opened, relay_state=relay or "", keep_power=bool(keep),
                        alarm_level=level),
            flevel or 0, by_meter.get(mid, 0) + (by_account.get(aid, 0) if opened else 0)))
    return out
