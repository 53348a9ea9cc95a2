"""Postpaid bills as documents: what a bill says, gathered from what was stored when it was posted.

    doc = gather(session, account, "2026-10")     # None when the account has no bill for that month
    doc.amount_due, doc.meters[0].lines, doc.to_json()

A bill is the 'bill' ledger entries of an account whose period_key is "<month>/m<meter>"
(billing/postpaid.py: one per meter). Everything on the document comes from stored, never-edited
data, so a reprint prints the same bill: the entries (amount, energy, time, balance after), the
meter readings, and the span each entry charged. The span (from which reading and time) is in
the 'bill' row of the operation log that postpaid.bill_account writes; for bills posted without
it (older stations, the demo) it is rebuilt from the readings and the previous charge.

The consumption by tier / time-of-use rate is the tariff engine's own breakdown
(billing.span_charges.charge_span, as billing.pricing.price_interval calls it for a reading
span, from the cycle's state before the span taken from the ledger) under the plan the bill was priced with. The
engine's lines are exact fractions;
they are shown to the fen, split so they add up to exactly what was charged. If the engine does
not give back the charged amount (the account's pricing has changed since), the meter's charge
is shown as one line with its average price: the bill shows what was charged, never a
recomputation.

Previous balance = the balance before the month's first bill entry; amount due = what the
account owes after the bill (0 when its credit covers it, the rest carried forward).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from billing import pricing, tier_state
from billing.money import from_fen, round_to
from billing.span_charges import CycleState, charge_span
from billing.tariffs.api import RATE_LABELS, RATES, price_consumption
from billing.tariffs.plan_store import load_plan
from billing.units import from_milli
from models import station_time
from models.accounts import Account, AccountMeter
from models.archive import Customer, Meter, Reading, Room
from models.ledger import LedgerEntry
from models.oplog import OpLogEntry
from resources.i18n import N_, _

if TYPE_CHECKING:
    from printing.bill import BillData

UNITS = {"electricity": "kWh", "water": "m³", "gas": "m³", "heat": "kWh"}
KIND_LABELS = {"electricity": N_("Electricity"), "water": N_("Water"), "gas": N_("Gas"), "heat": N_("Heat")}
CHARGE_LABELS = {"electricity": N_("electricity charge"), "water": N_("water charge"), "gas": N_("gas charge"),
                 "heat": N_("heating charge")}


def bill_number(month: str, account_no: str) -> str:
    """The bill's number: one bill per account and month, so it is derived, never counted."""
    return f"B{month.replace('-', '')}-{account_no}"


@dataclass(frozen=True)
class Line:
    """One line of the charges: energy at one rate and tier, its unit price and amount (fen-exact)."""
    meter_no: str
    rate: str          # flat | sharp | peak | valley ; "" when there is no breakdown
    tier: int          # 0: untiered
    energy: Decimal
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class MeterBill:
    meter_no: str
    kind: str
    start: Decimal          # readings at the start and end of the billed span
    end: Decimal
    multiplier: int
    energy: Decimal
    since: datetime
    until: datetime
    amount: Decimal
    lines: tuple[Line, ...]
    breakdown: bool         # False: the engine's lines did not give back the charge; one line shown


@dataclass(frozen=True)
class BillDocument:
    bill_no: str
    month: str
    account: str
    customer: str
    room: str
    issued_at: datetime
    period_start: datetime
    period_end: datetime
    meters: tuple[MeterBill, ...]
    charges: Decimal
    previous_balance: Decimal      # + credit, - owed, before the bill
    balance_after: Decimal
    amount_due: Decimal
    station: str = ""
    operator: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("extra")
        plain: dict[str, Any] = json.loads(json.dumps(
            data, default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v)))
        return plain


# --- gathering -------------------------------------------------------------------------------
def bill_entries(session: Session, account_id: int, month: str) -> list[LedgerEntry]:
    return list(session.execute(sa.select(LedgerEntry).where(
        LedgerEntry.account_id == account_id, LedgerEntry.kind == "bill",
        LedgerEntry.period_key.like(f"{month}/m%")).order_by(LedgerEntry.id)).scalars())


def billed_months(session: Session, account_id: int) -> list[str]:
    keys = session.execute(sa.select(LedgerEntry.period_key).where(
        LedgerEntry.account_id == account_id, LedgerEntry.kind == "bill",
        LedgerEntry.period_key.like("____-__/m%"))).scalars()
    return sorted({k.split("/", 1)[0] for k in keys if k}, reverse=True)


