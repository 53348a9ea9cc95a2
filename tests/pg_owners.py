"""Which test process a PostgreSQL database or schema of the suite belongs to, and the sweep of
those whose process is dead (a killed worker leaves them behind: nothing ran its drop).

Every database and schema tests/dbs.py makes is named

    PREFIX_<host>p<pid>s<start>_<random>      e.g. t_3fa9c1p48213s901244_0c5e2d7a, tpl_...

host: six hex digits of this machine (its name and its process-id namespace, so a server shared
with another machine or container is told apart: their pids are not ours to judge); pid: the
pytest process (an xdist worker) that made it; start: that process's start time in clock ticks
since boot (/proc/PID/stat, field 22; 0 where there is no /proc), so a pid the system gave again
to another process is not taken for the owner.

sweep() (at session start, tests/conftest.py) drops each database and schema of this machine
whose owner is gone: no such pid, or that pid started at another time. A live worker's (the
other xdist worker, another checkout's run) is never touched, nor a name without an owner (made
by older code, or not by the suite).
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import socket
import uuid

import sqlalchemy as sa

log = logging.getLogger(__name__)
PREFIXES = ("t", "tpl")
NAME = re.compile(r"^(t|tpl)_([0-9a-f]{6})p(\d+)s(\d+)_[0-9a-f]{8}$")


def host_key() -> str:
    """This machine and process-id namespace, in six hex digits."""
    try:
        namespace = str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        namespace = ""
    return hashlib.sha256(f"{socket.gethostname()}|{namespace}".encode()).hexdigest()[:6]


def start_ticks(pid: int) -> int | None:
    """When process `pid` started (clock ticks since boot), 0 when this system does not say
    (no /proc), None when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            stat = f.read()
    except FileNotFoundError:
        return None
    except OSError:
        return 0 if _exists(pid) else None
    fields = stat.rsplit(")", 1)[1].split()     # after "(comm)": field 3 onwards
    return int(fields[19])                       # field 22: starttime


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:                      # another user's process: it exists
        return True
    except OSError:
        return False
    return True


def owner_tag(pid: int | None = None) -> str:
    """`<host>p<pid>s<start>` of process `pid` (this process by default)."""
    pid = os.getpid() if pid is None else pid
    return f"{host_key()}p{pid}s{start_ticks(pid) or 0}"


def new_name(prefix: str) -> str:
    """A fresh database or schema name owned by this process."""
    assert prefix in PREFIXES
    return f"{prefix}_{owner_tag()}_{uuid.uuid4().hex[:8]}"


def is_dead(name: str, host: str | None = None) -> bool:
    """Whether `name` is this machine's and its owner process is gone; False for any name
    without an owner or of another machine."""
    m = NAME.match(name)
    if m is None or m.group(2) != (host or host_key()):
        return False
    pid, start = int(m.group(3)), int(m.group(4))
    now = start_ticks(pid)
    if now is None:
        return True                              # no such process
    return start != 0 and now != 0 and now != start     # the pid is another process's now


def sweep(admin_url: str) -> list[str]:
    """Drop the databases (and the schemas of the admin database) whose owner is dead; return
    their names. A drop that fails (another sweep dropped it first, a session still in it) is
    logged and left."""
    host = host_key()
    dropped: list[str] = []
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as c:
            databases = c.execute(sa.text("SELECT datname FROM pg_database WHERE datname ~ '^(t|tpl)_'")).scalars()
            schemas = c.execute(sa.text("SELECT nspname FROM pg_namespace WHERE nspname ~ '^t_'")).scalars()
            for kind, names in (("DATABASE", list(databases)), ("SCHEMA", list(schemas))):
                for name in names:
                    if not is_dead(name, host):
                        continue
                    tail = " WITH (FORCE)" if kind == "DATABASE" else " CASCADE"
                    try:
                        c.execute(sa.text(f'DROP {kind} IF EXISTS "{name}"{tail}'))
                        dropped.append(name)
                    except sa.exc.DBAPIError as e:
                        log.warning("left %s %s of a dead test process: %s", kind.lower(), name, e)
    finally:
        engine.dispose()
    return dropped
