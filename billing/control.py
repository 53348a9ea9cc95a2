"""Remote commands to meters (拉闸/合闸/保电/恢复预付费/下发/点抄/校时), single or batch.

    ids = send_command(db, actor, [meter_id, ...], "trip")     # outbox item ids, in order
    command_status(db, ids)                                    # {item_id: CommandStatus}

Commands are persisted outbox items (billing/outbox.py) of kind "meter.<action>" at priority 0,
so they jump ahead of routine polls and survive a restart; the poller delivers them
(comms/polling/outbox_source.py). Nothing here talks to a meter.

Rights (decided here, checked per building of every meter):
    trip, close, keep-power, keep-power-off, valve-open, valve-close, restore-prepaid,
    sync_clock, price, settings                       relay_control (they change the meter)
    read                                              meter_read
Clock sync writes the meter, so it is a control command, not a station setting.

restore-prepaid (恢复预付费) = "keep-power-off", then "close" only for a meter whose open account
has a positive balance; a meter with no money is left as it is and the arrears policy decides
(the poller trips it when its account's policy says so). Both items are queued together; the
outbox delivers a meter's items in id order.

Every step must be declared by each meter's model (models/capabilities.py): a command the
model does not offer is refused here, up front, naming the meter and the reason. price and
settings downloads are queued as meter.price / meter.settings with their payload (default:
the account's flat tariff price on every rate / its alarm amounts 1 and 2).

Interactive commands expire after COMMAND_EXPIRY (a trip delivered a day late would surprise
everyone); reads after READ_EXPIRY.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from billing import outbox
from billing.money import from_fen
from models import capabilities
from models import commands as contract
from models.accounts import Account, AccountMeter, TariffVersion
from models.archive import Floor, Meter, Room
from models.audit import audited, record
from models.base import utcnow
from models.db import Database, retrying
from models.errors import InvalidInput, NotFound
from models.ledger import OutboxItem
from models.rights import Actor
from resources.i18n import N_, _

RELAY_ACTIONS = ("trip", "close", "keep-power", "keep-power-off", "valve-open", "valve-close")
ACTION_TITLES = {
    "trip": N_("Trip"), "close": N_("Close"), "keep-power": N_("Keep power"),
    "keep-power-off": N_("Keep power off"), "restore-prepaid": N_("Restore prepaid"),
    "valve-open": N_("Open valve"), "valve-close": N_("Close valve"),
    "price": N_("Price download"), "settings": N_("Settings download"),
    "read": N_("Read now"), "sync_clock": N_("Sync clock"),
}
ACTIONS = tuple(ACTION_TITLES)
RIGHT_OF = {**{a: "relay_control" for a in ACTIONS}, "read": "meter_read"}
COMMAND_EXPIRY = timedelta(hours=1)
READ_EXPIRY = timedelta(minutes=10)
PENDING_STATES = ("pending", "sending")


@dataclass(frozen=True)
class CommandStatus:
    item_id: int
    meter_id: int | None
    kind: str                  # outbox kind, e.g. "meter.trip"
    state: str                 # pending | sending | done | failed | expired
    error: str
    attempts: int
    done_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.state not in PENDING_STATES


MeterFacts = tuple[int, str, int | None, int | None, int | None, int | None]


def _meters(session: Session, meter_ids: list[int]) -> list[MeterFacts]:
    """(id, number, link_id, building_id, account_id, balance_fen) per meter, one query."""
    binding = (sa.select(AccountMeter.meter_id, AccountMeter.account_id)
               .where(AccountMeter.closed_at.is_(None)).subquery())
    rows = session.execute(
        sa.select(Meter.id, Meter.number, Meter.link_id, Floor.building_id, Account.id, Account.balance_fen)
        .outerjoin(Room, Room.id == Meter.room_id).outerjoin(Floor, Floor.id == Room.floor_id)
        .outerjoin(binding, binding.c.meter_id == Meter.id)
        .outerjoin(Account, sa.and_(Account.id == binding.c.account_id, Account.state == "open"))
        .where(Meter.id.in_(meter_ids))).all()
    by_id: dict[int, MeterFacts] = {r[0]: (r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows}
    missing = [m for m in meter_ids if m not in by_id]
    if missing:
        raise NotFound(_("There is no meter {meter}").format(meter=missing[0]))
    return [by_id[m] for m in meter_ids]


def _steps(action: str) -> list[str]:
    return ["keep-power-off", "close"] if action == "restore-prepaid" else [action]


def offered(meter: Meter) -> list[str]:
    """The commands of ACTIONS the meter's model declares (models/capabilities.py)."""
    try:
        caps = capabilities.of_meter(meter)
    except InvalidInput:
        return []
    return [a for a in ACTIONS if all(caps.can(contract.kind(f"meter.{st}").capability) for st in _steps(a))]


