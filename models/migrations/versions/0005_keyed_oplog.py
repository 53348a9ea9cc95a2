"""The operation log becomes a keyed chain (HMAC-SHA256 with the station key kept outside the
database) that also covers ledger entries and the rights state; triggers refuse UPDATE and
DELETE on the log (the ledger has its own since 0002/0004).

The existing rows are checked against the old unkeyed chain, then re-chained with the key, and
a baseline row covering every existing ledger entry and the rights state is appended; whether
the old chain held is written in that row.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 04:00:00
"""
import hashlib
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

import models.base

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

GENESIS = "0" * 64
_log = sa.table("oplog", sa.column("seq", sa.BigInteger), sa.column("at", models.base.UTCDateTime()),
                sa.column("operator", sa.Unicode), sa.column("station", sa.Unicode),
                sa.column("action", sa.String), sa.column("target", sa.Unicode),
                sa.column("details", sa.UnicodeText), sa.column("prev_hash", sa.String),
                sa.column("hash", sa.String), sa.column("covers", sa.UnicodeText))
_head = sa.table("oplog_head", sa.column("id", sa.Integer), sa.column("seq", sa.BigInteger),
                 sa.column("hash", sa.String), sa.column("key_id", sa.String))
_counters = sa.table("counters", sa.column("name", sa.String), sa.column("value", sa.BigInteger))


def _legacy(seq, at, operator, station, action, target, details, prev_hash) -> str:
    stamp = at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    canon = json.dumps([seq, stamp, operator, station, action, target, details, prev_hash],
                       ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()


def _triggers(create: bool) -> None:
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        for what, verb in (("update", "edited"), ("delete", "deleted")):
            op.execute(f"DROP TRIGGER IF EXISTS oplog_no_{what}")
            if create:
                op.execute(f"CREATE TRIGGER oplog_no_{what} BEFORE {what.upper()} ON oplog "
                           f"BEGIN SELECT RAISE(ABORT, 'log rows are never {verb}'); END")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS oplog_immutable ON oplog")
        op.execute("DROP FUNCTION IF EXISTS oplog_immutable()")
        if create:
            op.execute("CREATE FUNCTION oplog_immutable() RETURNS trigger AS $$ BEGIN "
                       "RAISE EXCEPTION 'log rows are never edited or deleted'; END $$ LANGUAGE plpgsql")
            op.execute("CREATE TRIGGER oplog_immutable BEFORE UPDATE OR DELETE ON oplog "
                       "FOR EACH ROW EXECUTE FUNCTION oplog_immutable()")
    elif dialect == "mssql" and create:
        op.execute("CREATE TRIGGER oplog_immutable ON oplog INSTEAD OF UPDATE, DELETE AS "
                   "THROW 50000, 'log rows are never edited or deleted', 1;")
    elif dialect == "mssql":
        op.execute("DROP TRIGGER IF EXISTS oplog_immutable")


def _rechain(conn, key: bytes) -> None:
    from models import oplog_cover, station_key
    from models.oplog import digest

    rows = conn.execute(sa.select(_log.c.seq, _log.c.at, _log.c.operator, _log.c.station, _log.c.action,
                                  _log.c.target, _log.c.details, _log.c.prev_hash, _log.c.hash)
                        .order_by(_log.c.seq)).all()
    legacy_ok, prev, expected = "intact", GENESIS, 1
    for r in rows:
        if legacy_ok == "intact" and (r.seq != expected or r.prev_hash != prev or _legacy(*r[:8]) != r.hash):
            legacy_ok = f"broken at row {r.seq}"
        prev, expected = r.hash, r.seq + 1
    prev = GENESIS
    for r in rows:
        new = digest(key, r.seq, r.at, r.operator, r.station, r.action, r.target, r.details, prev, "")
        conn.execute(sa.update(_log).where(_log.c.seq == r.seq).values(prev_hash=prev, hash=new, covers=""))
        prev = new
    session = Session(bind=conn)
    try:
        ledger = list(oplog_cover.ledger_digests(session))
        rights = oplog_cover.rights_digest(session)
    finally:
        session.close()
    seq = (rows[-1].seq if rows else 0) + 1
    at = datetime.now(UTC)
    details = json.dumps({"legacy_chain": legacy_ok, "rows": len(rows), "ledger_entries": len(ledger)},
                         sort_keys=True)
    covers = oplog_cover.covers_json(ledger, rights)
    new = digest(key, seq, at, "system", "", "log.keyed", "", details, prev, covers)
    conn.execute(sa.insert(_log).values(seq=seq, at=at, operator="system", station="", action="log.keyed",
                                        target="", details=details, prev_hash=prev, hash=new, covers=covers))
    conn.execute(sa.update(_counters).where(_counters.c.name == "oplog").values(value=seq))
    kid = station_key.key_id(key)
    if conn.execute(sa.update(_head).where(_head.c.id == 1).values(seq=seq, hash=new, key_id=kid)).rowcount == 0:
        conn.execute(sa.insert(_head).values(id=1, seq=seq, hash=new, key_id=kid))


def upgrade() -> None:
    with op.batch_alter_table('oplog', schema=None) as batch_op:
        batch_op.add_column(sa.Column('covers', models.base.LongText, nullable=False, server_default=''))
    with op.batch_alter_table('oplog_head', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_id', sa.String(length=16), nullable=False, server_default=''))
    if not op.get_context().as_sql:
        from models import station_key

        _rechain(op.get_bind(), station_key.ensure())
    _triggers(True)


def downgrade() -> None:
    _triggers(False)
    if not op.get_context().as_sql:
        conn = op.get_bind()
        prev = GENESIS
        for r in conn.execute(sa.select(_log.c.seq, _log.c.at, _log.c.operator, _log.c.station, _log.c.action,
                                        _log.c.target, _log.c.details).order_by(_log.c.seq)).all():
            prev_new = _legacy(*r, prev)
            conn.execute(sa.update(_log).where(_log.c.seq == r.seq).values(prev_hash=prev, hash=prev_new))
            prev = prev_new
        conn.execute(sa.update(_head).where(_head.c.id == 1).values(hash=prev))
    with op.batch_alter_table('oplog_head', schema=None) as batch_op:
        batch_op.drop_column('key_id')
    with op.batch_alter_table('oplog', schema=None) as batch_op:
        batch_op.drop_column('covers')
