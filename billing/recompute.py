"""Correcting charges made by the old tiered pricing (issue 14): an account's settled consumption
spans of a period are priced again by the corrected engine (billing/span_charges.py) and the
difference is posted as ONE 'adjustment' entry per account; entries are never edited.

    rows = recompute(db, actor, date(2027, 3, 1), date(2027, 3, 31), dry_run=True)  # what it would post
    rows = recompute(db, actor, date(2027, 3, 1), date(2027, 3, 31))                # posts

Spans: every 'consumption' entry of the account posted on local days first..last is a span of
its meter ending at the entry's time. Its consumption is the entry's energy; it began when the
meter was last settled: the latest unflagged reading of that meter before the entry whose value is
the span's starting reading (period_key "m<meter>:<from>-<to>"), else the meter's previous
consumption entry, else one second before (as settlement treats clock trouble). The spans are
replayed in the order they were posted from an empty state at the start of the tier cycle running
on `first` (entries before `first` in that cycle only build the state). Postpaid 'bill' entries are
not recomputed.

The adjustment is (what was charged) - (what the corrected engine charges): negative when the
account was undercharged (a debit, subsidy money first like any charge), positive when overcharged.
Its period_key "recompute:<first>:<last>" makes a second run of the same period post nothing; an
earlier adjustment of a period inside this one is counted as already corrected, and one that
overlaps it only in part is refused. Right: 'reverse' (correcting posted money), for the dry run
too; each account's adjustment is written to the operation log.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from billing.ledger import lock_account, post, split_debit
from billing.lookup import account_building, find_account
from billing.money import from_fen, to_fen
from billing.pricing import account_plan
from billing.span_charges import CycleState, charge_span, cycle_start_of
from billing.units import from_milli
from models import station_time
from models.accounts import Account
from models.archive import Reading
from models.audit import audited, record
from models.db import Database, retrying
from models.errors import InvalidInput
from models.ledger import LedgerEntry
from models.rights import Actor
from resources.i18n import _

RIGHT = "reverse"
_SPAN_KEY = re.compile(r"^m(\d+):(\d+)-(\d+)$")
_ADJ_KEY = re.compile(r"^recompute:(\d{4}-\d\d-\d\d):(\d{4}-\d\d-\d\d)$")


@dataclass(frozen=True)
class Correction:
    account: str
    spans: int
    charged: Decimal          # what the period's consumption entries charged
    recomputed: Decimal       # what the corrected engine charges for them
    corrected_before: Decimal  # earlier adjustments of periods inside this one (charged more: +)
    difference: Decimal       # still to charge (+) or to give back (-)
    status: str               # posted | would-post | nothing | already-adjusted | no-tariff
    entry_id: int | None = None

    def to_json(self) -> dict[str, object]:
        return {"account": self.account, "spans": self.spans, "charged": str(self.charged),
                "recomputed": str(self.recomputed), "corrected_before": str(self.corrected_before),
                "difference": str(self.difference), "status": self.status, "entry": self.entry_id}


def _utc(day: date) -> datetime:
    return station_time.at(day, time())


def _local(when: datetime) -> datetime:
    return station_time.wall(when)


def period_key(first: date, last: date) -> str:
    return f"recompute:{first.isoformat()}:{last.isoformat()}"


class _Starts:
    """When each span began: readings of the account's meters loaded once per meter, in time order."""

    def __init__(self, s: Session, since: datetime, until: datetime) -> None:
        self.s, self.since, self.until = s, since, until
        self.readings: dict[int, list[tuple[datetime, int]]] = {}
        self.previous: dict[int | None, datetime] = {}

    def _of(self, meter_id: int) -> list[tuple[datetime, int]]:
        if meter_id not in self.readings:
            self.readings[meter_id] = [(at, milli) for at, milli in self.s.execute(
                sa.select(Reading.at, Reading.energy_milli).where(
                    Reading.meter_id == meter_id, Reading.flag == "", Reading.at >= self.since,
                    Reading.at < self.until).order_by(Reading.at, Reading.id))]
        return self.readings[meter_id]

    def start_of(self, entry: LedgerEntry) -> datetime:
        found = _SPAN_KEY.match(entry.period_key or "")
        start = None
        if found and int(found.group(1)) == entry.meter_id:
            want, rows = int(found.group(2)), self._of(entry.meter_id)
            i = bisect.bisect_left(rows, (entry.at,)) - 1          # readings before the entry
            while i >= 0 and rows[i][1] >= want:
                if rows[i][1] == want:
                    start = rows[i][0]
                    break
                i -= 1
            if start is None:                                      # older than what was loaded
                start = self.s.scalar(sa.select(sa.func.max(Reading.at)).where(
                    Reading.meter_id == entry.meter_id, Reading.flag == "", Reading.at < entry.at,
                    Reading.energy_milli == want))
        start = start or self.previous.get(entry.meter_id) or entry.at - timedelta(seconds=1)
        self.previous[entry.meter_id] = entry.at
        return start if start < entry.at else entry.at - timedelta(seconds=1)


