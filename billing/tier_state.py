"""An account's tier cycles in the database (table tier_cycles): the state that makes station-side
charges additive (billing/span_charges.py), read and moved under the account lock.

A cycle's row holds the energy charged in it so far and that energy's exact amount, as exact text
("0.125", "123457/3"); a value whose exact text is longer than the column (40 characters) is kept
rounded half-even to 12 places (a cycle only gets such values from time-proportional shares: a
span cut at a cycle start, or spread over time-of-use periods), so the carried remainder may be
off by 1e-12 yuan there — the engine alone (billing/span_charges.py) is exact.

A cycle with no row (charged before this state existed, schema 0004) is read from the ledger:
its energy is that of the 'consumption' entries from the cycle start up to AND INCLUDING the
span's start (the previous span's entry stands exactly there) and of the 'bill' entries before
it (a bill settles the month before it); its exact amount is taken as what those entries
charged, so the carried remainder starts at 0.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

import sqlalchemy as sa
from sqlalchemy.orm import Session

from billing.money import fraction_text
from billing.span_charges import CycleState
from models import station_time
from models.accounts import Account
from models.base import table, utcnow
from models.ledger import LedgerEntry, TierCycle

_WIDTH = 40
_PLACES = Decimal("1e-12")


def state_text(value: Fraction) -> str:
    """What is stored for an exact value: itself when a short decimal, else rounded to 1e-12."""
    text = fraction_text(value)
    if len(text) <= _WIDTH:
        return text
    return fraction_text(Fraction(_quantize(value)))


def _quantize(value: Fraction) -> Decimal:
    scaled = value * 10**12
    q, r = divmod(scaled.numerator, scaled.denominator)
    twice = 2 * r
    if twice > scaled.denominator or (twice == scaled.denominator and q % 2):
        q += 1
    return (Decimal(q) * _PLACES).quantize(_PLACES, rounding=ROUND_HALF_EVEN)


def _utc(local: datetime) -> datetime:
    return station_time.utc(local)


def ledger_state(session: Session, account: Account, cycle: datetime, upto: datetime) -> CycleState | None:
    """A cycle's state from its ledger entries (no row): see the module docstring."""
    e = LedgerEntry
    lo = _utc(cycle)
    row = session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(e.energy_milli), 0), sa.func.coalesce(sa.func.sum(e.amount_fen), 0),
                  sa.func.count(e.id))
        .where(e.account_id == account.id, e.at >= lo,
               sa.or_(sa.and_(e.kind == "consumption", e.at <= upto), sa.and_(e.kind == "bill", e.at < upto)))
    ).one()
    energy_milli, fen, n = row
    if not n:
        return None
    return CycleState(cycle, Fraction(int(energy_milli or 0), 1000), Fraction(-int(fen or 0), 100))


def load(session: Session, account: Account, cycle: datetime, upto: datetime) -> CycleState | None:
    """The state of the account's cycle starting at local `cycle`, as of the instant `upto` (UTC)."""
    row = session.get(TierCycle, (account.id, cycle.date()))
    if row is not None:
        return CycleState(cycle, Fraction(row.energy), Fraction(row.amount))
    return ledger_state(session, account, cycle, upto)


def save(session: Session, account: Account, state: CycleState) -> None:
    row = session.get(TierCycle, (account.id, state.start.date()))
    if row is None:
        row = TierCycle(account_id=account.id, cycle_start=state.start.date())
        session.add(row)
    row.energy, row.amount, row.updated_at = state_text(state.energy), state_text(state.amount), utcnow()


class Memory:
    """Tier cycles kept in memory and written at once (with billing.ledger.EntryBatch): load and
    save as the functions above, for price_interval / preview_in's `tiers=`. A state saved here
    reads back as the table would give it back (state_text: exact, or rounded to 1e-12 when
    longer than the column), so the charges are the ones the table would have given. A cycle not
    in memory is read with load() above: its row, else its entries in the database — the batch's
    own entries are not there yet, which is right only because every charge priced through this
    store saved the state of each cycle it touched (price_interval does)."""

    def __init__(self) -> None:
        self.states: dict[tuple[int, date], CycleState] = {}
        self.empty: set[int] = set()

    def note_empty(self, session: Session, account_ids: list[int]) -> None:
        """Find, in two queries, the accounts among these with no tier_cycles row and no
        'consumption' or 'bill' entry: load() then answers None for their cycles not in memory
        without asking the database (one round trip per cycle less, two statements each: a
        demo history opens ≈ 600). Right only while nothing else writes those accounts' rows
        in this transaction: their entries posted through an EntryBatch written at the end, as
        the states kept here are."""
        t, e = table(TierCycle), table(LedgerEntry)
        ids = sorted(set(account_ids))
        stored = {r[0] for r in session.execute(sa.select(t.c.account_id).where(t.c.account_id.in_(ids)).distinct())}
        charged = {r[0] for r in session.execute(sa.select(e.c.account_id).where(
            e.c.account_id.in_(ids), e.c.kind.in_(("consumption", "bill"))).distinct())}
        self.empty = set(ids) - stored - charged

    def load(self, session: Session, account: Account, cycle: datetime, upto: datetime) -> CycleState | None:
        key = (account.id, cycle.date())
        if key in self.states:
            return self.states[key]
        if account.id in self.empty:
            return None
        with session.no_autoflush:
            return load(session, account, cycle, upto)

    def save(self, session: Session, account: Account, state: CycleState) -> None:
        self.states[(account.id, state.start.date())] = CycleState(
            state.start, Fraction(state_text(state.energy)), Fraction(state_text(state.amount)))

    def write(self, session: Session) -> None:
        """The states kept here into the table: new rows in one INSERT, existing ones updated."""
        if not self.states:
            return
        t = table(TierCycle)
        accounts = sorted({a for a, _d in self.states})
        existing = {(r[0], r[1]) for r in session.execute(sa.select(t.c.account_id, t.c.cycle_start)
                                                          .where(t.c.account_id.in_(accounts)))}
        now = utcnow()
        rows = [{"account_id": a, "cycle_start": d, "energy": state_text(s.energy), "amount": state_text(s.amount),
                 "updated_at": now} for (a, d), s in sorted(self.states.items())]
        new = [r for r in rows if (r["account_id"], r["cycle_start"]) not in existing]
        old = [r for r in rows if (r["account_id"], r["cycle_start"]) in existing]
        conn = session.connection()
        if new:
            conn.execute(sa.insert(t), new)
        if old:
            conn.execute(sa.update(t).where(t.c.account_id == sa.bindparam("a"), t.c.cycle_start == sa.bindparam("d"))
                         .values(energy=sa.bindparam("e"), amount=sa.bindparam("m"), updated_at=sa.bindparam("u")),
                         [{"a": r["account_id"], "d": r["cycle_start"], "e": r["energy"], "m": r["amount"],
                           "u": r["updated_at"]} for r in old])
        self.states.clear()
