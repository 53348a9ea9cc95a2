"""Migration 0012 (the service identity's role and the rights poll/settle) keeps the keyed log's
rights cover true: after upgrading a station that has operators and log rows, after a
downgrade and again after the upgrade, `log verify` holds - SQLite and PostgreSQL."""
from __future__ import annotations

import sqlalchemy as sa

from models import migrate, oplog
from models.operators import Role
from models.rights import SERVICE_RIGHTS


def _verify(db):
    with db.read() as s:
        return oplog.verify(s)


def _rights(db):
    with db.read() as s:
        return {r.name: set(r.rights.split()) for r in s.execute(sa.select(Role)).scalars()}


def _to(db, revision: str, down: bool) -> None:
    from alembic import command

    cfg = migrate._config()
    with db.writer.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def test_upgrade_and_downgrade_keep_the_log_verifiable(db, superadmin, cashier):
    rights = _rights(db)
    assert rights["service"] == set(SERVICE_RIGHTS)
    assert {"poll", "settle"} <= rights["super-admin"] and {"poll", "settle"} <= rights["admin"]
    assert "poll" not in rights["cashier"]
    assert _verify(db).ok
    _to(db, "0011", down=True)                     # a station as the previous program left it
    rights = _rights(db)
    assert "service" not in rights and "poll" not in rights["admin"]
    assert _verify(db).ok
    _to(db, "head", down=False)                    # upgraded with operators and log rows in place
    assert _rights(db)["service"] == set(SERVICE_RIGHTS) and "settle" in _rights(db)["super-admin"]
    result = _verify(db)
    assert result.ok, result
    with db.read() as s:
        actions = s.execute(sa.select(oplog.OpLogEntry.action).order_by(oplog.OpLogEntry.seq.desc())
                            .limit(4)).scalars().all()
    # down 0014 then 0012, up 0012 then 0014 (0014 gives the service role `subsidy`)
    assert actions == ["rights.upgrade", "rights.upgrade", "rights.downgrade", "rights.downgrade"]


def test_0014_gives_the_service_role_subsidy_and_keeps_the_log_verifiable(db, superadmin):
    assert "subsidy" in _rights(db)["service"]
    _to(db, "0012", down=True)
    assert _rights(db)["service"] == set(SERVICE_RIGHTS) - {"subsidy"}
    assert _verify(db).ok
    _to(db, "head", down=False)
    assert _rights(db)["service"] == set(SERVICE_RIGHTS)
    assert _verify(db).ok
    with db.read() as s:
        last = s.execute(sa.select(oplog.OpLogEntry.action, oplog.OpLogEntry.details)
                         .order_by(oplog.OpLogEntry.seq.desc()).limit(1)).one()
    assert last.action == "rights.upgrade" and "subsidy" in last.details
