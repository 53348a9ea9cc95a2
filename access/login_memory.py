"""Failed logins counted in this process when the database cannot record them (a read-only
SQLite file, a server that refuses writes): the stored rule's limit (security.lock_after) and
lock time (access.login.LOCK_MINUTES), kept here per database and operator name so a brute force
against a read-only copy is stopped too. The count starts from the operator's stored count and
is forgotten when the process ends (a new process starts from the stored count again)."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta

_lock = threading.Lock()
_failed: dict[tuple[str, str], int] = {}          # (database URL, operator) -> failures counted here
_locked: dict[tuple[str, str], datetime] = {}     # ... -> locked until (UTC)


def locked_until(key: tuple[str, str], now: datetime) -> datetime | None:
    """The end of this process's lock of the operator, None when it is not locked here."""
    with _lock:
        until = _locked.get(key)
        if until is not None and until <= now:
            del _locked[key]
            return None
        return until


def failed(key: tuple[str, str], stored: int, limit: int, now: datetime, minutes: int) -> datetime | None:
    """Count one wrong password on top of the `stored` count; at `limit` lock the operator for
    `minutes` and start again from zero (as the stored rule does). The lock's end, else None."""
    with _lock:
        count = _failed.get(key, 0) + 1
        if stored + count < limit:
            _failed[key] = count
            return None
        _failed[key] = -stored                    # the stored count cannot be reset: offset it
        _locked[key] = until = now + timedelta(minutes=minutes)
        return until


def succeeded(key: tuple[str, str]) -> None:
    """A right password: the count starts again (the stored rule sets failed_logins to 0)."""
    with _lock:
        _failed.pop(key, None)


def forget() -> None:
    """Drop every count and lock (an administrator's unlock writes; tests start afresh)."""
    with _lock:
        _failed.clear()
        _locked.clear()