def _prior_adjustments(s: Session, account: Account, start: date, end: date) -> tuple[int, bool]:
    """(fen of earlier adjustments inside [start, end), whether this very period was adjusted)."""
    inside, same = 0, False
    rows = s.execute(sa.select(LedgerEntry.amount_fen, LedgerEntry.period_key).where(
        LedgerEntry.account_id == account.id, LedgerEntry.kind == "adjustment")).all()
    for fen, key in rows:
        found = _ADJ_KEY.match(key or "")
        if not found:
            continue
        a, b = date.fromisoformat(found.group(1)), date.fromisoformat(found.group(2)) + timedelta(days=1)
        if (a, b) == (start, end):
            same = True
        elif start <= a and b <= end:
            inside += fen
        elif a < end and start < b:
            raise InvalidInput(_("Account {account} was already adjusted for {a} to {b}, which overlaps "
                                 "{start} to {end} only in part; choose a period that contains it or "
                                 "lies outside it").format(account=account.number, a=a, b=b - timedelta(days=1),
                                                           start=start, end=end - timedelta(days=1)))
    return inside, same


def _recompute_account(s: Session, account: Account, start: date, end: date) -> tuple[int, int, int]:
    """(spans in the period, fen they charged, fen the corrected engine charges for them)."""
    plan = account_plan(s, account)
    assert plan is not None
    lo = station_time.utc(cycle_start_of(plan, datetime.combine(start, time())))
    first, hi = _utc(start), _utc(end)
    rows = s.execute(sa.select(LedgerEntry).where(
        LedgerEntry.account_id == account.id, LedgerEntry.kind == "consumption",
        LedgerEntry.at >= lo, LedgerEntry.at < hi).order_by(LedgerEntry.id)).scalars().all()
    states: dict[datetime, CycleState] = {}
    starts = _Starts(s, lo - timedelta(days=62), hi)
    spans = charged = recomputed = 0
    for e in rows:
        since = starts.start_of(e)
        if e.energy_milli is None:
            continue
        charge = charge_span(plan, _local(since), _local(e.at), from_milli(e.energy_milli), states.get)
        for part in charge.parts:
            states[part.after.start] = part.after
        if e.at >= first:
            spans, charged, recomputed = spans + 1, charged - e.amount_fen, recomputed + to_fen(charge.amount)
    return spans, charged, recomputed


@retrying
def recompute(db: Database, actor: Actor, first: date, last: date, *, account: str | None = None,
              dry_run: bool = False) -> list[Correction]:
    """Recompute local days first..last and (unless dry_run) post one adjustment per account."""
    if last < first:
        raise InvalidInput(_("The period ends ({last}) before it starts ({first})").format(last=last, first=first))
    station_time.day_start(first), station_time.day_end(last)     # a typed date beyond the calendar: refused
    key, start, end = period_key(first, last), first, last + timedelta(days=1)
    with audited(db, actor, "recompute", account or key) as s:
        actor.require(RIGHT)                     # first: a refusal says nothing of what exists
        if account is not None:
            ids = [find_account(s, account).id]
        else:
            ids = list(s.execute(sa.select(LedgerEntry.account_id).distinct().where(
                LedgerEntry.kind == "consumption", LedgerEntry.at >= _utc(start),
                LedgerEntry.at < _utc(end)).order_by(LedgerEntry.account_id)).scalars())
        out = []
        for account_id in sorted(ids):
            acc = s.get_one(Account, account_id) if dry_run else lock_account(s, account_id)
            actor.require(RIGHT, account_building(s, acc))
            out.append(_correct(s, actor, acc, start, end, key, dry_run))
        if not dry_run and any(c.status == "posted" for c in out):
            record(s, actor, "recompute", key, {"accounts": [c.to_json() for c in out if c.status == "posted"]})
        return out


def _correct(s: Session, actor: Actor, acc: Account, start: date, end: date, key: str,
             dry_run: bool) -> Correction:
    if account_plan(s, acc) is None:
        return Correction(acc.number, 0, Decimal("0.00"), Decimal("0.00"), Decimal("0.00"),
                          Decimal("0.00"), "no-tariff")
    inside, same = _prior_adjustments(s, acc, start, end)
    spans, charged, recomputed = _recompute_account(s, acc, start, end)
    diff = 0 if same else recomputed - charged + inside      # inside: + when it gave back
    status = "already-adjusted" if same else "nothing" if diff == 0 else "would-post" if dry_run else "posted"
    entry_id = None
    if status == "posted":
        entry = post(s, acc, "adjustment", -diff, subsidy_fen=-split_debit(acc, diff) if diff > 0 else 0,
                     actor=actor, period_key=key,
                     reference=f"{spans} spans {key}",
                     note=_("Tiered pricing recomputed: charged {charged}, should be {recomputed}")
                     .format(charged=from_fen(charged), recomputed=from_fen(recomputed)))
        entry_id = entry.id
        record(s, actor, "adjustment", acc.number,
               {"period": key, "spans": spans, "charged": str(from_fen(charged)),
                "recomputed": str(from_fen(recomputed)), "corrected_before": str(from_fen(-inside)),
                "amount": str(from_fen(-diff)), "balance": str(from_fen(acc.balance_fen))})
    return Correction(acc.number, spans, from_fen(charged), from_fen(recomputed), from_fen(-inside),
                      from_fen(diff), status, entry_id)
