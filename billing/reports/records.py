"""Sales records (售电记录查询 / 购电(存款)查询 / 退费清单): one row per sale, refund and reversal.

    rows = sale_records(db, date(2026, 11, 1), date(2026, 11, 30),
                        RecordFilter(operator="cas", method="cash", kind="refund"), actor=actor)
    t = record_totals(rows)          # count and sum per kind and overall

A row carries the receipt number, time, account, customer, building, room/shop, meter(s), amount,
energy, method, reference, operator and station. Sales are purchases and bill payments, as in
the sales report (billing/reports/takings.py), so the totals of a period equal that report's: sales
= sum of the sale rows, refunds = -(sum of the refund rows), reversals = sum of the reversal
rows, net = sum of every row.

The query filters on ledger_entries.at through the ix_ledger_at index (one range scan, then
joins by primary key); the meters of the listed accounts are fetched in a second query per
1,000 accounts. 100,000 receipts of one day (and 100,000 on other days) on this 2-core shared
machine (tests/benchmarks/bench_records.py): SQLite 3.8-5.0 s, PostgreSQL 6.1 s for the whole
day, 1.5-2.2 s filtered to one operator; about half is the database, half building the rows.
Operators limited to some buildings see only those buildings' accounts (an account in no room
belongs to no building and is seen by operators with every area only), like report_money.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from billing.money import from_fen
from billing.reports.takings import SALE_KINDS, check_range
from models.accounts import Account, AccountMeter
from models.archive import Customer, Floor, Meter, Room
from models.areas import Building
from models.db import Database
from models.errors import InvalidInput, PermissionDenied
from models.ledger import LedgerEntry
from models.rights import Actor
from resources.i18n import N_, _

RECORD_KINDS: dict[str, tuple[str, ...]] = {"sale": SALE_KINDS, "refund": ("refund",), "reversal": ("reversal",)}
KIND_LABELS = {"sale": N_("Sale"), "refund": N_("Refund"), "reversal": N_("Reversal")}
_KIND_OF = {k: name for name, kinds in RECORD_KINDS.items() for k in kinds}
_CHUNK = 1000


@dataclass(frozen=True)
class RecordFilter:
    building_id: int | None = None
    floor_id: int | None = None
    customer: str = ""           # part of the customer's name (or phone)
    account: str = ""            # account number, exactly
    operator: str = ""           # operator login, exactly
    method: str = ""             # cash card wechat alipay transfer
    kind: str = ""               # sale | refund | reversal

    def describe(self, names: dict[str, str] | None = None) -> list[tuple[str, str]]:
        """The filters set, as (label msgid, value) pairs for a report header."""
        from billing.sales import METHODS

        names = names or {}
        out = []
        if self.building_id is not None:
            out.append((N_("Building"), names.get("building", str(self.building_id))))
        if self.floor_id is not None:
            out.append((N_("Floor"), names.get("floor", str(self.floor_id))))
        for label, value in ((N_("Customer"), self.customer), (N_("Account"), self.account),
                             (N_("Operator"), self.operator)):
            if value:
                out.append((label, value))
        if self.method:
            out.append((N_("Payment method"), _(METHODS.get(self.method, self.method))))
        if self.kind:
            out.append((N_("Kind"), _(KIND_LABELS.get(self.kind, self.kind))))
        return out


@dataclass(frozen=True, slots=True)
class RecordRow:
    receipt_no: str
    at: datetime
    kind: str                    # sale | refund | reversal
    entry_kind: str              # purchase | bill_payment | refund | reversal
    account: str
    customer: str
    building: str
    room: str                    # "1F 101 name"
    meters: str                  # the entry's meter, else the account's meters at query time
    amount: Decimal              # as posted: sales +, refunds -, reversals opposite to their original
    energy: Decimal | None       # kWh
    method: str
    reference: str
    operator: str
    station: str
    original_receipt: str        # the reversed receipt of a reversal


@dataclass(frozen=True)
class RecordTotals:
    by_kind: dict[str, tuple[int, Decimal]]    # kind -> (count, sum as posted)
    count: int
    net: Decimal

    @property
    def sales(self) -> Decimal:
        return self.by_kind["sale"][1]

    @property
    def refunds(self) -> Decimal:                # positive: money paid back
        return -self.by_kind["refund"][1]

    @property
    def reversals(self) -> Decimal:
        return self.by_kind["reversal"][1]


def _check(f: RecordFilter) -> None:
    from billing.sales import METHODS

    if f.kind and f.kind not in RECORD_KINDS:
        raise InvalidInput(_("Unknown kind {kind}; choose one of {choices}").format(
            kind=f.kind, choices=", ".join(RECORD_KINDS)))
    if f.method and f.method not in METHODS:
        raise InvalidInput(_("Unknown payment method {method}; choose one of {choices}").format(
            method=f.method, choices=", ".join(METHODS)))


def _query(start: date, end: date, f: RecordFilter, actor: Actor) -> sa.Select[Any]:
    _check(f)
    lo, hi = check_range(start, end, actor)
    e = LedgerEntry
    orig = sa.orm.aliased(LedgerEntry)
    om = sa.orm.aliased(Meter)
    kinds = RECORD_KINDS[f.kind] if f.kind else tuple(_KIND_OF)
    columns: tuple[Any, ...] = (e.receipt_no, e.at, e.kind, e.amount_fen, e.energy_milli, e.method, e.reference,
                                e.operator, e.station, e.account_id, Account.number, Customer.name, Building.name,
                                Floor.name, Room.number, Room.name, om.number, orig.receipt_no)
    q = (sa.select(*columns)
         .join(Account, Account.id == e.account_id).join(Customer, Customer.id == Account.customer_id)
         .outerjoin(Room, Room.id == Account.room_id).outerjoin(Floor, Floor.id == Room.floor_id)
         .outerjoin(Building, Building.id == Floor.building_id)
         .outerjoin(om, om.id == e.meter_id).outerjoin(orig, orig.id == e.reverses_id)
         .where(e.at >= lo, e.at < hi, e.kind.in_(kinds)).order_by(e.at, e.id))
    visible = actor.visible_buildings()
    if visible is not None:
        q = q.where(Building.id.in_(sorted(visible) or [-1]))
    if f.building_id is not None:
        q = q.where(Building.id == f.building_id)
    if f.floor_id is not None:
        q = q.where(Floor.id == f.floor_id)
    if f.account:
        q = q.where(Account.number == f.account.strip())
    if f.operator:
        q = q.where(e.operator == f.operator.strip())
    if f.method:
        q = q.where(e.method == f.method)
    if f.customer.strip():
        like = "%" + f.customer.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        q = q.where(sa.or_(Customer.name.like(like, escape="\\"), Customer.phone.like(like, escape="\\")))
    return q


def _rows(raw: Sequence[Any], meters: dict[int, str],
          rooms: dict[tuple[str | None, str | None, str | None], str]) -> Iterator[RecordRow]:
    for (no, at, kind, fen, milli, method, ref, op, station, acc_id, acc, cust, bname, fname, rnum, rname,
         meter, orig_no) in raw:
        room = rooms.get((fname, rnum, rname))
        if room is None:
            room = rooms[(fname, rnum, rname)] = " ".join(p for p in (fname, rnum, rname) if p)
        yield RecordRow(no or "", at, _KIND_OF[kind], kind, acc, cust, bname or "", room,
                        meter or meters.get(acc_id, ""), Decimal(fen).scaleb(-2),
                        None if milli is None else Decimal(milli).scaleb(-3), method or "", ref or "", op,
                        station or "", orig_no or "")


def sale_records(db: Database, start: date, end: date, filters: RecordFilter | None = None, *,
                 actor: Actor) -> list[RecordRow]:
    """Sales, refunds and reversals posted on local days start..end, oldest first."""
    q = _query(start, end, filters or RecordFilter(), actor)
    with db.read() as s:
        raw = s.execute(q).all()
        meters = _account_meters(s, {r[9] for r in raw if r[16] is None})
    return list(_rows(raw, meters, {}))


def iter_sale_records(s: Session, start: date, end: date, filters: RecordFilter | None = None, *,
                      actor: Actor, batch: int = 2000) -> Iterator[RecordRow]:
    """sale_records() as a stream inside the caller's read transaction, for exports: rows from
    the cursor `batch` at a time (a server-side cursor on PostgreSQL), the bound meters of each
    batch's accounts looked up per batch, so a year of receipts keeps memory flat."""
    q = _query(start, end, filters or RecordFilter(), actor)
    rooms: dict[tuple[str | None, str | None, str | None], str] = {}     # one per room: bounded by the archive
    with s.connection().execute(q, execution_options={"yield_per": batch}) as result:
        for part in result.partitions():
            yield from _rows(part, _account_meters(s, {r[9] for r in part if r[16] is None}), rooms)


