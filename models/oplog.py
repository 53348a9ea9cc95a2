"""The operation log (操作日志): one append-only row per action, in a keyed chain.

Every login, money movement, meter command and archive or rights change appends a row in the
same transaction as the change itself. The rows are written when the transaction commits, after
every other lock it took (accounts first, counters last: one lock order for every transaction,
so the poller and the counter cannot deadlock): the sequence number comes from the gapless
"oplog" counter, and row n stores HMAC-SHA256(station key, row n's fields + row n-1's hash). The
key is kept outside the database (models/station_key.py), so nobody who can only write the
database can recompute the chain. The newest row of a transaction also covers the ledger
entries it inserted and the rights state it changed (models/oplog_cover.py).

`verify()` recomputes the chain: an edited row breaks its own hash, a deleted row leaves a gap
or a broken link, a deleted newest row disagrees with the head — and, when someone also reset
the head, with an anchor kept outside the database (a backup's signature, a shift report:
`log verify --anchor SEQ:HASH`). Triggers refuse UPDATE and DELETE on this table (0005).
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, SessionTransaction, mapped_column

from models import ledger_daily, station_key
from models import oplog_cover as cover
from models.base import Base, LongText, Text_, UTCDateTime, table, utcnow
from models.counters import next_value
from models.errors import DatabaseError
from resources.i18n import _

GENESIS = "0" * 64
_BUCKETS, _COMMITTED = "oplog.buckets", "oplog.committed_nested"
_RIGHTS_TABLES = {"operators", "roles", "operator_areas"}


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
    covers: Mapped[str] = mapped_column(LongText, default="")


class OpLogHead(Base):
    """The newest row's sequence and hash (one row, id 1), and which key wrote the chain."""
    __tablename__ = "oplog_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    hash: Mapped[str] = mapped_column(sa.String(64), default=GENESIS)
    key_id: Mapped[str] = mapped_column(sa.String(16), default="")


def _stamp(at: datetime) -> str:
    text: str = cover._plain(at)
    return text


def digest(key: bytes, seq: int, at: datetime, operator: str, station: str, action: str, target: str,
           details: str, prev_hash: str, covers: str) -> str:
    canon = json.dumps([seq, _stamp(at), operator, station, action, target, details, prev_hash, covers],
                       ensure_ascii=False, separators=(",", ":"))
    return station_key.mac(key, canon.encode("utf-8"))


# --- appending (written at commit) ---------------------------------------------------------------
class _Bucket:
    __slots__ = ("rows", "ledger", "rights")

    def __init__(self) -> None:
        self.rows: list[OpLogEntry] = []
        self.ledger: list[Any] = []
        self.rights = False

    def merge(self, other: _Bucket) -> None:
        self.rows += other.rows
        self.ledger += other.ledger
        self.rights = self.rights or other.rights


def _bucket(session: Session) -> _Bucket:
    trans = session.get_nested_transaction() or session.get_transaction()
    buckets: dict[Any, _Bucket] = session.info.setdefault(_BUCKETS, {})
    return buckets.setdefault(trans, _Bucket())


def cover_entry(session: Session, entry: Any) -> None:
    """A ledger entry inserted with a Core statement (billing.ledger.post): the newest log row of
    this transaction covers it, as it covers entries the unit of work flushed (_track)."""
    _bucket(session).ledger.append(entry)


def append(session: Session, *, operator: str, station: str, action: str, target: str = "",
           details: dict[str, Any] | None = None, at: datetime | None = None) -> OpLogEntry:
    """Queue one row in the caller's transaction; it is numbered and chained at commit."""
    text = json.dumps(details or {}, ensure_ascii=False, sort_keys=True, default=str)
    entry = OpLogEntry(at=at or utcnow(), operator=operator, station=station, action=action,
                       target=target[:200], details=text, covers="")
    _bucket(session).rows.append(entry)
    return entry


def _head(session: Session, key: bytes) -> tuple[bool, int, str]:
    """Lock the head row (created when missing) and check the key: (existed, seq, hash)."""
    row = session.connection().execute(_HEAD_LOCKED).first()
    kid = station_key.key_id(key)
    if row is not None and row.key_id and row.key_id != kid:
        raise DatabaseError(_("This station's key ({path}) is not the key this database's log is kept with: "
                              "copy station.key from the station that set the database up")
                            .format(path=station_key.key_path()))
    return (True, row.seq, row.hash) if row is not None else (False, 0, GENESIS)


