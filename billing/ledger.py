"""The ledger: the ONLY code that inserts LedgerEntry rows and moves an account's cached balance.

    account = lock_account(session, account_id)          # SELECT ... FOR UPDATE, fresh values
    entry = post(session, account, "purchase", 10000, actor=actor, method="cash", ...)

Both run inside the caller's transaction (one use case = one transaction with its log row).
lock_account takes the account row lock first (PostgreSQL / SQL Server: SELECT ... FOR UPDATE;
SQLite: the writer's BEGIN IMMEDIATE already serialises all writers) and re-reads the row, so
the balance a service decides on is the committed one. post() refuses an account that was not
locked in this session: a balance can only move under its lock.

Invariants kept here (and proved by tests/billing): account.balance_fen == SUM(amount_fen) and
account.subsidy_fen == SUM(subsidy_fen) over its entries; subsidy_fen never negative; every
entry records balance_after/subsidy_after. Subsidy money is spent first (split_debit).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from models import oplog
from models.accounts import Account
from models.base import table, utcnow
from models.counters import Counter, next_value
from models.errors import NotFound
from models.ledger import ENTRY_KINDS, LedgerEntry
from models.rights import Actor
from resources.i18n import _

_LOCKED = "billing.locked_accounts"


def lock_account(session: Session, account_id: int) -> Account:
    """Lock the account row for the rest of the transaction and return it with fresh values."""
    account = session.execute(
        sa.select(Account).where(Account.id == account_id).with_for_update()
        .execution_options(populate_existing=True)).scalar_one_or_none()
    if account is None:
        raise NotFound(_("There is no account {account}").format(account=account_id))
    mark_locked(session, account_id)
    return account


def mark_locked(session: Session, account_id: int) -> None:
    """Note that this session's transaction holds the account's row lock (post() requires it);
    for a caller that locked the row with a statement of its own (billing/sale_reads.py)."""
    session.info.setdefault(_LOCKED, set()).add(account_id)


_BY_NUMBER_LOCKED = (sa.select(Account).where(Account.number == sa.bindparam("number")).with_for_update()
                     .execution_options(populate_existing=True))


def find_locked(session: Session, ref: str | int) -> Account:
    """The account named by `ref` (billing.lookup.find_account), locked: an account number is
    found and locked in one statement; a name or room is found first, then locked."""
    if isinstance(ref, str) and ref.strip():
        account = session.execute(_BY_NUMBER_LOCKED, {"number": ref.strip()}).scalar_one_or_none()
        if account is not None:
            mark_locked(session, account.id)
            return account
    from billing.lookup import find_account

    return lock_account(session, find_account(session, ref).id)


def lock_accounts(session: Session, account_ids: list[int]) -> dict[int, Account]:
    """Lock several accounts in id order (the one order every service uses: no deadlocks)."""
    return {i: lock_account(session, i) for i in sorted(set(account_ids))}


def split_debit(account: Account, fen: int) -> int:
    """How much of a debit of `fen` (> 0) is paid from subsidy money: subsidy is spent first."""
    return min(max(account.subsidy_fen, 0), max(fen, 0))


def paid_balance_fen(account: Account) -> int:
    """The account's own (non-subsidy) money; what may be refunded when positive."""
    return account.balance_fen - account.subsidy_fen


@dataclass(frozen=True)
class Numbered:
    """post(receipt_no=Numbered("receipt", 8)): the entry's receipt number is the next value of
    the gapless counter, written as `digits` digits (more when it grows past them) — taken by
    post itself, in the entry's own statement on PostgreSQL (billing/receipts.py: NEXT)."""
    counter: str
    digits: int

    def format(self, value: int) -> str:
        return f"{value:0{self.digits}d}"