def _logged_spans(session: Session, account: Account, month: str) -> dict[str, dict[str, Any]]:
    """The spans postpaid.bill_account logged for this account and month (meter number -> span)."""
    rows = session.execute(sa.select(OpLogEntry.details).where(
        OpLogEntry.action == "bill", OpLogEntry.target == account.number).order_by(OpLogEntry.seq)).scalars()
    for raw in rows:
        try:
            details = json.loads(raw or "{}")
        except ValueError:
            continue
        spans = details.get("month") == month and details.get("spans")
        if isinstance(spans, dict):
            return spans
    return {}


def _rebuilt_span(session: Session, account: Account, entry: LedgerEntry, meter: Meter) -> dict[str, Any]:
    """The span of a bill entry without a logged one: end = the reading stored with the bill,
    start = end - energy / multiplier, since = the previous charge of that meter (or its binding)."""
    end = session.execute(sa.select(Reading.energy_milli).where(
        Reading.meter_id == meter.id, Reading.at == entry.at).order_by(Reading.id.desc()).limit(1)).scalar()
    ct = max(meter.ct_ratio or 1, 1)
    energy = entry.energy_milli or 0
    if end is None:
        end = energy // ct
    prev = session.execute(sa.select(sa.func.max(LedgerEntry.at)).where(
        LedgerEntry.account_id == account.id, LedgerEntry.meter_id == meter.id,
        LedgerEntry.kind.in_(("consumption", "bill")), LedgerEntry.at < entry.at)).scalar()
    opened = session.execute(sa.select(sa.func.max(AccountMeter.opened_at)).where(
        AccountMeter.account_id == account.id, AccountMeter.meter_id == meter.id,
        AccountMeter.opened_at <= entry.at)).scalar()
    since = max((t for t in (prev, opened) if t is not None), default=entry.at - timedelta(days=30))
    return {"since": since.isoformat(), "from": end - energy // ct, "to": end, "ct": ct, "plan": None}


def _split_fen(amounts: list[Fraction], total_fen: int) -> list[int]:
    """Exact amounts (yuan) in whole fen adding up to total_fen (largest remainder)."""
    exact = [a * 100 for a in amounts]
    base = [int(e.numerator // e.denominator) for e in exact]
    left = total_fen - sum(base)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - base[i]), i))
    for i in order[:max(left, 0)]:
        base[i] += 1
    return base


def _quote(session: Session, account: Account, meter_no: str, span: dict[str, Any], until: datetime,
           energy_milli: int, fen: int, states: dict[datetime, CycleState]) -> tuple[tuple[Line, ...], bool]:
    """The engine's breakdown of the span as price_interval priced it (billing/span_charges.py: the
    span cut at cycle starts, each part priced from its cycle's state before it), or one line if it
    disagrees with what was charged by a fen or more. `states` carries the cycle states from one
    meter of the bill to the next (they were charged in that order)."""
    energy = from_milli(energy_milli)
    since = datetime.fromisoformat(span["since"])
    try:
        plan = (load_plan(session, int(span["plan"])) if span.get("plan")
                else pricing.account_plan(session, account, required=True))
        if until <= since:
            since = until - timedelta(seconds=1)
        lstart, lend = station_time.wall(since), station_time.wall(until)

        def state_of(cycle: datetime) -> CycleState | None:
            if cycle not in states:
                found = tier_state.ledger_state(session, account, cycle, since)
                states[cycle] = found or CycleState(cycle)
            return states[cycle]

        charge = charge_span(plan, lstart, lend, energy, state_of)
        lines = [line for part in charge.parts
                 for line in price_consumption(plan, part.start, part.end, part.energy,
                                               cumulative_before=part.before.energy, cycle_open=True).lines]
        for part in charge.parts:
            states[part.after.start] = part.after
    except Exception:  # noqa: BLE001 - no plan any more, or pricing refuses: show the charge as stored
        lines = []
    exact = sum((line.amount for line in lines), Fraction(0))
    if lines and abs(exact * 100 - fen) < 1:
        merged: dict[tuple[str, int, Decimal], list[Fraction]] = {}
        for line in lines:              # a span cut at a cycle start gives the same rate/tier twice
            acc = merged.setdefault((line.rate, line.tier, line.unit_price), [Fraction(0), Fraction(0)])
            acc[0] += line.energy
            acc[1] += line.amount
        keys = list(merged)
        parts = _split_fen([merged[k][1] for k in keys], fen)
        return tuple(Line(meter_no, k[0], k[1], round_to(merged[k][0], 3), k[2], from_fen(part))
                     for k, part in zip(keys, parts, strict=True)), True
    price = round_to(Fraction(fen, 100) / Fraction(energy_milli, 1000), 4) if energy_milli else Decimal(0)
    return (Line(meter_no, "", 0, energy, price, from_fen(fen)),), False


