"""Demo mode: a fresh station database in a temporary folder, with a demo administrator.

Later work fills it with buildings, meters on simulated links, accounts, tariffs and months of
readings and sales; the simulator refuses to run outside demo or test mode.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from models import operator_service
from models.db import Database

DEMO_OPERATOR = "demo"
DEMO_PASSWORD = "demo-admin"


@dataclass
class DemoStation:
    folder: Path
    url: str
    operator: str = DEMO_OPERATOR
    password: str = DEMO_PASSWORD


def create_demo_station(station: str, folder: str | None = None) -> DemoStation:
    """Create the demo database (schema, demo admin) and return where it is."""
    path = Path(folder or tempfile.mkdtemp(prefix="meterstation-demo-"))
    path.mkdir(parents=True, exist_ok=True)
    os.environ["METERSTATION_DEMO"] = "1"
    url = f"sqlite:///{path / 'demo.db'}"
    db = Database.open(url, upgrade=True)
    try:
        operator_service.create_first_operator(db, DEMO_OPERATOR, DEMO_PASSWORD, station)
    finally:
        db.dispose()
    return DemoStation(path, url)
