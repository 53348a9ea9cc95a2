"""The station's service identity (issue 11.3): who `meterstation poll` and the GUI's runtime act as.

An operator of the role `service` (models/rights.py SERVICE_ROLE; rights configured like any
role's, by default poll, settle, relay_control, meter_read). It never logs in at the counter
(access/login.py refuses it everywhere but the polling service); `meterstation poll` logs in as it
with its secret (a random password), which `meterstation service identity` sets and writes into
a 0600 file in the station's config folder (SECRET_FILE) for the service unit to pass on.

    secret = make_identity(db, admin, "service")     # create or give a new secret (logged)
    actor = runtime_actor(db, station)               # what the GUI's runtime acts as
    start_polling(db, actor)                         # the poll right checked; start logged
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access.passwords import hash_password
from models.audit import audited, record
from models.db import Database
from models.errors import InvalidInput, PermissionDenied
from models.operators import Operator, Role
from models.rights import SERVICE_RIGHTS, SERVICE_ROLE, Actor
from resources.i18n import _

DEFAULT_NAME = "service"
SECRET_FILE = "service.secret"


def secret_path() -> Path:
    from models.station_paths import config_dir

    return config_dir() / SECRET_FILE


def _service_role(s: Session) -> Role:
    role = s.execute(sa.select(Role).where(Role.name == SERVICE_ROLE)).scalar_one_or_none()
    if role is None:                         # a database from before 0012 that was not upgraded
        role = Role(name=SERVICE_ROLE, label="Service identity", builtin=False,
                    rights=" ".join(sorted(SERVICE_RIGHTS)))
        s.add(role)
        s.flush()
    return role


def make_identity(db: Database, actor: Actor, name: str = DEFAULT_NAME) -> str:
    """Create the service operator `name` (role service) or give it a new secret; returns the
    secret. Needs operator_admin and every right of the service role (nobody grants rights it
    does not hold); logged as service.identity (the secret never is)."""
    from access.operators import NAME_RE

    if not NAME_RE.match(name):
        raise InvalidInput(_("Operator name {name} is not valid: use 1 to 40 letters, digits, '.', '-' or '_'")
                           .format(name=name))
    secret = secrets.token_urlsafe(24)
    with audited(db, actor, "service.identity", name) as s:
        actor.require("operator_admin")
        role = _service_role(s)
        if not role.right_set() <= actor.rights:
            raise PermissionDenied(_("Operator {name} cannot grant rights it does not hold").format(name=actor.name))
        op = s.execute(sa.select(Operator).where(Operator.name == name)).scalar_one_or_none()
        if op is not None and op.role.name != SERVICE_ROLE:
            raise InvalidInput(_("Operator {name} exists and is not a service identity").format(name=name))
        created = op is None
        if op is None:
            op = Operator(name=name, display_name=name, role=role, all_areas=True,
                          password_hash=hash_password(secret))
            s.add(op)
        else:
            op.password_hash, op.active, op.failed_logins, op.locked_until = hash_password(secret), True, 0, None
        record(s, actor, "service.identity", name, {"created": created, "rights": sorted(role.right_set())})
    return secret


def write_secret(path: Path, secret: str, owner: str | None = None) -> Path:
    """The secret into `path`, readable by its owner only (0600; chowned to `owner` when root
    writes it for the account the service runs as)."""
    from models.station_paths import private_dir

    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(secret + "\n")
    if owner and os.name == "posix" and os.geteuid() == 0:
        import pwd

        entry = pwd.getpwnam(owner)
        os.chown(tmp, entry.pw_uid, entry.pw_gid)
    os.replace(tmp, path)
    return path


def read_secret(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as e:
        raise InvalidInput(_("Cannot read the service secret {path}: {reason}").format(
            path=path, reason=e.strerror or e)) from None


def is_service(actor: Actor) -> bool:
    return actor.role == SERVICE_ROLE


def runtime_actor(db: Database, station: str) -> Actor:
    """What the station's runtime acts as in the windows: the (first active) service operator
    with its role's rights; without one yet, the identity named after the role with the role's
    configured rights (so the log names `service` and the rights are the configured ones).
    PermissionDenied when the service operators were all disabled (no unattended work)."""
    from access.login import actor_for

    with db.read() as s:
        role = s.execute(sa.select(Role).where(Role.name == SERVICE_ROLE)).scalar_one_or_none()
        rights = role.right_set() if role is not None else SERVICE_RIGHTS
        ops = s.execute(sa.select(Operator).join(Role).where(Role.name == SERVICE_ROLE)
                        .order_by(Operator.id)).scalars().all()
        active = [op for op in ops if op.active]
        if active:
            return actor_for(s, active[0], station)
    if ops:
        raise PermissionDenied(_("The service identity {name} is disabled: the station does not poll, "
                                 "settle or trip").format(name=ops[0].name), right="poll")
    return Actor(name=DEFAULT_NAME, role=SERVICE_ROLE, rights=frozenset(rights), station=station)


def start_polling(db: Database, actor: Actor, what: str = "poll") -> None:
    """Check the poll right (a refusal is logged) and log the start under the actor's name."""
    with audited(db, actor, "poll.start", what) as s:
        actor.require("poll")
        record(s, actor, "poll.start", what, {"role": actor.role})