def _write(session: Session, bucket: _Bucket) -> None:
    """Number, chain and insert the bucket's rows: the counter (one UPDATE ... RETURNING for all
    rows), the head (locked), one INSERT for the rows, one UPDATE of the head — Core statements,
    counters and head last in the transaction (the one lock order, models/db.py)."""
    if not (bucket.rows or bucket.ledger or bucket.rights):
        return
    key = station_key.load()
    rows = bucket.rows or [OpLogEntry(at=utcnow(), operator="system", station="", action="chain.cover",
                                      target="", details="{}", covers="")]
    ledger = [(e.id, cover.entry_digest(e)) for e in bucket.ledger]
    rows[-1].covers = cover.covers_json(ledger, cover.rights_digest(session) if bucket.rights else None)
    ledger_daily.add_entries(session, bucket.ledger)       # daily rows before the log's counter
    last = next_value(session, "oplog", len(rows))       # counters last
    existed, _seq, prev = _head(session, key)
    values = []
    for seq, row in enumerate(rows, start=last - len(rows) + 1):
        row.seq, row.prev_hash = seq, prev
        row.hash = prev = digest(key, seq, row.at, row.operator, row.station, row.action, row.target,
                                 row.details, row.prev_hash, row.covers)
        values.append({c: getattr(row, c) for c in _LOG_COLUMNS})
    conn = session.connection()            # Core statements on the tables: no ORM round
    conn.execute(_LOG_INSERT, values)
    kid = station_key.key_id(key)
    if existed:
        conn.execute(_HEAD_MOVE, {"seq": last, "hash": prev, "key_id": kid})
    else:
        conn.execute(sa.insert(table(OpLogHead)).values(id=1, seq=last, hash=prev, key_id=kid))


_H = table(OpLogHead)
_HEAD_LOCKED = sa.select(_H.c.seq, _H.c.hash, _H.c.key_id).where(_H.c.id == 1).with_for_update()
_HEAD_MOVE = sa.update(_H).where(_H.c.id == 1)
_LOG_INSERT = sa.insert(table(OpLogEntry))
_LOG_COLUMNS = ("seq", "at", "operator", "station", "action", "target", "details", "prev_hash", "hash", "covers")


@event.listens_for(Session, "after_flush")
def _track(session: Session, _ctx: Any) -> None:
    bucket = None
    for obj in session.new:
        if isinstance(obj, cover.LedgerEntry):
            bucket = bucket or _bucket(session)
            bucket.ledger.append(obj)
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, cover.RIGHTS_CLASSES):
            (bucket or _bucket(session)).rights = True
            break


@event.listens_for(Session, "do_orm_execute")
def _track_statements(state: ORMExecuteState) -> None:
    """A bulk UPDATE/DELETE/INSERT on a rights table through the session changes rights too."""
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in _RIGHTS_TABLES:
            _bucket(state.session).rights = True


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    nested = session.get_nested_transaction()
    if nested is not None:
        session.info.setdefault(_COMMITTED, set()).add(nested)
        return
    buckets = session.info.get(_BUCKETS)
    if not buckets:
        session.flush()
        buckets = session.info.get(_BUCKETS)
        if not buckets:
            return
    session.flush()
    root = session.get_transaction()
    bucket = buckets.pop(root, None)
    if bucket is not None:
        _write(session, bucket)


@event.listens_for(Session, "after_transaction_end")
def _transaction_end(session: Session, trans: SessionTransaction) -> None:
    buckets: dict[SessionTransaction, _Bucket] | None = session.info.get(_BUCKETS)
    committed = session.info.get(_COMMITTED, set())
    done = buckets.pop(trans, None) if buckets else None
    if buckets is not None and done is not None and trans.nested and trans in committed and trans.parent is not None:
        buckets.setdefault(trans.parent, _Bucket()).merge(done)
    committed.discard(trans)


# --- checking ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str

    @classmethod
    def parse(cls, text: str) -> Anchor:
        seq, _sep, value = text.strip().partition(":")
        value = value.strip().lower()
        if not seq.strip().isdigit() or len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
            raise ValueError(text)
        return cls(int(seq), value)

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    rows: int
    problem: str = ""        # a kind, translated by the CLI
    bad_seq: int | None = None
    entry: int | None = None  # the ledger entry of a ledger problem


def head_anchor(session: Session) -> Anchor:
    head = session.get(OpLogHead, 1)
    return Anchor(head.seq, head.hash) if head else Anchor(0, GENESIS)