def _meter_bill(session: Session, account: Account, entry: LedgerEntry,
                spans: dict[str, dict[str, Any]], states: dict[datetime, CycleState]) -> MeterBill:
    meter = session.get(Meter, entry.meter_id)
    assert meter is not None
    span = spans.get(meter.number) or _rebuilt_span(session, account, entry, meter)
    fen = -entry.amount_fen
    lines, exact = _quote(session, account, meter.number, span, entry.at, entry.energy_milli or 0, fen,
                          states)
    return MeterBill(meter.number, meter.kind, from_milli(int(span["from"])), from_milli(int(span["to"])),
                     int(span.get("ct") or 1), from_milli(entry.energy_milli or 0),
                     datetime.fromisoformat(span["since"]), entry.at, from_fen(fen), lines, exact)


def gather(session: Session, account: Account, month: str, *, company: str = "") -> BillDocument | None:
    """The bill of `account` for `month` from the stored entries, or None if it was not billed."""
    entries = bill_entries(session, account.id, month)
    if not entries:
        return None
    spans = _logged_spans(session, account, month)
    states: dict[datetime, CycleState] = {}
    meters = tuple(_meter_bill(session, account, e, spans, states) for e in entries)
    charged = -sum(e.amount_fen for e in entries)
    previous = entries[0].balance_after_fen - entries[0].amount_fen
    after = previous - charged
    customer = session.get(Customer, account.customer_id)
    room = session.get(Room, account.room_id) if account.room_id else None
    return BillDocument(
        bill_no=bill_number(month, account.number), month=month, account=account.number,
        customer=customer.name if customer else "", room=room.number if room else "",
        issued_at=entries[0].at, period_start=min(m.since for m in meters),
        period_end=max(m.until for m in meters), meters=meters, charges=from_fen(charged),
        previous_balance=from_fen(previous), balance_after=from_fen(after),
        amount_due=from_fen(max(-after, 0)), station=entries[0].station, operator=entries[0].operator,
        extra={"company": company})


# --- to the printed form -----------------------------------------------------------------------
def line_label(line: Line, tou: bool, kind: str = "electricity") -> str:
    """"M0001 峰 第2档": the meter, the rate when time of use is in play, the tier when tiered."""
    if not line.rate:
        return f"{line.meter_no} {_(CHARGE_LABELS.get(kind, CHARGE_LABELS['electricity']))}"
    parts = [line.meter_no]
    if tou:
        parts.append(_(RATE_LABELS.get(line.rate, line.rate)))
    if line.tier:
        parts.append(_("tier {tier}").format(tier=line.tier))
    if len(parts) == 1:
        parts.append(_(CHARGE_LABELS.get(kind, CHARGE_LABELS["electricity"])))
    return " ".join(parts)


def bill_data(doc: BillDocument, *, copy: bool = False, reprints: int = 0, company: str = "") -> BillData:
    """printing.bill.BillData of the document (a copy is marked as a reprint)."""
    from printing.bill import BillData, ChargeLine, MeterReadingLine

    unit = {m.meter_no: UNITS.get(m.kind, "kWh") for m in doc.meters}
    order = {r: i for i, r in enumerate(RATES)}
    charges = [ChargeLine(line_label(line, any(x.rate not in ("flat", "") for x in m.lines), m.kind), line.energy,
                          unit[line.meter_no], line.unit_price, line.amount)
               for m in doc.meters
               for line in sorted(m.lines, key=lambda x: (x.tier, order.get(x.rate, len(order))))]
    meters = [MeterReadingLine(m.meter_no, m.start, m.end, unit[m.meter_no], _(KIND_LABELS.get(m.kind, m.kind)),
                               Decimal(m.multiplier), m.energy) for m in doc.meters]
    adjustments: list[tuple[str, Decimal]] = []
    if doc.previous_balance < 0:
        adjustments.append((_("Previous balance owed"), -doc.previous_balance))
    elif doc.previous_balance > 0:
        adjustments.append((_("Credit brought forward"), -doc.previous_balance))
    else:
        adjustments.append((_("Previous balance"), Decimal("0.00")))
    if doc.balance_after > 0:
        adjustments.append((_("Credit carried forward"), doc.balance_after))
    return BillData(
        bill_no=doc.bill_no, issued_at=station_time.local(doc.issued_at), account_no=doc.account,
        customer=doc.customer, period_start=station_time.day_of(doc.period_start),
        period_end=station_time.day_of(doc.period_end), amount_due=doc.amount_due, charges=charges,
        meters=meters, adjustments=adjustments, company=company, room=doc.room, operator=doc.operator,
        period_label=doc.month, extra_info=[(_("Station"), doc.station)] if doc.station else [],
        copy_mark=_("[REPRINT #{n}] Copy of bill {number}").format(n=reprints, number=doc.bill_no) if copy else "")
