"""Logging in and out: password check, lockout after failed attempts, the session's Actor.

security.lock_after (default five) failed logins in a row lock the operator for LOCK_MINUTES; every attempt, good
or bad, is in the operation log. A wrong name and a wrong password give the same message. When the
database cannot be written (a read-only file, a server refusing writes) the failures are counted
in this process instead (access/login_memory.py): the same limit, the same lock time.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypedDict

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access import login_memory
from access.passwords import check_password
from models import oplog, station_time
from models.base import utcnow
from models.db import Database
from models.errors import AuthenticationFailed, ReadOnlyDatabase
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
    failed_logins + 1 RETURNING, so parallel wrong passwords each count.

    A database that cannot be written (ReadOnlyDatabase): a wrong password or a lock is an
    AuthenticationFailed counted in this process (_unwritable); the right one raises the
    ReadOnlyDatabase (a caller that only reads then uses login_to_read)."""
    now = utcnow()
    known = _plausible_name(name)
    checked: tuple[str, bool] | None = None
    if known:
        with db.read() as s:
            stored = s.execute(sa.select(Operator.password_hash).where(Operator.name == name)).scalar_one_or_none()
        if stored is not None:
            checked = (stored, check_password(password, stored))
    try:
        actor, failure = _apply(db, name, password, station, service=service, known=known, checked=checked, now=now)
    except ReadOnlyDatabase:
        _unwritable(db, name, password, station, checked)      # a wrong password or a lock: refused here
        raise
    if failure is not None or actor is None:
        raise AuthenticationFailed(failure or _("Wrong operator name or password"))
    return actor


def _apply(db: Database, name: str, password: str, station: str, *, service: bool, known: bool,
           checked: tuple[str, bool] | None, now: datetime) -> tuple[Actor | None, str | None]:
    """The outcome of a login attempt, applied and logged in one write transaction."""
    failure: str | None = None
    actor: Actor | None = None
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
    return actor, failure


def login_to_read(db: Database, name: str, password: str, station: str) -> Actor:
    """`login` for a database this station cannot write (a read-only file: ReadOnlyDatabase):
    the same checks — active, not locked, the password, never the service identity — without a
    row written (none can be); a wrong name or password gives the same message, and counts
    towards the lockout in this process (access/login_memory.py)."""
    actor = _unwritable(db, name, password, station, None)
    if actor.role == SERVICE_ROLE:
        raise AuthenticationFailed(_("Wrong operator name or password"))
    return actor


def _unwritable(db: Database, name: str, password: str, station: str, checked: tuple[str, bool] | None) -> Actor:
    """A login the database cannot record: the stored lock or this process's, the password;
    a wrong one counted in this process (the stored limit and lock time). The Actor when the
    password is right, else AuthenticationFailed saying the count is this program's."""
    wrong = _("Wrong operator name or password (the database cannot be written: failed logins are "
              "counted in this program only)")
    if not _plausible_name(name):
        raise AuthenticationFailed(wrong)
    now, key = utcnow(), (db.url, name)
    with db.read() as s:
        op = s.execute(sa.select(Operator).where(Operator.name == name)).scalar_one_or_none()
        if op is None or not op.active:
            raise AuthenticationFailed(wrong)
        limit = lock_after(s)
        until = max((t for t in (op.locked_until, login_memory.locked_until(key, now)) if t is not None),
                    default=None)
        if until is not None and until > now:
            raise AuthenticationFailed(_("Operator {name} is locked after {n} failed logins; try again after "
                                         "{time}").format(name=name, n=limit,
                                                          time=station_time.local(until).strftime("%H:%M")))
        right = checked[1] if checked is not None and checked[0] == op.password_hash \
            else check_password(password, op.password_hash)
        if right:
            login_memory.succeeded(key)
            return actor_for(s, op, station)
        locked = login_memory.failed(key, op.failed_logins, limit, now, LOCK_MINUTES)
    if locked is not None:
        raise AuthenticationFailed(_("Wrong password; operator {name} is now locked for {minutes} minutes (the "
                                     "database cannot be written: the lock holds in this program)").format(
                                         name=name, minutes=LOCK_MINUTES))
    raise AuthenticationFailed(wrong)


def logout(db: Database, actor: Actor) -> None:
    with db.write() as s:
        oplog.append(s, operator=actor.name, station=actor.station, action="logout", target=actor.name)
