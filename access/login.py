"""Logging in and out: password check, lockout after failed attempts, the session's Actor.

security.lock_after (default five) failed logins in a row lock the operator for LOCK_MINUTES; every attempt, good
or bad, is in the operation log. A wrong name and a wrong password give the same message.
"""
from __future__ import annotations

from datetime import timedelta
from typing import TypedDict

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access.passwords import check_password
from models import oplog, station_time
from models.base import utcnow
from models.db import Database
from models.errors import AuthenticationFailed
from models.operators import Operator, OperatorArea
from models.rights import SERVICE_ROLE, Actor
from resources.i18n import _


class _Who(TypedDict):
    """Who a login row is about (oplog.append's keywords)."""
    operator: str
    station: str
    target: str


LOCK_AFTER = 5
LOCK_MINUTES = 15
NAME_MAX = 40          # operators.name is Text_(40)


def actor_for(session: Session, op: Operator, station: str) -> Actor:
    areas = frozenset(session.execute(sa.select(OperatorArea.building_id)
                                      .where(OperatorArea.operator_id == op.id)).scalars())
    return Actor(name=op.name, role=op.role.name, rights=op.role.right_set(), station=station,
                 operator_id=op.id, all_areas=op.all_areas, areas=areas)


def has_operators(db: Database) -> bool:
    with db.read() as s:
        return s.execute(sa.select(sa.func.count()).select_from(Operator)).scalar_one() > 0


def lock_after(session: Session) -> int:
    """security.lock_after (models/settings.py), read in the caller's transaction."""
    from models.settings import read

    return int(read(session, "security.lock_after"))


def _plausible_name(name: str) -> bool:
    return 0 < len(name) <= NAME_MAX and not any(ord(c) < 32 or ord(c) == 127 for c in name)


def login(db: Database, name: str, password: str, station: str, *, service: bool = False) -> Actor:
    """Check name and password; return the Actor or raise AuthenticationFailed.

    An operator of the service role (the station's service identity, access/service_identity.py)
    logs in only where `service` is True (`meterstation poll`): never at the counter, never for
    another command; such an attempt is refused and logged like a wrong password, without
    counting towards the lockout.

    The password is checked (scrypt, slow) outside any transaction; the outcome is then applied
    with the operator's row locked (SELECT ... FOR UPDATE; on SQLite the write transaction is
    BEGIN IMMEDIATE) and the failure counter raised by one UPDATE ... SET failed_logins =
    failed_logins + 1 RETURNING, so parallel wrong passwords each count."""
    failure: str | None = None
    actor: Actor | None = None
    now = utcnow()
    known = _plausible_name(name)
    checked: tuple[str, bool] | None = None
    if known:
        with db.read() as s:
            stored = s.execute(sa.select(Operator.password_hash).where(Operator.name == name)).scalar_one_or_none()
        if stored is not None:
            checked = (stored, check_password(password, stored))
    with db.write() as s:
        op = None if not known else s.execute(
            sa.select(Operator).where(Operator.name == name).with_for_update(of=Operator)).scalar_one_or_none()
        log = _Who(operator=name[:NAME_MAX], station=station, target=name[:NAME_MAX])
        limit = lock_after(s)
        if op is None or not op.active:
            oplog.append(s, action="login.failed", details={"reason": "unknown or inactive"}, **log)
            failure = _("Wrong operator name or password")
        elif op.locked_until is not None and op.locked_until > now:
            oplog.append(s, action="login.failed", details={"reason": "locked"}, **log)
            failure = _("Operator {name} is locked after {n} failed logins; try again after {time}").format(
                name=name, n=limit, time=station_time.local(op.locked_until).strftime("%H:%M"))
        elif not (checked[1] if checked is not None and checked[0] == op.password_hash
                  else check_password(password, op.password_hash)):
            failed = s.execute(sa.update(Operator).where(Operator.id == op.id)
                               .values(failed_logins=Operator.failed_logins + 1)
                               .returning(Operator.failed_logins)
                               .execution_options(synchronize_session=False)).scalar_one()
            details: dict[str, object] = {"reason": "password", "failed": failed}
            failure = _("Wrong operator name or password")
            if failed >= limit:
                s.execute(sa.update(Operator).where(Operator.id == op.id)
                          .values(locked_until=now + timedelta(minutes=LOCK_MINUTES), failed_logins=0)
                          .execution_options(synchronize_session=False))
                details["locked_minutes"] = LOCK_MINUTES
                failure = _("Wrong password; operator {name} is now locked for {minutes} minutes").format(
                    name=name, minutes=LOCK_MINUTES)
            oplog.append(s, action="login.failed", details=details, **log)
        elif op.role.name == SERVICE_ROLE and not service:
            oplog.append(s, action="login.failed", details={"reason": "service identity"}, **log)
            failure = _("Operator {name} is the station's service identity: it runs the polling service "
                        "and cannot log in here").format(name=name)
        else:
            op.failed_logins, op.locked_until, op.last_login = 0, None, now
            actor = actor_for(s, op, station)
            oplog.append(s, action="login", details={"role": op.role.name, **({"for": "poll"} if service else {})},
                         **log)
    if failure is not None or actor is None:
        raise AuthenticationFailed(failure or _("Wrong operator name or password"))
    return actor


def login_to_read(db: Database, name: str, password: str, station: str) -> Actor:
    """`login` for a database this station cannot write (a read-only file: ReadOnlyDatabase):
    the same checks — active, not locked, the password, never the service identity — without a
    row written (none can be); a wrong name or password gives the same message."""
    if _plausible_name(name):
        with db.read() as s:
            op = s.execute(sa.select(Operator).where(Operator.name == name)).scalar_one_or_none()
            if (op is not None and op.active and not (op.locked_until is not None and op.locked_until > utcnow())
                    and op.role.name != SERVICE_ROLE and check_password(password, op.password_hash)):
                return actor_for(s, op, station)
    raise AuthenticationFailed(_("Wrong operator name or password"))


def logout(db: Database, actor: Actor) -> None:
    with db.write() as s:
        oplog.append(s, operator=actor.name, station=actor.station, action="logout", target=actor.name)
