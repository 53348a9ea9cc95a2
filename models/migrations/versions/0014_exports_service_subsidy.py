"""The service identity grants and expires the monthly subsidies: the role `service` gets the
right `subsidy` (docs/product.md: the polling service "grants monthly subsidies"; the scheduled
subsidy jobs now act as the service identity, billing/automation/periodic.py, so their ledger
entries and log rows name it and an administrator stops them by taking the right away, like
settling or tripping).

A role's rights are in the operation log's rights cover, so the change is chained with one row
("rights.upgrade", by "system") covering the new rights state, as 0012 does: `log verify` still
holds after the upgrade and after a downgrade.

Revision ID: 0014
Revises: 0012
Create Date: 2026-11-30 14:00:00
"""
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

import models.base

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

RIGHT = "subsidy"
_roles = sa.table("roles", sa.column("id", sa.Integer), sa.column("name", sa.String),
                  sa.column("rights", sa.String))
_log = sa.table("oplog", sa.column("seq", sa.BigInteger), sa.column("at", models.base.UTCDateTime()),
                sa.column("operator", sa.Unicode), sa.column("station", sa.Unicode),
                sa.column("action", sa.String), sa.column("target", sa.Unicode),
                sa.column("details", sa.UnicodeText), sa.column("prev_hash", sa.String),
                sa.column("hash", sa.String), sa.column("covers", sa.UnicodeText))
_head = sa.table("oplog_head", sa.column("id", sa.Integer), sa.column("seq", sa.BigInteger),
                 sa.column("hash", sa.String), sa.column("key_id", sa.String))
_counters = sa.table("counters", sa.column("name", sa.String), sa.column("value", sa.BigInteger))


def _set(conn, add: bool) -> bool:
    row = conn.execute(sa.select(_roles.c.id, _roles.c.rights).where(_roles.c.name == "service")).first()
    if row is None:
        return False
    now = set(row.rights.split())
    new = now | {RIGHT} if add else now - {RIGHT}
    if new == now:
        return False
    conn.execute(sa.update(_roles).where(_roles.c.id == row.id).values(rights=" ".join(sorted(new))))
    return True


def _chain(conn, action: str, details: dict) -> None:
    """One log row by "system" covering the rights state, chained after the head (0005's and 0012's way: a migration runs alone, it imports no sibling)."""
    from models import oplog_cover, station_key
    from models.oplog import digest

    key = station_key.ensure()
    session = Session(bind=conn)
    try:
        rights = oplog_cover.rights_digest(session)
    finally:
        session.close()
    head = conn.execute(sa.select(_head.c.seq, _head.c.hash).where(_head.c.id == 1)).first()
    seq, prev = (head.seq, head.hash) if head is not None else (0, "0" * 64)
    seq += 1
    at = datetime.now(UTC)
    text = json.dumps(details, sort_keys=True)
    covers = oplog_cover.covers_json([], rights)
    new = digest(key, seq, at, "system", "", action, "", text, prev, covers)
    conn.execute(sa.insert(_log).values(seq=seq, at=at, operator="system", station="", action=action,
                                        target="", details=text, prev_hash=prev, hash=new, covers=covers))
    conn.execute(sa.update(_counters).where(_counters.c.name == "oplog").values(value=seq))
    kid = station_key.key_id(key)
    if conn.execute(sa.update(_head).where(_head.c.id == 1).values(seq=seq, hash=new, key_id=kid)).rowcount == 0:
        conn.execute(sa.insert(_head).values(id=1, seq=seq, hash=new, key_id=kid))


def upgrade() -> None:
    if op.get_context().as_sql:
        op.execute(sa.text("UPDATE roles SET rights = rights || ' subsidy' WHERE name = 'service' "
                           "AND ' ' || rights || ' ' NOT LIKE '% subsidy %'"))
        return
    conn = op.get_bind()
    if _set(conn, True):
        _chain(conn, "rights.upgrade", {"rights_added": {"service": [RIGHT]}})


def downgrade() -> None:
    if op.get_context().as_sql:
        op.execute(sa.text("UPDATE roles SET rights = TRIM(REPLACE(' ' || rights || ' ', ' subsidy ', ' ')) "
                           "WHERE name = 'service'"))
        return
    conn = op.get_bind()
    if _set(conn, False):
        _chain(conn, "rights.downgrade", {"rights_removed": {"service": [RIGHT]}})