def _entry_values(session: Session, account: Account, kind: str, amount_fen: int, *, actor: Actor,
                  subsidy_fen: int, method: str, reference: str, receipt_no: str | None,
                  reverses_id: int | None, idempotency_key: str | None, period_key: str | None,
                  shift_id: int | None, meter_id: int | None, energy_milli: int | None, note: str,
                  at: datetime | None) -> dict[str, Any]:
    """The checks of a posting and the entry's values (balances after it): post() and EntryBatch."""
    if kind not in ENTRY_KINDS:
        raise ValueError(f"unknown entry kind {kind!r}")
    for name, value in (("amount_fen", amount_fen), ("subsidy_fen", subsidy_fen)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be int fen, not {type(value).__name__}")
    if account.id not in session.info.get(_LOCKED, set()):
        raise RuntimeError("post() on an account that was not locked with lock_account()")
    balance, subsidy = account.balance_fen + amount_fen, account.subsidy_fen + subsidy_fen
    if subsidy < 0:
        raise RuntimeError(f"subsidy would go negative on account {account.number}")
    return {
        "account_id": account.id, "kind": kind, "amount_fen": amount_fen, "subsidy_fen": subsidy_fen,
        "balance_after_fen": balance, "subsidy_after_fen": subsidy, "energy_milli": energy_milli,
        "at": at or utcnow(), "operator": actor.name, "station": actor.station, "method": method,
        "reference": reference[:100], "receipt_no": receipt_no, "reverses_id": reverses_id,
        "idempotency_key": idempotency_key, "period_key": period_key, "shift_id": shift_id,
        "meter_id": meter_id, "note": note[:200]}


def post(session: Session, account: Account, kind: str, amount_fen: int, *, actor: Actor,
         subsidy_fen: int = 0, method: str = "", reference: str = "", receipt_no: str | Numbered | None = None,
         reverses_id: int | None = None, idempotency_key: str | None = None,
         period_key: str | None = None, shift_id: int | None = None, meter_id: int | None = None,
         energy_milli: int | None = None, note: str = "", at: datetime | None = None) -> LedgerEntry:
    """Insert one entry and move the cached balances by it, in the caller's transaction.
    `receipt_no`: the entry's receipt number, or Numbered to take the next one here (the
    entry's receipt_no then holds it)."""
    numbered = receipt_no if isinstance(receipt_no, Numbered) else None
    values = _entry_values(session, account, kind, amount_fen, actor=actor, subsidy_fen=subsidy_fen,
                           method=method, reference=reference,
                           receipt_no=receipt_no if not isinstance(receipt_no, Numbered) else None,
                           reverses_id=reverses_id,
                           idempotency_key=idempotency_key, period_key=period_key, shift_id=shift_id,
                           meter_id=meter_id, energy_milli=energy_milli, note=note, at=at)
    balance, subsidy = values["balance_after_fen"], values["subsidy_after_fen"]
    # Core statements, not the unit of work: whatever the caller left pending goes first (the
    # order a flush would give), then the balance (the row is locked) and the entry, whose id
    # comes back from the insert itself (RETURNING / lastrowid)
    if session.get_nested_transaction() is None:
        session.flush()
        conn = session.connection()
        moved = {"account": account.id, "balance": balance, "subsidy": subsidy}
        if conn.dialect.name == "postgresql":
            # one round trip: the receipt number (when one is taken) and the balance moved in
            # CTEs the entry's INSERT ... SELECT reads (no entry when the account's row is not
            # there: the RuntimeError below; none when the counter's row is not there yet: the
            # number is then taken as on other databases — the balance set again to the same value)
            row = None
            if numbered is not None:
                row = conn.execute(_move_and_insert(numbered=True), {
                    **values, **moved, "counter": numbered.counter, "digits": numbered.digits}).first()
                if row is not None:
                    values["receipt_no"] = row.receipt_no
                else:
                    values["receipt_no"] = numbered.format(next_value(session, numbered.counter))
            if row is None:
                row = conn.execute(_move_and_insert(), {**values, **moved}).first()
            if row is None:
                raise RuntimeError(f"the balance of account {account.id} did not move; no entry written")
            set_committed_value(account, "balance_fen", balance)
            set_committed_value(account, "subsidy_fen", subsidy)
            return _posted(session, row.id, values)
        if numbered is not None:
            values["receipt_no"] = numbered.format(next_value(session, numbered.counter))
        conn.execute(_MOVE_BALANCE, moved)
        set_committed_value(account, "balance_fen", balance)
        set_committed_value(account, "subsidy_fen", subsidy)
    else:
        # inside a savepoint the unit of work moves the balance, so that rolling the savepoint
        # back also expires the account's cached values (a Core UPDATE would leave them stale)
        account.balance_fen, account.subsidy_fen = balance, subsidy
        session.flush()
        conn = session.connection()
        if numbered is not None:
            values["receipt_no"] = numbered.format(next_value(session, numbered.counter))
    key = conn.execute(_INSERT_ENTRY, values).inserted_primary_key
    if key is None:             # a single-row INSERT always has one
        raise RuntimeError("the ledger entry INSERT returned no primary key")
    return _posted(session, key[0], values)


def _posted(session: Session, entry_id: int, values: dict[str, Any]) -> LedgerEntry:
    entry = LedgerEntry(id=entry_id, **values)
    oplog.cover_entry(session, entry)      # the log row written at commit covers it
    return entry


class EntryBatch:
    """Entries posted in memory and written at once with executemany: for generating a long
    history in one transaction (the demo's three months), where a round trip per entry is most
    of the cost. post() takes post()'s arguments and applies the same checks and arithmetic
    (_entry_values): the account's cached balances move at once (as committed values, so the
    unit of work does not write them), the entry is kept without an id. write() inserts the
    entries in posting order (ids in that order: from RETURNING, or on SQLite given after the
    largest), writes each account's final balances and hands the entries to the log
    (models/oplog.py: the newest log row of the transaction covers them, ledger_daily adds
    them), like post() does one at a time.

    Until write(), the rows in the database lag behind the accounts in memory: the caller must
    not reload the accounts (lock_account, populate_existing, expire) nor read the entries or
    balances back with queries, and must call write() before the transaction commits: a commit
    with entries still unwritten is refused (RuntimeError), so the transaction rolls back.
    Fields of a pending entry (receipt_no, say, numbered at write time) may still be set.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.entries: list[LedgerEntry] = []
        self._accounts: dict[int, Account] = {}

    def post(self, account: Account, kind: str, amount_fen: int, *, actor: Actor, subsidy_fen: int = 0,
             method: str = "", reference: str = "", receipt_no: str | None = None,
             reverses_id: int | None = None, idempotency_key: str | None = None,
             period_key: str | None = None, shift_id: int | None = None, meter_id: int | None = None,
             energy_milli: int | None = None, note: str = "", at: datetime | None = None) -> LedgerEntry:
        values = _entry_values(self.session, account, kind, amount_fen, actor=actor, subsidy_fen=subsidy_fen,
                               method=method, reference=reference, receipt_no=receipt_no,
                               reverses_id=reverses_id, idempotency_key=idempotency_key,
                               period_key=period_key, shift_id=shift_id, meter_id=meter_id,
                               energy_milli=energy_milli, note=note, at=at)
        set_committed_value(account, "balance_fen", values["balance_after_fen"])
        set_committed_value(account, "subsidy_fen", values["subsidy_after_fen"])
        entry = LedgerEntry(**values)
        self.entries.append(entry)
        self._accounts[account.id] = account
        pending: list[EntryBatch] = self.session.info.setdefault(_BATCHES, [])
        if self not in pending:
            pending.append(self)
        return entry

    def write(self) -> list[LedgerEntry]:
        """Insert the entries, move the balances, cover the entries in the log; returns them
        (with their ids). The batch is empty afterwards."""
        entries, self.entries = self.entries, []
        accounts, self._accounts = self._accounts, {}
        if not entries:
            return entries
        session = self.session
        session.flush()
        conn = session.connection()
        t = table(LedgerEntry)
        rows = [{n: getattr(e, n) for n in _ENTRY_FIELDS} for e in entries]
        if conn.dialect.name == "sqlite":
            # An INSERT ... RETURNING whose rows must come back in the parameters' order runs
            # one statement per row on SQLite (SQLAlchemy's "insertmanyvalues": no SQLite form
            # ties new rowids to that order), 4,355 for the demo's history. The ids SQLite would
            # give one by one (the largest + 1, no AUTOINCREMENT) are given here in one
            # executemany. The writer's transaction holds the write lock (BEGIN IMMEDIATE); a row
            # another connection slipped in would collide on the key, never interleave.
            first = conn.execute(sa.select(sa.func.coalesce(sa.func.max(t.c.id), 0))).scalar_one() + 1
            ids: Sequence[int] = range(first, first + len(rows))
            conn.execute(sa.insert(t), [dict(row, id=key) for row, key in zip(rows, ids, strict=True)])
        else:
            ids = conn.execute(sa.insert(t).returning(t.c.id, sort_by_parameter_order=True), rows).scalars().all()
        if len(ids) != len(entries):
            raise RuntimeError("the ledger entries' INSERT returned fewer ids than entries")
        for entry, key in zip(entries, ids, strict=True):
            entry.id = key
        conn.execute(_MOVE_BALANCE, [{"account": a.id, "balance": a.balance_fen, "subsidy": a.subsidy_fen}
                                     for a in accounts.values()])
        for entry in entries:
            oplog.cover_entry(session, entry)
        return entries


_BATCHES = "billing.entry_batches"
_ENTRY_FIELDS = ("account_id", "kind", "amount_fen", "subsidy_fen", "balance_after_fen", "subsidy_after_fen",
                 "energy_milli", "at", "operator", "station", "method", "reference", "receipt_no", "reverses_id",
                 "idempotency_key", "period_key", "shift_id", "meter_id", "note")


@sa.event.listens_for(Session, "before_commit")
def _refuse_unwritten(session: Session) -> None:
    """A transaction must not commit with balances moved by a batch whose entries are unwritten."""
    if session.get_nested_transaction() is None and any(b.entries for b in session.info.get(_BATCHES, ())):
        raise RuntimeError("commit with ledger entries of an EntryBatch not written")


_A = table(Account)
_E = table(LedgerEntry)
_MOVE_BALANCE = (sa.update(_A).where(_A.c.id == sa.bindparam("account"))
                 .values(balance_fen=sa.bindparam("balance"), subsidy_fen=sa.bindparam("subsidy")))
_INSERT_ENTRY = sa.insert(_E)
_BUILT: dict[str, Any] = {}


def _move_and_insert(*, numbered: bool = False) -> Any:
    """PostgreSQL: WITH moved AS (UPDATE accounts ... RETURNING id) INSERT INTO ledger_entries
    (...) SELECT :account_id, ... FROM moved RETURNING id, receipt_no. numbered=True: also
    WITH numbered AS (UPDATE counters SET value = value + 1 WHERE name = :counter RETURNING value),
    the receipt number lpad(value, max(:digits, its length), '0') — Numbered.format in SQL. The
    account's row is already locked (post's rule) and the counter is taken after it, as before.
    Built at first use, once the tables the entry's foreign keys name are known (a key column
    takes its type from the column it names)."""
    name = "numbered" if numbered else "plain"
    if name not in _BUILT:
        import models.archive  # noqa: F401 - meters: the type of ledger_entries.meter_id

        columns = [c for c in _E.c if c.name != "id"]
        moved = _MOVE_BALANCE.returning(_A.c.id).cte("moved")
        picked: list[Any] = [sa.bindparam(c.name, type_=c.type) for c in columns]
        select = sa.select(*picked).select_from(moved)
        if numbered:
            c = table(Counter)
            taken = (sa.update(c).where(c.c.name == sa.bindparam("counter")).values(value=c.c.value + 1)
                     .returning(c.c.value).cte("numbered"))
            text = sa.cast(taken.c.value, sa.Text)
            width = sa.func.greatest(sa.bindparam("digits", type_=sa.Integer), sa.func.length(text))
            picked[[c.name for c in columns].index("receipt_no")] = sa.func.lpad(text, width, "0")
            select = sa.select(*picked).select_from(moved).join(taken, sa.true())
        stmt = sa.insert(_E).from_select([c.name for c in columns], select).add_cte(moved)
        if numbered:
            stmt = stmt.add_cte(taken)
        _BUILT[name] = stmt.returning(_E.c.id, _E.c.receipt_no)
    return _BUILT[name]


def entry_sums(session: Session, account_id: int) -> tuple[int, int]:
    """(SUM(amount_fen), SUM(subsidy_fen)) of an account's entries, as ints on every backend."""
    row = session.execute(sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_fen), 0),
                                    sa.func.coalesce(sa.func.sum(LedgerEntry.subsidy_fen), 0))
                          .where(LedgerEntry.account_id == account_id)).one()
    return int(row[0]), int(row[1])
