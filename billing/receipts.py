"""Receipt numbers and the printable snapshot of each receipt; reprints.

A number comes from the gapless 'receipt' counter in the same transaction as the entry it
belongs to: if the sale rolls back, so does the number (never skipped, never reused). The
Receipt row keeps the snapshot that was printed (payload), so a reprint prints the same receipt
marked as a copy and takes no new number (Receipt.reprints += 1, logged).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from billing.ledger import Numbered
from billing.lookup import account_building, active_bindings
from billing.money import from_fen
from billing.tariffs.plan_store import plan_rows
from models import ledger_daily, station_time
from models.accounts import Account, AccountMeter
from models.archive import Customer, Floor, Meter, Room
from models.areas import Building
from models.audit import audited, record
from models.base import table, utcnow
from models.counters import next_value
from models.db import Database, retrying
from models.errors import NotFound
from models.ledger import LedgerEntry, Receipt
from models.rights import Actor
from resources.i18n import _

if TYPE_CHECKING:
    from printing.receipt import ReceiptData


# post(receipt_no=NEXT): the ledger takes the entry's number from the 'receipt' counter itself
# (in the entry's own statement on PostgreSQL), written as format_number writes it
NEXT = Numbered("receipt", 8)


def format_number(value: int) -> str:
    return NEXT.format(value)


def next_receipt_number(session: Session) -> str:
    return format_number(next_value(session, "receipt"))


@dataclass(frozen=True)
class ReceiptInfo:
    number: str
    kind: str
    payload: dict[str, Any]
    reprints: int = 0


def _tariff(session: Session, account: Account) -> dict[str, Any]:
    """The account's tariff name and, when the version in force has one flat price, that price
    (from the rows the sale was priced with when they are at hand: billing.tariffs.plan_store.plan_rows)."""
    if account.tariff_plan_id is None:
        return {}
    rows = plan_rows(session, account.tariff_plan_id)
    now = utcnow()
    name, versions = rows if rows is not None else ("", [])
    in_force = [body for at, body in versions if at <= now]
    version = json.loads(in_force[-1]) if in_force else {}
    flat = version.get("kind") == "flat" and version.get("price") is not None
    return {"tariff": name, "unit_price": str(version["price"]) if flat else None}


_HEADER_NO_METERS = (sa.select(Customer.name, Room.number, Building.name, sa.null(), sa.null())
                     .select_from(Account).outerjoin(Customer, Customer.id == Account.customer_id)
                     .outerjoin(Room, Room.id == Account.room_id).outerjoin(Floor, Floor.id == Room.floor_id)
                     .outerjoin(Building, Building.id == Floor.building_id)
                     .where(Account.id == sa.bindparam("account")))
_HEADER = (sa.select(Customer.name, Room.number, Building.name, Meter.id, Meter.number)
           .select_from(Account).outerjoin(Customer, Customer.id == Account.customer_id)
           .outerjoin(Room, Room.id == Account.room_id).outerjoin(Floor, Floor.id == Room.floor_id)
           .outerjoin(Building, Building.id == Floor.building_id)
           .outerjoin(Meter, Meter.id.in_(sa.bindparam("ids", expanding=True)))
           .where(Account.id == sa.bindparam("account")))


def _header(session: Session, account: Account, bindings: list[AccountMeter] | None = None) -> dict[str, Any]:
    """The account's customer, place and meters: one query (the bound meters joined in)."""
    if bindings is None:
        bindings = active_bindings(session, account.id)
    ids = [b.meter_id for b in bindings]
    rows = (session.execute(_HEADER, {"account": account.id, "ids": ids}) if ids else
            session.execute(_HEADER_NO_METERS, {"account": account.id})).all()
    customer, room, building = rows[0][:3]
    numbers = {r[3]: r[4] for r in rows if r[3] is not None}
    return {"account": account.number, "customer": customer or "",
            "building": building or "",
            "room": room or "", "meters": [numbers[i] for i in ids if i in numbers],
            **_tariff(session, account)}


def header_of(session: Session, account: Account, place: dict[str, str], meters: list[str]) -> dict[str, Any]:
    """_header from what the caller already read: `place` (customer, room, building) and the
    numbers of the account's active meters in binding order (billing/sale_reads.py)."""
    return {"account": account.number, "customer": place["customer"], "building": place["building"],
            "room": place["room"], "meters": list(meters), **_tariff(session, account)}


def header(session: Session, account: Account, bindings: list[AccountMeter] | None = None) -> dict[str, Any]:
    """What every receipt of the account prints at the top (customer, place, meters, tariff):
    for row(head=...) when many receipts of one account are made at once."""
    return _header(session, account, bindings)


def row(session: Session, account: Account, entry: LedgerEntry | None, kind: str, number: str,
        *, amount_fen: int, energy: Decimal | None = None, original: str = "", actor: Actor | None = None,
        bindings: list[AccountMeter] | None = None, head: dict[str, Any] | None = None,
        balance_fen: int | None = None) -> dict[str, Any]:
    """The receipts row of `number`: its columns with the printed snapshot (payload). `head`:
    header(account) when already made; `balance_fen`: the balance printed (default: the
    account's balance now, which is the one after `entry` when it was just posted)."""
    payload = dict(head if head is not None else _header(session, account, bindings), kind=kind, receipt_no=number,
                   printed_at=(entry.at if entry else utcnow()).isoformat(),
                   operator=entry.operator if entry else (actor.name if actor else ""),
                   amount=str(from_fen(amount_fen)),
                   balance_after=str(from_fen(account.balance_fen if balance_fen is None else balance_fen)),
                   method=entry.method if entry else "", reference=entry.reference if entry else "",
                   station=entry.station if entry else (actor.station if actor else ""),
                   energy=None if energy is None else str(energy), original_receipt_no=original)
    return {"number": number, "kind": kind, "account_id": account.id, "entry_id": entry.id if entry else None,
            "issued_at": utcnow(), "operator": payload["operator"], "reprints": 0,
            "payload": json.dumps(payload, ensure_ascii=False)}


