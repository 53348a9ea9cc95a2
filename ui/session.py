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
    # "runtime": once started (ui/bridge.RuntimeHost), the child process's ui.runtime_process.RuntimeProxy
    # (wake, read_group, read_now) or, in process, the station.runtime.StationRuntime,
    # "bridge": ui.bridge.EventBridge (live Qt signals), "runtime_host", "demo": ui.demo.DemoStation
    services: dict[str, Any] = field(default_factory=dict)

    def can(self, right: str) -> bool:
        return self.actor.can(right)
