"""Managing operators and roles: every change checked against the actor's rights and logged.

Rules beyond the `operator_admin` right: an operator can only hand out a role whose rights it
holds itself; only a super admin creates or changes super admins; nobody disables, demotes or
locks out the last active super admin.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from access.passwords import MIN_LENGTH, hash_password
from models.audit import audited, record
from models.db import Database
from models.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from models.operators import Operator, OperatorArea, Role
from models.rights import ALL_RIGHTS, BUILTIN_ROLES, SUPER_ADMIN, Actor, system_actor
from resources.i18n import _

NAME_RE = re.compile(r"^[\w.\-]{1,40}$")


@dataclass(frozen=True)
class OperatorInfo:
    name: str
    display_name: str
    role: str
    active: bool
    locked: bool
    all_areas: bool
    areas: tuple[int, ...]


def _check_name(name: str) -> None:
    if not NAME_RE.match(name):
        raise InvalidInput(_("Operator name {name} is not valid: use 1 to 40 letters, digits, '.', '-' or '_'")
                           .format(name=name))


def _check_password(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise InvalidInput(_("A password needs at least {n} characters").format(n=MIN_LENGTH))


def _role(s: Session, name: str) -> Role:
    role = s.execute(sa.select(Role).where(Role.name == name)).scalar_one_or_none()
    if role is None:
        known = ", ".join(s.execute(sa.select(Role.name).order_by(Role.id)).scalars())
        raise NotFound(_("There is no role {role}; roles: {known}").format(role=name, known=known))
    return role


def _may_grant(actor: Actor, role: Role) -> None:
    if role.name == SUPER_ADMIN and actor.role not in (SUPER_ADMIN, "system"):
        raise PermissionDenied(_("Only a super administrator can manage super administrators"))
    if not role.right_set() <= actor.rights:
        raise PermissionDenied(_("Operator {name} cannot grant rights it does not hold").format(name=actor.name))


def add_operator(db: Database, actor: Actor, name: str, password: str, role: str,
                 display_name: str = "", buildings: list[int] | None = None) -> OperatorInfo:
    _check_name(name)
    _check_password(password)
    with audited(db, actor, "operator.add", name) as s:
        actor.require("operator_admin")
        r = _role(s, role)
        _may_grant(actor, r)
        if s.execute(sa.select(Operator.id).where(Operator.name == name)).first():
            raise Conflict(_("Operator {name} already exists").format(name=name))
        op = Operator(name=name, display_name=display_name or name, role=r,
                      password_hash=hash_password(password), all_areas=buildings is None)
        s.add(op)
        s.flush()
        for b in buildings or []:
            s.add(OperatorArea(operator_id=op.id, building_id=b))
        record(s, actor, "operator.add", name, {"role": role, "buildings": buildings or "all"})
        return _info(s, op)


def create_first_operator(db: Database, name: str, password: str, station: str,
                          role: str = SUPER_ADMIN) -> OperatorInfo:
    """The very first operator of an empty station (no authentication possible yet)."""
    with db.read() as s:
        if s.execute(sa.select(sa.func.count()).select_from(Operator)).scalar_one():
            raise PermissionDenied(_("The station already has operators; log in to add more"))
    if role != SUPER_ADMIN:
        raise InvalidInput(_("The first operator must be a super administrator"))
    return add_operator(db, system_actor(station), name, password, role)


def _info(s: Session, op: Operator) -> OperatorInfo:
    from models.base import utcnow

    areas = tuple(s.execute(sa.select(OperatorArea.building_id)
                            .where(OperatorArea.operator_id == op.id)).scalars())
    locked = op.locked_until is not None and op.locked_until > utcnow()
    return OperatorInfo(op.name, op.display_name, op.role.name, op.active, locked, op.all_areas, areas)


def list_operators(db: Database) -> list[OperatorInfo]:
    with db.read() as s:
        return [_info(s, op) for op in s.execute(sa.select(Operator).order_by(Operator.id)).scalars()]


def _operator(s: Session, name: str) -> Operator:
    op = s.execute(sa.select(Operator).where(Operator.name == name)).scalar_one_or_none()
    if op is None:
        raise NotFound(_("There is no operator {name}").format(name=name))
    return op


def _guard_last_super(s: Session, op: Operator) -> None:
    if op.role.name != SUPER_ADMIN:
        return
    supers = s.execute(sa.select(sa.func.count()).select_from(Operator).join(Role)
                       .where(Role.name == SUPER_ADMIN, Operator.active.is_(True))).scalar_one()
    if supers <= 1:
        raise Conflict(_("{name} is the last active super administrator").format(name=op.name))


def update_operator(db: Database, actor: Actor, name: str, *, role: str | None = None,
                    active: bool | None = None, password: str | None = None,
                    unlock: bool = False, buildings: list[int] | None | str = "keep") -> OperatorInfo:
    """Change role, active flag, password, lock or buildings ("keep" leaves them; None = all)."""
    if password is not None:
        _check_password(password)
    # only its own password may an operator change without operator_admin; whether that is the
    # case is decided by the name alone, so a refusal says nothing of which operators exist
    own_password = password is not None and name == actor.name and actor.operator_id is not None \
        and role is None and active is None and not unlock and buildings == "keep"
    with audited(db, actor, "operator.update", name) as s:
        if not own_password:
            actor.require("operator_admin")
        op = _operator(s, name)
        if not own_password or actor.operator_id != op.id:
            actor.require("operator_admin")
            _may_grant(actor, op.role)
        changes: dict[str, object] = {}
        if role is not None and role != op.role.name:
            new = _role(s, role)
            _may_grant(actor, new)
            _guard_last_super(s, op)
            op.role, changes["role"] = new, role
        if active is not None and active != op.active:
            if not active:
                _guard_last_super(s, op)
            op.active, changes["active"] = active, active
        if password is not None:
            op.password_hash, changes["password"] = hash_password(password), "changed"
        if unlock:
            op.failed_logins, op.locked_until, changes["unlocked"] = 0, None, True
        if buildings != "keep":
            s.execute(sa.delete(OperatorArea).where(OperatorArea.operator_id == op.id))
            op.all_areas = buildings is None
            for b in buildings or []:
                s.add(OperatorArea(operator_id=op.id, building_id=int(b)))
            changes["buildings"] = buildings or "all"
        record(s, actor, "operator.update", name, changes)
        return _info(s, op)


def define_role(db: Database, actor: Actor, name: str, label: str, rights: list[str]) -> None:
    """Create or change a role an admin defines (built-in roles cannot change)."""
    unknown = set(rights) - ALL_RIGHTS
    if unknown:
        raise InvalidInput(_("Unknown rights: {rights}").format(rights=", ".join(sorted(unknown))))
    if not NAME_RE.match(name):
        raise InvalidInput(_("Role name {name} is not valid").format(name=name))
    with audited(db, actor, "role.define", name) as s:
        actor.require("operator_admin")
        if not set(rights) <= actor.rights:
            raise PermissionDenied(_("Operator {name} cannot grant rights it does not hold").format(name=actor.name))
        role = s.execute(sa.select(Role).where(Role.name == name)).scalar_one_or_none()
        if role is not None and role.builtin:
            raise Conflict(_("Built-in role {name} cannot be changed").format(name=name))
        if role is None:
            role = Role(name=name, builtin=False)
            s.add(role)
        role.label, role.rights = label, " ".join(sorted(rights))
        record(s, actor, "role.define", name, {"label": label, "rights": sorted(rights)})


def list_roles(db: Database) -> list[Role]:
    with db.read() as s:
        return list(s.execute(sa.select(Role).order_by(Role.id)).scalars())


def builtin_role_rows() -> list[dict[str, object]]:
    """Rows the first migration inserts."""
    return [{"name": n, "label": label, "builtin": True, "rights": " ".join(sorted(r))}
            for n, (label, r) in BUILTIN_ROLES.items()]
