"""What the windows share once an operator has logged in: the database, the actor, the
station name, and whether this is a demo station."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from models.db import Database
from models.rights import Actor


@dataclass
class StationSession:
    db: Database
    actor: Actor
    station: str
    demo: bool = False
    services: dict[str, Any] = field(default_factory=dict)   # poller, scheduler... (later issues)

    def can(self, right: str) -> bool:
        return self.actor.can(right)
