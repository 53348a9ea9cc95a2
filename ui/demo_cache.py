"""The demo's filled database, built once a day and copied (ui/demo.py).

Building the 144-meter demo takes ≈ 2.5 s CPU (its history generated in bulk; 6–15 s when the
billing calls were replayed one by one). The result depends only on the day (the history is
backdated from today), the seed, the station name and the code that builds it (the demo, billing,
models, archive and access packages), so it is kept in the temp folder under a key made of those,
with the planned meters (their final energy, balance, relay) the simulators start from. A later
demo the same day copies the file (well under a second). Only today's entries are kept; a changed
source file, another day or another station builds a new one. METERSTATION_DEMO_CACHE=0 turns it off.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

_ROOT = Path(__file__).resolve().parent.parent
_SOURCES = ("ui/demo.py", "ui/demo_history.py", "billing", "models", "archive", "access")


def enabled() -> bool:
    """Off when METERSTATION_DEMO_CACHE=0, and in the frozen program (its sources, which key the
    cache, are not files there)."""
    if getattr(sys, "frozen", False):
        return False
    return os.environ.get("METERSTATION_DEMO_CACHE", "1") != "0"


def folder() -> Path:
    return Path(tempfile.gettempdir()) / "meterstation-demo-cache"


def _today() -> str:
    """The day the cached demo is good for: the demo's history is drawn in station days of a
    fresh database, whose zone is the default one (no database is open yet when this is asked)."""
    from zoneinfo import ZoneInfo

    from models.station_time import DEFAULT_ZONE

    return datetime.now(ZoneInfo(DEFAULT_ZONE)).date().isoformat()


def key(station: str, seed: int) -> str:
    """The cache entry for this day, station, seed, the code that builds it and station key: the
    cached database's operation log is keyed with the station key (models/station_key.py), so a
    copy is only usable where the same key is."""
    from models import station_key

    kid = station_key.key_id(station_key.ensure())
    day = _today()
    h = hashlib.sha256(f"{day}|{station}|{seed}|{kid}".encode())
    for name in _SOURCES:
        path = _ROOT / name
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for f in files:
            h.update(str(f.relative_to(_ROOT)).encode())
            h.update(f.read_bytes())
    return f"{day}-{h.hexdigest()[:24]}"


def load(k: str, target_db: Path) -> tuple[list[Any], dict[str, int]] | None:
    """Copy the cached database to target_db; returns (planned meters, counts), or None."""
    entry = folder() / k
    try:
        with open(entry / "meters.pickle", "rb") as f:
            meters, counts = pickle.load(f)
        shutil.copyfile(entry / "demo.db", target_db)
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, AttributeError):
        target_db.unlink(missing_ok=True)       # never half a copy
        return None
    return meters, counts


def store(k: str, source_db: Path, meters: list[Any], counts: dict[str, int]) -> None:
    """Keep this build (best effort: a full disk or a read-only temp folder only costs time)."""
    root = folder()
    try:
        root.mkdir(parents=True, exist_ok=True)
        for old in root.iterdir():             # other days' builds (today's may be another checkout's)
            if not old.name.startswith(k[:10]):
                shutil.rmtree(old, ignore_errors=True)
        part = root / f"{k}.part{os.getpid()}"
        part.mkdir(exist_ok=True)
        shutil.copyfile(source_db, part / "demo.db")
        with open(part / "meters.pickle", "wb") as f:
            pickle.dump((meters, dict(counts)), f)
        os.replace(part, root / k)
    except OSError:
        shutil.rmtree(root / f"{k}.part{os.getpid()}", ignore_errors=True)