def offered_map(db: Database) -> dict[int, tuple[str, ...]]:
    """meter id -> the commands its model declares, for every meter (what the page offers)."""
    with db.read() as s:
        rows = s.execute(sa.select(Meter.id, Meter.protocol, Meter.profile, Meter.options)).all()
    # Only these three columns decide the answer: worked out once per distinct model, not once per
    # meter. (Loading 10,000 Meter objects and checking each cost a read worker ≈ 400 ms of
    # pure-Python CPU at every visit of the control page; the window waited for the GIL meanwhile.)
    by_model: dict[tuple[str, str | None, str | None], tuple[str, ...]] = {}
    out: dict[int, tuple[str, ...]] = {}
    for meter_id, protocol, profile, options in rows:
        key = (protocol, profile, options)
        got = by_model.get(key)
        if got is None:
            got = by_model[key] = tuple(offered(Meter(protocol=protocol, profile=profile, options=options)))
        out[meter_id] = got
    return out


def _check_capabilities(s: Session, ids: list[int], action: str) -> None:
    """Refuse up front a command the model of any of the meters does not declare."""
    for meter in s.execute(sa.select(Meter).where(Meter.id.in_(ids)).order_by(Meter.id)).scalars():
        caps = capabilities.of_meter(meter)
        for step in _steps(action):
            caps.require(contract.kind(f"meter.{step}").capability, meter.number)


def default_payload(s: Session, account_id: int | None, action: str) -> dict[str, Any] | None:
    """Settings download without values: the account's alarm amounts 1 and 2. Price download
    without prices: the flat price of the account's tariff (on every rate)."""
    if action not in ("price", "settings"):
        return None
    account = s.get(Account, account_id) if account_id is not None else None
    if account is not None and action == "settings":
        return {"alarm1": str(from_fen(account.alarm1_fen)), "alarm2": str(from_fen(account.alarm2_fen))}
    if account is not None and account.tariff_plan_id is not None:
        body = s.execute(sa.select(TariffVersion.body).where(TariffVersion.plan_id == account.tariff_plan_id,
                                                             TariffVersion.effective_from <= utcnow())
                         .order_by(TariffVersion.effective_from.desc())).scalars().first()
        data = json.loads(body or "{}")
        if data.get("kind") == "flat" and data.get("price") is not None:
            return {"prices": [str(Decimal(str(data["price"])).quantize(Decimal("0.0001")))] * 4}
    raise InvalidInput(_("Give the values for {action}: the meter's account has none to send")
                       .format(action=_(ACTION_TITLES[action])))


@retrying
def send_command(db: Database, actor: Actor, meter_ids: Iterable[int], action: str,
                 payload: dict[str, Any] | None = None) -> list[int]:
    """Queue one command for each meter (restore-prepaid: up to two); returns the outbox ids."""
    ids = list(dict.fromkeys(int(m) for m in meter_ids))
    if action not in ACTIONS:
        raise InvalidInput(_("Unknown meter command {action}").format(action=action))
    if not ids:
        raise InvalidInput(_("No meter selected"))
    right = RIGHT_OF[action]
    target = f"{len(ids)} meters" if len(ids) > 1 else str(ids[0])
    with audited(db, actor, f"meter.{action}", target) as s:
        actor.require(right)
        meters = _meters(s, ids)
        for building in sorted({m[3] for m in meters if m[3] is not None}):
            actor.require(right, building_id=building)
        if not actor.all_areas and any(m[3] is None for m in meters):
            actor.require(right, building_id=-1)          # meters in no room: only for all-area operators
        unlinked = [m[1] for m in meters if m[2] is None]
        if unlinked:
            raise InvalidInput(_("Meter {meter} is on no link; it cannot receive commands")
                               .format(meter=", ".join(unlinked[:5])))
        _check_capabilities(s, ids, action)
        now = utcnow()
        expires = now + (READ_EXPIRY if action == "read" else COMMAND_EXPIRY)
        items: list[int] = []
        for mid, _number, _link, _bld, account_id, balance in meters:
            if action == "restore-prepaid":
                steps = ["keep-power-off"] + (["close"] if account_id is not None and (balance or 0) > 0 else [])
            else:
                steps = [action]
            for step in steps:
                given = payload if payload is not None else default_payload(s, account_id, action)
                item = outbox.enqueue(s, f"meter.{step}", account_id=account_id, meter_id=mid,
                                      payload=given if step == action else None, priority=0)
                item.expires_at = expires
                items.append(item.id)
        record(s, actor, f"meter.{action}", target,
               {"meters": [m[1] for m in meters[:50]], "count": len(meters), "items": items[:100],
                **({"payload": payload} if payload else {})})
        return items


