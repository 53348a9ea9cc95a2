"""A killed test worker left its PostgreSQL databases behind (templates tpl_*, per-test t_*):
nothing dropped them, run after run. Their names now carry the owning process
(tests/pg_owners.py), and the session start drops those whose process is dead — never a live
worker's (xdist runs two at once), another machine's, or a name without an owner."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
import sqlalchemy as sa

from tests import dbs, pg_owners

pytestmark = pytest.mark.postgres


@pytest.fixture
def admin():
    dbs.require_pg()
    engine = sa.create_engine(dbs.PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    made: list[tuple[str, str]] = []

    def make(kind: str, name: str) -> str:
        with engine.connect() as c:
            c.execute(sa.text(f'CREATE {kind} "{name}"'))
        made.append((kind, name))
        return name

    yield make
    with engine.connect() as c:
        for kind, name in made:
            c.execute(sa.text(f'DROP {kind} IF EXISTS "{name}"' + (" WITH (FORCE)" if kind == "DATABASE" else
                                                                     " CASCADE")))
    engine.dispose()


def _exists(kind: str, name: str) -> bool:
    table, column = ("pg_database", "datname") if kind == "DATABASE" else ("pg_namespace", "nspname")
    engine = sa.create_engine(dbs.PG_ADMIN_URL)
    try:
        with engine.connect() as c:
            return c.execute(sa.text(f"SELECT count(*) FROM {table} WHERE {column} = :n"), {"n": name}).scalar() == 1
    finally:
        engine.dispose()


def _dead_tag() -> str:
    """The owner tag of a process that has ended (its pid is free now)."""
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    tag = pg_owners.owner_tag(child.pid)
    child.communicate(b"")
    assert pg_owners.start_ticks(child.pid) is None, "the pid was given again at once"
    return tag


def _name(prefix: str, tag: str) -> str:
    return f"{prefix}_{tag}_{uuid.uuid4().hex[:8]}"


def test_the_dead_go_the_live_stay(admin):
    dead = _dead_tag()
    me = pg_owners.owner_tag()
    host, rest = me[:6], me[6:]
    pid_again = f"{host}p{os.getpid()}s{pg_owners.start_ticks(os.getpid()) + 1}"  # this pid, another start
    elsewhere = ("000000" if host != "000000" else "ffffff") + dead[6:]          # another machine's
    gone = [("DATABASE", admin("DATABASE", _name("t", dead))), ("DATABASE", admin("DATABASE", _name("tpl", dead))),
            ("SCHEMA", admin("SCHEMA", _name("t", dead))), ("DATABASE", admin("DATABASE", _name("t", pid_again)))]
    kept = [("DATABASE", admin("DATABASE", _name("t", me))), ("DATABASE", admin("DATABASE", _name("tpl", me))),
            ("SCHEMA", admin("SCHEMA", _name("t", me))), ("DATABASE", admin("DATABASE", _name("t", elsewhere))),
            ("DATABASE", admin("DATABASE", "t_" + uuid.uuid4().hex[:12]))]          # no owner: older code's
    assert rest.startswith("p")
    dropped = dbs.sweep_dead()
    assert {n for _k, n in gone} <= set(dropped)
    assert not any(_exists(k, n) for k, n in gone)
    assert all(_exists(k, n) for k, n in kept)
    assert not {n for _k, n in kept} & set(dropped)


def test_a_live_worker_of_another_process_stays(admin):
    """xdist's other worker: a live process that is not this one."""
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        name = admin("DATABASE", _name("t", pg_owners.owner_tag(child.pid)))
        dbs.sweep_dead()
        assert _exists("DATABASE", name)
    finally:
        child.communicate(b"")
    assert name in dbs.sweep_dead()                      # once it has ended


def test_the_suite_names_its_databases_for_their_owner(db_url):
    if db_url.startswith("sqlite"):
        pytest.skip("a file of the test's own folder")
    name = sa.engine.make_url(db_url).database
    if name == "test":                                   # make_url's schema (search_path)
        name = db_url.rsplit("%3D", 1)[1]
    m = pg_owners.NAME.match(name)
    assert m is not None and int(m.group(3)) == os.getpid() and not pg_owners.is_dead(name)
