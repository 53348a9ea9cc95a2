"""The operation log (操作日志): one append-only, hash-chained row per action.

Every login, logout, money movement, meter command and archive change appends a row inside
the same transaction as the change itself. Row n stores the hash of row n-1; the sequence
number comes from the gapless "oplog" counter, and the counter row also keeps the hash of the
newest row. `verify()` recomputes the chain: an edited row breaks its own hash, a deleted row
leaves a gap in the sequence or a broken link, a deleted newest row disagrees with the head.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, LongText, Text_, UTCDateTime, utcnow
from models.counters import next_value

GENESIS = "0" * 64


class OpLogEntry(Base):
    __tablename__ = "oplog"
    seq: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    operator: Mapped[str] = mapped_column(Text_(40), index=True)
    station: Mapped[str] = mapped_column(Text_(80))
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    target: Mapped[str] = mapped_column(Text_(200), default="")
    details: Mapped[str] = mapped_column(LongText, default="{}")
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))


class OpLogHead(Base):
    """The hash of the newest row (one row, id 1), updated with each append."""
    __tablename__ = "oplog_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    hash: Mapped[str] = mapped_column(sa.String(64), default=GENESIS)


def _digest(seq: int, at: datetime, operator: str, station: str, action: str, target: str,
            details: str, prev_hash: str) -> str:
    stamp = at.isoformat(timespec="microseconds")
    canon = json.dumps([seq, stamp, operator, station, action, target, details, prev_hash],
                       ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()


def _naive(at: datetime) -> datetime:
    return at.replace(tzinfo=None)


def append(session: Session, *, operator: str, station: str, action: str, target: str = "",
           details: dict[str, Any] | None = None, at: datetime | None = None) -> OpLogEntry:
    """Append one row in the caller's transaction (the counter lock serialises writers)."""
    seq = next_value(session, "oplog")
    head = session.execute(sa.select(OpLogHead).where(OpLogHead.id == 1)
                           .with_for_update()).scalar_one_or_none()
    if head is None:
        head = OpLogHead(id=1, seq=0, hash=GENESIS)
        session.add(head)
    prev = head.hash
    when = at or utcnow()
    text = json.dumps(details or {}, ensure_ascii=False, sort_keys=True, default=str)
    entry = OpLogEntry(seq=seq, at=when, operator=operator, station=station, action=action,
                       target=target[:200], details=text, prev_hash=prev,
                       hash=_digest(seq, _naive(when), operator, station, action, target[:200], text, prev))
    session.add(entry)
    head.seq, head.hash = seq, entry.hash
    session.flush()
    return entry


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    rows: int
    problem: str = ""        # English, for logs; the CLI translates by kind
    bad_seq: int | None = None


def verify(session: Session, batch: int = 5000) -> VerifyResult:
    """Recompute the whole chain; report the first broken row."""
    expected_prev, expected_seq, rows = GENESIS, 1, 0
    last = 0
    while True:
        chunk = session.execute(sa.select(OpLogEntry).where(OpLogEntry.seq > last)
                                .order_by(OpLogEntry.seq).limit(batch)).scalars().all()
        if not chunk:
            break
        for e in chunk:
            if e.seq != expected_seq:
                return VerifyResult(False, rows, "missing", expected_seq)
            if e.prev_hash != expected_prev:
                return VerifyResult(False, rows, "link", e.seq)
            if _digest(e.seq, _naive(e.at), e.operator, e.station, e.action, e.target, e.details,
                       e.prev_hash) != e.hash:
                return VerifyResult(False, rows, "edited", e.seq)
            expected_prev, expected_seq, rows = e.hash, e.seq + 1, rows + 1
            last = e.seq
        session.expunge_all()
    head = session.get(OpLogHead, 1)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq != rows or head_hash != expected_prev:
        return VerifyResult(False, rows, "truncated", rows + 1)
    return VerifyResult(True, rows)


def search(session: Session, *, operator: str | None = None, action: str | None = None,
           text: str | None = None, since: datetime | None = None, until: datetime | None = None,
           limit: int | None = 200, newest_first: bool = True,
           actions: Sequence[str] | None = None) -> Iterator[OpLogEntry]:
    """`action`: a code pattern (login*); `actions`: any of these codes (an empty list finds nothing)."""
    q = sa.select(OpLogEntry)
    if operator:
        q = q.where(OpLogEntry.operator == operator)
    if action:
        q = q.where(OpLogEntry.action.like(action.replace("*", "%")))
    if actions is not None:
        q = q.where(OpLogEntry.action.in_(list(actions)))
    if text:
        like = f"%{text}%"
        q = q.where(sa.or_(OpLogEntry.target.like(like), OpLogEntry.details.like(like)))
    if since:
        q = q.where(OpLogEntry.at >= since)
    if until:
        q = q.where(OpLogEntry.at < until)
    q = q.order_by(OpLogEntry.seq.desc() if newest_first else OpLogEntry.seq)
    if limit:
        q = q.limit(limit)
    yield from session.execute(q).scalars()