def _account_meters(s: Session, account_ids: set[int]) -> dict[int, str]:
    """account id -> its bound meters' numbers ("A, B"), the open bindings, by meter number."""
    ids = sorted(account_ids)
    found: dict[int, list[str]] = {}
    for i in range(0, len(ids), _CHUNK):
        q = (sa.select(AccountMeter.account_id, Meter.number).join(Meter, Meter.id == AccountMeter.meter_id)
             .where(AccountMeter.account_id.in_(ids[i:i + _CHUNK]), AccountMeter.closed_at.is_(None))
             .order_by(AccountMeter.account_id, Meter.number))
        for acc, number in s.execute(q):
            found.setdefault(acc, []).append(number)
    return {k: ", ".join(v) for k, v in found.items()}


class RecordTally:
    """Counts and sums per kind of rows as they pass (a streamed export's totals)."""

    def __init__(self) -> None:
        self.acc = {k: [0, 0] for k in RECORD_KINDS}

    def add(self, r: RecordRow) -> None:
        a = self.acc[r.kind]
        a[0] += 1
        a[1] += int(r.amount.scaleb(2))

    def counting(self, rows: Iterable[RecordRow]) -> Iterator[RecordRow]:
        for r in rows:
            self.add(r)
            yield r

    def totals(self) -> RecordTotals:
        acc = self.acc
        by_kind = {k: (n, from_fen(fen)) for k, (n, fen) in acc.items()}
        return RecordTotals(by_kind, sum(n for n, _f in acc.values()), from_fen(sum(f for _n, f in acc.values())))


