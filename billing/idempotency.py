"""Idempotency keys bound to what they were used for.

A key given with a sale or a refund names that one operation: the operation (sale or refund),
the account, the amount (or, for a sale by energy, the energy) and the payment method. A retry
with the same key answers the original result only when every one of them matches; anything
else is a KeyConflict — never another account's receipt, never a silent replay of a different
amount.

No schema change is needed: the key is unique on ledger_entries (uq_ledger_idempotency) and the
entry it marks already holds every bound field (kind, account_id, amount_fen, energy_milli,
method), so the binding is checked against the stored entry itself. Under concurrency the
unique index decides: the loser of a race gets an IntegrityError, re-reads the winner's entry
and is compared with the same rules (billing/sales.py, billing/refunds.py).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models.errors import Conflict, InvalidInput
from models.ledger import LedgerEntry
from resources.i18n import _

KEY_MAX = 80
# the ledger kinds each keyed operation writes
KINDS = {"sale": ("purchase", "bill_payment"), "refund": ("refund",)}


class KeyConflict(Conflict):
    """The idempotency key was used for a different operation, account, amount or method."""


def new_key(given: str | None) -> str:
    """The key to store: the caller's (checked), or a fresh one when none was given.
    An empty or blank key is refused, not replaced — a caller who sends one expects it to hold."""
    if given is None:
        return uuid.uuid4().hex
    key = given.strip()
    if not key or len(key) > KEY_MAX or any(ord(c) < 32 or ord(c) == 127 for c in key):
        raise InvalidInput(_("An idempotency key has 1 to 80 characters (no control characters)"))
    return key


@dataclass(frozen=True)
class Binding:
    """What a key is bound to. fen or energy_milli is None when not known before pricing."""
    operation: str
    account_id: int
    method: str
    fen: int | None = None              # absolute amount in fen
    energy_milli: int | None = None     # sale by energy

    def matches(self, entry: LedgerEntry) -> bool:
        if entry.kind not in KINDS[self.operation] or entry.account_id != self.account_id:
            return False
        if (entry.method or "") != self.method:
            return False
        if self.fen is not None and abs(entry.amount_fen) != self.fen:
            return False
        if self.energy_milli is not None and entry.energy_milli != self.energy_milli:
            return False
        return self.fen is not None or self.energy_milli is not None


_E = LedgerEntry.__table__
_KEYED = sa.select(_E.c.id).where(_E.c.idempotency_key == sa.bindparam("key"))


def keyed_entry(session: Session, key: str) -> LedgerEntry | None:
    """The entry holding `key`: a Core lookup of its id (the usual answer is none), the entry
    itself loaded only when there is one."""
    entry_id = session.connection().execute(_KEYED, {"key": key}).scalar_one_or_none()
    return None if entry_id is None else session.get(LedgerEntry, entry_id)


def check(session: Session, key: str, binding: Binding) -> LedgerEntry | None:
    """The entry to replay for `key`, None when the key is new; KeyConflict when it is bound
    to something else."""
    entry = keyed_entry(session, key)
    if entry is None:
        return None
    if not binding.matches(entry):
        raise KeyConflict(_("The idempotency key {key} was already used for a different operation "
                            "(another account, amount, method or kind); nothing was done").format(key=key))
    return entry