def verify(session: Session, *, key: bytes | None = None, anchor: Anchor | None = None,
           batch: int = 20000) -> VerifyResult:
    """Recompute the whole chain and what it covers; report the first problem."""
    key = key if key is not None else station_key.load()
    head = session.get(OpLogHead, 1)
    if head is not None and head.key_id and head.key_id != station_key.key_id(key):
        return VerifyResult(False, 0, "key")
    ledger = dict(cover.ledger_digests(session))
    covered: set[int] = set()
    rights: str | None = None
    t = OpLogEntry.__table__.c
    cols = (t.seq, sa.type_coerce(t.at, sa.DateTime()), t.operator, t.station, t.action, t.target, t.details,
            t.prev_hash, t.hash, t.covers)
    expected_prev, expected_seq, rows, last = GENESIS, 1, 0, 0
    while True:
        chunk = session.execute(sa.select(*cols).where(t.seq > last).order_by(t.seq).limit(batch)).all()
        if not chunk:
            break
        for seq, at, operator, station, action, target, details, prev_hash, hsh, covers in chunk:
            if seq != expected_seq:
                return VerifyResult(False, rows, "missing", expected_seq)
            if prev_hash != expected_prev:
                return VerifyResult(False, rows, "link", seq)
            if digest(key, seq, at, operator, station, action, target, details, prev_hash, covers or "") != hsh:
                return VerifyResult(False, rows, "edited", seq)
            if anchor is not None and seq == anchor.seq and hsh != anchor.hash:
                return VerifyResult(False, rows, "anchor", seq)
            if covers:
                body = json.loads(covers)
                for entry_id, d in body.get("ledger", ()):
                    if entry_id not in ledger:
                        return VerifyResult(False, rows, "ledger-missing", seq, entry_id)
                    if ledger[entry_id] != d or entry_id in covered:
                        return VerifyResult(False, rows, "ledger-edited", seq, entry_id)
                    covered.add(entry_id)
                rights = body.get("rights", rights)
            expected_prev, expected_seq, rows, last = hsh, seq + 1, rows + 1, seq
    if anchor is not None and anchor.seq > rows:
        return VerifyResult(False, rows, "anchor", rows + 1)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq != rows or head_hash != expected_prev:
        return VerifyResult(False, rows, "truncated", rows + 1)
    unlogged = sorted(set(ledger) - covered)
    if unlogged:
        return VerifyResult(False, rows, "ledger-unlogged", None, unlogged[0])
    if rights != cover.rights_digest(session) and (rights is not None or _has_rights_rows(session)):
        return VerifyResult(False, rows, "rights")
    return VerifyResult(True, rows)


def _has_rights_rows(session: Session) -> bool:
    return session.execute(sa.select(sa.func.count()).select_from(cover.Operator)).scalar_one() > 0


def _filtered(q: sa.Select[Any], *, operator: str | None = None, action: str | None = None, text: str | None = None,
              since: datetime | None = None, until: datetime | None = None, newest_first: bool = True,
              actions: Sequence[str] | None = None) -> sa.Select[Any]:
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
    return q.order_by(OpLogEntry.seq.desc() if newest_first else OpLogEntry.seq)


def search(session: Session, *, operator: str | None = None, action: str | None = None,
           text: str | None = None, since: datetime | None = None, until: datetime | None = None,
           limit: int | None = 200, newest_first: bool = True,
           actions: Sequence[str] | None = None) -> Iterator[OpLogEntry]:
    """`action`: a code pattern (login*); `actions`: any of these codes (an empty list finds nothing)."""
    q = _filtered(sa.select(OpLogEntry), operator=operator, action=action, text=text, since=since,
                  until=until, newest_first=newest_first, actions=actions)
    if limit:
        q = q.limit(limit)
    yield from session.execute(q).scalars()


EXPORT_COLUMNS = ("seq", "at", "operator", "station", "action", "target", "details")


ExportRow = sa.Row[int, datetime, str, str, str, str, str | None]     # EXPORT_COLUMNS


def search_rows(session: Session, *, batch: int = 2000, **filters: Any) -> Iterator[ExportRow]:
    """search() without a limit, as plain rows of EXPORT_COLUMNS (no ORM objects) fetched
    `batch` at a time — a server-side cursor on PostgreSQL — so exporting a year of log keeps
    memory flat. `details` is the stored JSON text (sorted keys, as record() wrote it)."""
    q = _filtered(sa.select(*(OpLogEntry.__table__.c[c] for c in EXPORT_COLUMNS)), **filters)
    # a Core statement on the table through the connection: rows as the driver gives them (the
    # time made aware by its column type), no ORM row machinery (a third of the export's time)
    # closed when the generator is (a writer that fails halfway): a SQLite cursor left open keeps
    # its connection's read snapshot, and the pooled connection would then show later reads an
    # old log (a failed export hid the next export's row)
    with session.connection().execute(q, execution_options={"yield_per": batch}) as result:
        yield from result