def record_totals(rows: Iterable[RecordRow]) -> RecordTotals:
    tally = RecordTally()
    for r in rows:
        tally.add(r)
    return tally.totals()


def totals_lines(t: RecordTotals) -> list[str]:
    """The totals in words, one line per kind and the overall line (report headers, status bars)."""
    out = [_("{kind}: {count} records, ¥{amount}").format(kind=_(KIND_LABELS[k]), count=n, amount=f"{v:,.2f}")
           for k, (n, v) in t.by_kind.items()]
    out.append(_("Total: {count} records, net ¥{amount}").format(count=t.count, amount=f"{t.net:,.2f}"))
    return out


def places(db: Database, actor: Actor) -> list[tuple[str, int, int | None]]:
    """(label, building id, floor id or None) of the buildings and floors the actor may see, for a
    filter list: each building, then its floors as "building / floor". Without an operator: refused."""
    if not isinstance(actor, Actor):
        raise PermissionDenied(_("This needs a logged-in operator"))
    visible = actor.visible_buildings()
    q = (sa.select(Building.id, Building.name, Floor.id, Floor.name).outerjoin(Floor, Floor.building_id == Building.id)
         .order_by(Building.name, Building.id, Floor.level, Floor.name))
    if visible is not None:
        q = q.where(Building.id.in_(sorted(visible) or [-1]))
    out: list[tuple[str, int, int | None]] = []
    seen: set[int] = set()
    with db.read() as s:
        for b_id, b_name, f_id, f_name in s.execute(q):
            if b_id not in seen:
                seen.add(b_id)
                out.append((b_name, b_id, None))
            if f_id is not None:
                out.append((f"{b_name} / {f_name}", b_id, f_id))
    return out
