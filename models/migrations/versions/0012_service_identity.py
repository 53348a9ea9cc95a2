"""The station's service identity (issue 11.3): two new rights, `poll` (run the polling service)
and `settle` (charge metered consumption), given to the built-in super-admin and admin roles,
and the role `service` (poll, settle, relay_control, meter_read) that `meterstation poll` and
the GUI's runtime act as. Its rights are changed like any defined role's (`role add service
--rights ...`); an operator of it is made by `meterstation service identity`.

Roles are in the operation log's rights cover (models/oplog_cover.py), so the change is chained
with one row ("rights.upgrade", by "system") covering the new rights state: `log verify` still
holds after the upgrade.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 10:30:00
"""
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

import models.base

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

NEW_RIGHTS = ("poll", "settle")
_ALL_0001 = ("sell refund reverse account_open account_close account_edit subsidy relay_control meter_read "
             "archive_edit tariff_edit settings_edit operator_admin backup restore report_view log_view shift").split()
_BUILTIN = {"super-admin": _ALL_0001, "admin": [r for r in _ALL_0001 if r != "restore"]}   # as 0001 set them
SERVICE_RIGHTS = ("meter_read", "poll", "relay_control", "settle")
_roles = sa.table("roles", sa.column("id", sa.Integer), sa.column("name", sa.String),
                  sa.column("label", sa.Unicode), sa.column("builtin", sa.Boolean),
                  sa.column("rights", sa.String))
_log = sa.table("oplog", sa.column("seq", sa.BigInteger), sa.column("at", models.base.UTCDateTime()),
                sa.column("operator", sa.Unicode), sa.column("station", sa.Unicode),
                sa.column("action", sa.String), sa.column("target", sa.Unicode),
                sa.column("details", sa.UnicodeText), sa.column("prev_hash", sa.String),
                sa.column("hash", sa.String), sa.column("covers", sa.UnicodeText))
_head = sa.table("oplog_head", sa.column("id", sa.Integer), sa.column("seq", sa.BigInteger),
                 sa.column("hash", sa.String), sa.column("key_id", sa.String))
_counters = sa.table("counters", sa.column("name", sa.String), sa.column("value", sa.BigInteger))


def _set_rights(conn, add: bool) -> dict[str, list[str]]:
    changed = {}
    for role_id, name, rights in conn.execute(sa.select(_roles.c.id, _roles.c.name, _roles.c.rights)
                                              .where(_roles.c.name.in_(("super-admin", "admin")))).all():
        now = set(rights.split())
        new = now | set(NEW_RIGHTS) if add else now - set(NEW_RIGHTS)
        if new != now:
            conn.execute(sa.update(_roles).where(_roles.c.id == role_id).values(rights=" ".join(sorted(new))))
            changed[name] = sorted(new ^ now)
    return changed


def _chain(conn, action: str, details: dict) -> None:
    """One log row by "system" covering the rights state, chained after the head (0005's way)."""
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
        for name, rights in _BUILTIN.items():
            op.execute(sa.update(_roles).where(_roles.c.name == name)
                       .values(rights=" ".join(sorted(set(rights) | set(NEW_RIGHTS)))))
        op.execute(sa.insert(_roles).values(name="service", label="Service identity", builtin=False,
                                            rights=" ".join(SERVICE_RIGHTS)))
        return
    conn = op.get_bind()
    changed = _set_rights(conn, True)
    created = False
    if conn.execute(sa.select(_roles.c.id).where(_roles.c.name == "service")).first() is None:
        conn.execute(sa.insert(_roles).values(name="service", label="Service identity", builtin=False,
                                              rights=" ".join(SERVICE_RIGHTS)))
        created = True
    if (changed or created) and not op.get_context().as_sql:
        _chain(conn, "rights.upgrade", {"rights_added": changed, "role_created": "service" if created else ""})


def downgrade() -> None:
    if op.get_context().as_sql:
        for name, rights in _BUILTIN.items():
            op.execute(sa.update(_roles).where(_roles.c.name == name).values(rights=" ".join(sorted(rights))))
        op.execute(sa.delete(_roles).where(_roles.c.name == "service"))
        return
    conn = op.get_bind()
    changed = _set_rights(conn, False)
    used = conn.execute(sa.text("SELECT count(*) FROM operators o JOIN roles r ON r.id = o.role_id "
                                "WHERE r.name = 'service'")).scalar_one()
    removed = False
    if not used:
        removed = bool(conn.execute(sa.delete(_roles).where(_roles.c.name == "service")).rowcount)
    if (changed or removed) and not op.get_context().as_sql:
        _chain(conn, "rights.downgrade", {"rights_removed": changed, "role_removed": removed})
