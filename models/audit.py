"""How services run a protected unit of work and write its operation-log row.

    with audited(db, actor, "operator.add", target=name) as s:
        actor.require("operator_admin")
        ...change things with s...
        record(s, actor, "operator.add", name, {"role": role})

The change and its log row commit together. A refusal (PermissionDenied) rolls the change
back and is itself logged in a transaction of its own, so denied attempts are visible too.

A service that only reads checks its right with `require_read` (nothing is written when the
right is held; a refusal is logged the same way, in a write transaction of its own, so a read
refused inside a caller's read transaction still leaves its `denied` row).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

from models import oplog
from models.db import Database
from models.errors import PermissionDenied, ReadOnlyDatabase
from models.rights import Actor
from resources.i18n import _


def record(session: Session, actor: Actor, action: str, target: str = "",
           details: dict[str, Any] | None = None) -> oplog.OpLogEntry:
    return oplog.append(session, operator=actor.name, station=actor.station, action=action,
                        target=target, details=details)


def log_denied(db: Database, actor: Actor, action: str, target: str, denied: PermissionDenied) -> None:
    """The `denied` row of a refusal, committed in a write transaction of its own."""
    with db.write() as session:
        record(session, actor, "denied", target,
               {"action": action, "reason": str(denied), **{k: str(v) for k, v in denied.details.items()}})


@contextmanager
def audited(db: Database, actor: Actor, action: str, target: str = "") -> Iterator[Session]:
    try:
        with db.write() as session:
            yield session
    except PermissionDenied as denied:
        log_denied(db, actor, action, target, denied)
        raise


def require_read(db: Database, actor: Actor, right: str, action: str, target: str = "",
                 building_id: int | None = None) -> None:
    """The check of a read: `actor` holds `right` (on that building), else PermissionDenied,
    logged as one `denied` row naming `action`. Nothing is written when the right is held."""
    if not isinstance(actor, Actor):        # the type says Actor; a front end passing None is refused
        raise PermissionDenied(_("This needs a logged-in operator"), right=right)
    if actor.can(right, building_id):
        return
    try:
        actor.require(right, building_id)
    except PermissionDenied as denied:
        try:
            log_denied(db, actor, action, target, denied)
        except ReadOnlyDatabase:            # a read-only file: the refusal stands, unlogged (none can be)
            pass
        raise
