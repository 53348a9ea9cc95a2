"""The time zone moves into the database (setting station.timezone): one zone for every station
sharing the database, as the daily ledger totals (ledger_daily) they all add to need. Before, each
station kept its own in its settings file; the station that upgrades carries its file's zone into
the database (when the database has none yet), logged in the operation log's chain as a
settings change by "system". Without such a file value nothing is written: the default zone
(Asia/Shanghai), which every station without one used, stays.

Nothing in the schema changes; a downgrade leaves the row (older programs ignore it and read
their settings file again).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 14:00:00
"""
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

import models.base

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

KEY = "station.timezone"
_settings = sa.table("settings", sa.column("key", sa.String), sa.column("value", sa.UnicodeText),
                     sa.column("updated_at", models.base.UTCDateTime()), sa.column("updated_by", sa.Unicode))
_log = sa.table("oplog", sa.column("seq", sa.BigInteger), sa.column("at", models.base.UTCDateTime()),
                sa.column("operator", sa.Unicode), sa.column("station", sa.Unicode),
                sa.column("action", sa.String), sa.column("target", sa.Unicode),
                sa.column("details", sa.UnicodeText), sa.column("prev_hash", sa.String),
                sa.column("hash", sa.String), sa.column("covers", sa.UnicodeText))
_head = sa.table("oplog_head", sa.column("id", sa.Integer), sa.column("seq", sa.BigInteger),
                 sa.column("hash", sa.String), sa.column("key_id", sa.String))
_counters = sa.table("counters", sa.column("name", sa.String), sa.column("value", sa.BigInteger))


def _file_zone() -> str | None:
    """This station's station.timezone from its settings file, when it names a valid zone."""
    from models import settings

    value = settings.read_local().get(KEY)
    return value if isinstance(value, str) and settings.zone_ok(value) else None


def _chain(conn, station: str, details: dict) -> None:
    """One "setting.change" row by "system", chained after the head (0005's and 0012's way)."""
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
    new = digest(key, seq, at, "system", station, "setting.change", KEY, text, prev, covers)
    conn.execute(sa.insert(_log).values(seq=seq, at=at, operator="system", station=station, action="setting.change",
                                        target=KEY, details=text, prev_hash=prev, hash=new, covers=covers))
    conn.execute(sa.update(_counters).where(_counters.c.name == "oplog").values(value=seq))
    kid = station_key.key_id(key)
    if conn.execute(sa.update(_head).where(_head.c.id == 1).values(seq=seq, hash=new, key_id=kid)).rowcount == 0:
        conn.execute(sa.insert(_head).values(id=1, seq=seq, hash=new, key_id=kid))


def upgrade() -> None:
    if op.get_context().as_sql:
        return                           # offline DDL: no station file, no rows
    zone = _file_zone()
    conn = op.get_bind()
    if zone is None or conn.execute(sa.select(_settings.c.key).where(_settings.c.key == KEY)).first() is not None:
        return
    from models import settings

    station = str(settings.get_local("station.name"))
    conn.execute(sa.insert(_settings).values(key=KEY, value=json.dumps(zone), updated_at=datetime.now(UTC),
                                             updated_by="system"))
    _chain(conn, station, {"old": None, "new": zone, "from": "station settings file", "migration": "0013"})


def downgrade() -> None:
    pass
