"""Ledger entries, receipts, the command outbox and cashier shifts (tables; the rules are in
billing/).

Entries are never edited or deleted — database triggers refuse UPDATE and DELETE on SQLite and
PostgreSQL — and a correction is a new entry linked by reverses_id (one reversal at most per
entry, a unique index). amount_fen is signed: + credits the account, − debits it; subsidy_fen is
the part of that movement that is subsidy money.
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, LongText, Text_, UTCDateTime, utcnow

ENTRY_KINDS = ("purchase", "refund", "reversal", "consumption", "subsidy_grant", "subsidy_expiry",
               "transfer_in", "transfer_out", "opening_balance", "bill", "bill_payment", "apportion",
               "adjustment")


def _partial_unique(name: str, *cols: str, where: str) -> sa.Index:
    clause = sa.text(where)
    return sa.Index(name, *cols, unique=True, sqlite_where=clause, postgresql_where=clause, mssql_where=clause)


class Shift(Base):
    """A cashier's shift (交班): open → closed, one open shift per station."""
    __tablename__ = "shifts"
    __table_args__ = (_partial_unique("uq_shifts_open_station", "station", where="state = 'open'"),
                      sa.CheckConstraint("state IN ('open', 'closed')", name="state_known"))
    id: Mapped[int] = mapped_column(primary_key=True)
    operator: Mapped[str] = mapped_column(Text_(40))
    station: Mapped[str] = mapped_column(Text_(80))
    state: Mapped[str] = mapped_column(sa.String(8), default="open")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    expected_cash_fen: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    counted_cash_fen: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    difference_fen: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"
    __table_args__ = (
        _partial_unique("uq_ledger_idempotency", "idempotency_key", where="idempotency_key IS NOT NULL"),
        _partial_unique("uq_ledger_reverses", "reverses_id", where="reverses_id IS NOT NULL"),
        _partial_unique("uq_ledger_period", "account_id", "kind", "period_key", where="period_key IS NOT NULL"),
        sa.Index("ix_ledger_account_id_seq", "account_id", "id"),
        sa.Index("ix_ledger_at", "at"),
        sa.CheckConstraint("kind IN (" + ", ".join(f"'{k}'" for k in ENTRY_KINDS) + ")", name="kind_known"),
        sa.CheckConstraint("subsidy_after_fen >= 0", name="subsidy_after_nonneg"),
    )
    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    subsidy_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    balance_after_fen: Mapped[int] = mapped_column(sa.BigInteger)
    subsidy_after_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    energy_milli: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)  # kWh×1000 sold/charged
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    operator: Mapped[str] = mapped_column(Text_(40))
    station: Mapped[str] = mapped_column(Text_(80), default="")
    method: Mapped[str] = mapped_column(sa.String(10), default="")      # cash card wechat alipay transfer
    reference: Mapped[str] = mapped_column(Text_(100), default="")
    receipt_no: Mapped[str | None] = mapped_column(sa.String(20), nullable=True, index=True)
    reverses_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ledger_entries.id"), nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(80), nullable=True)
    period_key: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)   # "2026-11", reading span...
    shift_id: Mapped[int | None] = mapped_column(sa.ForeignKey("shifts.id"), nullable=True, index=True)
    meter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meters.id"), nullable=True)
    note: Mapped[str] = mapped_column(Text_(200), default="")


class TierCycle(Base):
    """An account's running tier cycle (阶梯周期): the energy charged in it so far and that energy's
    exact, unrounded amount (billing/span_charges.py), kept as exact text ("0.125", "1/3"; rounded
    to 12 places when longer than 40 characters, billing/tier_state.py). State like a binding's last_settled_milli:
    moved only by settlement under the account lock; the money itself is in ledger_entries."""
    __tablename__ = "tier_cycles"
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), primary_key=True)
    cycle_start: Mapped[date] = mapped_column(sa.Date, primary_key=True)   # local first day of the cycle
    energy: Mapped[str] = mapped_column(sa.String(40), default="0")
    amount: Mapped[str] = mapped_column(sa.String(40), default="0")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Receipt(Base):
    """A numbered receipt: gapless numbers from the 'receipt' counter; reprints keep the number."""
    __tablename__ = "receipts"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16))       # sale refund reversal account_open account_close
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"), index=True)
    entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ledger_entries.id"), nullable=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    operator: Mapped[str] = mapped_column(Text_(40))
    reprints: Mapped[int] = mapped_column(default=0)
    payload: Mapped[str] = mapped_column(LongText, default="{}")  # snapshot printed, for identical reprints


class OutboxItem(Base):
    """A side effect to perform after commit (meter recharge, relay close, SMS...), retried
    until done or expired; priority 0 jumps ahead of routine polls."""
    __tablename__ = "outbox"
    __table_args__ = (sa.Index("ix_outbox_state_next", "state", "next_at"),
                      sa.CheckConstraint("state IN ('pending', 'sending', 'done', 'failed', 'expired')",
                                         name="state_known"))
    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"), nullable=True, index=True)
    meter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("meters.id"), nullable=True, index=True)
    entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ledger_entries.id"), nullable=True)
    payload: Mapped[str] = mapped_column(LongText, default="{}")
    priority: Mapped[int] = mapped_column(default=5)
    state: Mapped[str] = mapped_column(sa.String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str] = mapped_column(Text_(300), default="")
    # exactly-once delivery (comms/polling/outbox_source.py): who holds a "sending" item and until when,
    # and whether the item may have reached the meter without its answer being recorded
    claim_token: Mapped[str | None] = mapped_column(sa.String(120), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    in_doubt: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