def authorize_group_read(db: Database, actor: Actor, schedule_id: int | None) -> None:
    """Before "read this group now" (a reading schedule's meters, None: every meter) is handed
    to the runtime (ui/runtime_commands.py): the right meter_read is checked here, in the
    service, and the request is logged either way ("meter.read_group", or "denied")."""
    target = "all" if schedule_id is None else f"schedule:{schedule_id}"
    with audited(db, actor, "meter.read_group", target) as s:
        actor.require("meter_read")
        record(s, actor, "meter.read_group", target)


def command_status(db: Database, item_ids: Iterable[int]) -> dict[int, CommandStatus]:
    """The state of each outbox item (missing ids are left out)."""
    ids = sorted({int(i) for i in item_ids})
    out: dict[int, CommandStatus] = {}
    with db.read() as s:
        for chunk in range(0, len(ids), 500):
            for item in s.execute(sa.select(OutboxItem).where(OutboxItem.id.in_(ids[chunk:chunk + 500]))).scalars():
                out[item.id] = CommandStatus(item.id, item.meter_id, item.kind, item.state, item.last_error,
                                             item.attempts, item.done_at)
    return out


def require_control(db: Database, actor: Actor, action: str, target: str) -> None:
    """The plain right to send `action` (no building yet), checked before a front end looks up
    the meter it was given (`meterstation control METER_NO`): a refusal says nothing of which
    meters exist and is logged as denied. direct_command then checks the meter's building."""
    if action not in RELAY_ACTIONS:
        raise InvalidInput(_("Unknown meter command {action}").format(action=action))
    if actor.can(RIGHT_OF[action]):
        return
    with audited(db, actor, f"meter.{action}", target):
        actor.require(RIGHT_OF[action])


def direct_command(db: Database, actor: Actor | None, action: str, send: Callable[[], dict[str, Any]], *,
                   meter_id: int | None = None, number: str = "", url: str = "") -> dict[str, Any]:
    """A relay or valve command sent now, not through the outbox (`meterstation control`): the
    operator's right to control (in the meter's building) is checked first - a refusal is logged -,
    then `send()` talks to the meter (no transaction is held meanwhile) and returns a dict with at
    least "status" ("confirmed" ...); the outcome is one log row, and a confirmed action is kept
    on the meter's row. `url`: a meter given by link address instead of the archive (commissioning);
    the same right is needed and the log names the URL. Returns what send() returned."""
    if actor is None:
        from models.errors import AuthenticationFailed

        raise AuthenticationFailed(_("A meter command needs an operator: name one with --operator or "
                                     "METERSTATION_OPERATOR"))
    if action not in RELAY_ACTIONS:
        raise InvalidInput(_("Unknown meter command {action}").format(action=action))
    right = RIGHT_OF[action]
    target = number or (str(meter_id) if meter_id is not None else url)
    with audited(db, actor, f"meter.{action}", target) as s:
        actor.require(right)
        if meter_id is not None:
            building = _meters(s, [meter_id])[0][3]
            if building is not None:
                actor.require(right, building_id=building)
            elif not actor.all_areas:
                actor.require(right, building_id=-1)      # meters in no room: only for all-area operators
        elif not actor.all_areas:
            actor.require(right, building_id=-1)          # a bare link address: only for all-area operators
    outcome = send()
    with db.write() as s:
        record(s, actor, "meter.control", target, {
            "action": action, "meter_id": meter_id, **({"url": url} if url else {}), **outcome,
            "confirmed": outcome.get("status") == "confirmed"})
        from models.automation import clear_meter_alarms
        from models.commands import CONTROL_CLEARS, CONTROL_EFFECT  # what the outbox keeps for the same action

        effect = CONTROL_EFFECT.get(action)
        if meter_id is not None and outcome.get("status") == "confirmed":
            if effect:
                s.execute(sa.update(Meter).where(Meter.id == meter_id).values(**effect))
            clear_meter_alarms(s, meter_id, CONTROL_CLEARS.get(action, ()), utcnow())
    return outcome
