"""Logging in and out: password check, lockout after failed attempts, the session's Actor.

Five failed logins in a row lock the operator for LOCK_MINUTES; every attempt, good or bad,
is in the operation log. A wrong name and a wrong password give the same message.
"""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from models import oplog
from models.base import utcnow
from models.db import Database
from models.errors import AuthenticationFailed
from models.operators import Operator, OperatorArea
from models.passwords import check_password
from models.rights import Actor
from resources.i18n import _

LOCK_AFTER = 5
LOCK_MINUTES = 15


def actor_for(session: Session, op: Operator, station: str) -> Actor:
    areas = frozenset(session.execute(sa.select(OperatorArea.building_id)
                                      .where(OperatorArea.operator_id == op.id)).scalars())
    return Actor(name=op.name, role=op.role.name, rights=op.role.right_set(), station=station,
                 operator_id=op.id, all_areas=op.all_areas, areas=areas)


def has_operators(db: Database) -> bool:
    with db.read() as s:
        return s.execute(sa.select(sa.func.count()).select_from(Operator)).scalar_one() > 0


def login(db: Database, name: str, password: str, station: str) -> Actor:
    """Check name and password; return the Actor or raise AuthenticationFailed."""
    failure: str | None = None
    actor: Actor | None = None
    now = utcnow()
    with db.write() as s:
        op = s.execute(sa.select(Operator).where(Operator.name == name)).scalar_one_or_none()
        log = dict(operator=name, station=station, target=name)
        if op is None or not op.active:
            oplog.append(s, action="login.failed", details={"reason": "unknown or inactive"}, **log)
            failure = _("Wrong operator name or password")
        elif op.locked_until is not None and op.locked_until > now:
            oplog.append(s, action="login.failed", details={"reason": "locked"}, **log)
            failure = _("Operator {name} is locked after {n} failed logins; try again after {time}").format(
                name=name, n=LOCK_AFTER, time=op.locked_until.astimezone().strftime("%H:%M"))
        elif not check_password(password, op.password_hash):
            op.failed_logins += 1
            details: dict[str, object] = {"reason": "password", "failed": op.failed_logins}
            failure = _("Wrong operator name or password")
            if op.failed_logins >= LOCK_AFTER:
                op.locked_until = now + timedelta(minutes=LOCK_MINUTES)
                op.failed_logins = 0
                details["locked_minutes"] = LOCK_MINUTES
                failure = _("Wrong password; operator {name} is now locked for {minutes} minutes").format(
                    name=name, minutes=LOCK_MINUTES)
            oplog.append(s, action="login.failed", details=details, **log)
        else:
            op.failed_logins, op.locked_until, op.last_login = 0, None, now
            actor = actor_for(s, op, station)
            oplog.append(s, action="login", details={"role": op.role.name}, **log)
    if failure is not None or actor is None:
        raise AuthenticationFailed(failure or _("Wrong operator name or password"))
    return actor


def logout(db: Database, actor: Actor) -> None:
    with db.write() as s:
        oplog.append(s, operator=actor.name, station=actor.station, action="logout", target=actor.name)