def issue(session: Session, account: Account, entry: LedgerEntry | None, kind: str, number: str,
          *, amount_fen: int, energy: Decimal | None = None, original: str = "",
          actor: Actor | None = None, bindings: list[AccountMeter] | None = None) -> Receipt:
    """Store the receipt `number` (already taken in this transaction) with its snapshot, as a
    pending ORM object (written at the next flush; the caller may still change it).
    `bindings`: the account's active meter bindings when the caller already read them."""
    receipt = Receipt(**row(session, account, entry, kind, number, amount_fen=amount_fen, energy=energy,
                            original=original, actor=actor, bindings=bindings))
    session.add(receipt)
    return receipt


_INSERT_RECEIPT = sa.insert(table(Receipt))


def insert(session: Session, account: Account, entry: LedgerEntry | None, kind: str, number: str,
           *, amount_fen: int, energy: Decimal | None = None, original: str = "",
           actor: Actor | None = None, bindings: list[AccountMeter] | None = None,
           header: dict[str, Any] | None = None, count_daily: bool = False) -> None:
    """issue() written at once with one Core INSERT (no unit of work): the counter's path.
    `header`: header_of() when the caller already read the account's place and meters.
    `count_daily` (PostgreSQL, `entry` posted in this transaction, outside a savepoint): the
    entry's daily total (models/ledger_daily.py) is added by the same statement (a CTE), not at
    commit — one round trip less, the same lock order (the receipt's counter before the daily
    row, both before the log's)."""
    values = row(session, account, entry, kind, number, amount_fen=amount_fen, energy=energy, original=original,
                 actor=actor, bindings=bindings, head=header)
    conn = session.connection()
    if count_daily and entry is not None and conn.dialect.name == "postgresql" \
            and session.get_nested_transaction() is None:
        conn.execute(_insert_counting(), {**values, **ledger_daily.counted_now(session, entry)})
        return
    conn.execute(_INSERT_RECEIPT, values)


_COUNTING: list[Any] = []


def _insert_counting() -> Any:
    """PostgreSQL: WITH daily AS (INSERT INTO ledger_daily ... ON CONFLICT DO UPDATE ...)
    INSERT INTO receipts ... (built once)."""
    if not _COUNTING:
        t = table(Receipt)
        _COUNTING.append(sa.insert(t).values({c.name: sa.bindparam(c.name, type_=c.type) for c in t.c
                                              if c.name != "id"})
                         .add_cte(ledger_daily.upsert_cte()))
    return _COUNTING[0]


def receipt_data(payload: dict[str, Any], *, copy: bool = False, company: str = "") -> ReceiptData:
    """printing.receipt.ReceiptData from a stored snapshot."""
    from printing.receipt import ReceiptData

    return ReceiptData(
        kind=payload["kind"], receipt_no=payload["receipt_no"],
        printed_at=station_time.local(datetime.fromisoformat(payload["printed_at"])),
        operator=payload.get("operator", ""), amount=Decimal(payload["amount"]),
        balance_after=Decimal(payload["balance_after"]),
        payment_method=payload.get("method") or "cash", company=company,
        station=payload.get("station", ""), customer=payload.get("customer", ""),
        account=payload.get("account", ""), building=payload.get("building", ""),
        unit_price=Decimal(payload["unit_price"]) if payload.get("unit_price") else None,
        tariff=payload.get("tariff", ""), room=payload.get("room", ""), meter_numbers=list(payload.get("meters", [])),
        reference=payload.get("reference", ""),
        energy=Decimal(payload["energy"]) if payload.get("energy") else None,
        original_receipt_no=payload.get("original_receipt_no", ""), is_copy=copy)


def load(db: Database, number: str) -> ReceiptInfo:
    with db.read() as s:
        r = s.execute(sa.select(Receipt).where(Receipt.number == number.strip())).scalar_one_or_none()
        if r is None:
            raise NotFound(_("There is no receipt {number}").format(number=number))
        return ReceiptInfo(r.number, r.kind, json.loads(r.payload), r.reprints)


@retrying
def reprint(db: Database, actor: Actor, number: str) -> ReceiptInfo:
    """Count and log a reprint; the same number and snapshot come back (print it as a copy)."""
    with audited(db, actor, "receipt.reprint", number) as s:
        actor.require("sell")
        r = s.execute(sa.select(Receipt).where(Receipt.number == number.strip())
                      .with_for_update()).scalar_one_or_none()
        if r is None:
            raise NotFound(_("There is no receipt {number}").format(number=number))
        account = s.get(Account, r.account_id)
        actor.require("sell", account_building(s, account) if account is not None else None)
        r.reprints += 1
        record(s, actor, "receipt.reprint", r.number, {"reprints": r.reprints})
        return ReceiptInfo(r.number, r.kind, json.loads(r.payload), r.reprints)


def write_pdf(db: Database, info: ReceiptInfo, path: str, *, copy: bool = False) -> None:
    """Render the receipt with the stored layout settings into path (atomic write)."""
    from models import settings
    from models.receipt_layout import stored_layout
    from printing.receipt import write_receipt_pdf

    company = str(settings.get(db, "company.name") or "")
    layout = stored_layout(str(settings.get(db, "receipt.paper")), company,
                           str(settings.get(db, "receipt.layout") or ""))
    write_receipt_pdf(path, receipt_data(info.payload, copy=copy, company=company), layout)
