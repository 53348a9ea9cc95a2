"""How services run a protected unit of work and write its operation-log row.

    with audited(db, actor, "operator.add", target=name) as s:
        actor.require("operator_admin")
        ...change things with s...
        record(s, actor, "operator.add", name, {"role": role})

The change and its log row commit together. A refusal (PermissionDenied) rolls the change
back and is itself logged in a transaction of its own, so denied attempts are visible too.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm import Session

from models import oplog
from models.db import Database
from models.errors import PermissionDenied
from models.rights import Actor


def record(session: Session, actor: Actor, action: str, target: str = "",
           details: dict[str, Any] | None = None) -> oplog.OpLogEntry:
    return oplog.append(session, operator=actor.name, station=actor.station, action=action,
                        target=target, details=details)


@contextmanager
def audited(db: Database, actor: Actor, action: str, target: str = "") -> Iterator[Session]:
    try:
        with db.write() as session:
            yield session
    except PermissionDenied as denied:
        with db.write() as session:
            record(session, actor, "denied", target,
                   {"action": action, "reason": str(denied), **{k: str(v) for k, v in denied.details.items()}})
        raise
