"""Schema migrations with Alembic, driven from code (no alembic.ini needed).

`upgrade(db)` creates or migrates the schema; `check_schema(db)` refuses a database whose
schema revision this program does not know (written by a newer MeterStation) or that has no
schema yet; `offline_sql(url)` returns the DDL for a backend without connecting (T-SQL check).

Alembic (≈ half a second of imports) is loaded only to migrate or to print DDL: the head and
the known revisions come from reading the `revision` / `down_revision` lines of the scripts in
migrations/versions/ (a test keeps them equal to Alembic's own view), the stored revision from
one SELECT on alembic_version — so a command on an up-to-date database never imports it.
"""
from __future__ import annotations

import ast
import functools
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from models.db_errors import translate_db_errors
from models.errors import DatabaseError
from resources.i18n import _

if TYPE_CHECKING:
    from alembic.config import Config

    from models.db import Database

SCRIPT_LOCATION = str(Path(__file__).parent / "migrations")
VERSION_TABLE = "alembic_version"          # Alembic's default; env.py keeps it (no schema)
_ASSIGN = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.M)


@functools.lru_cache(maxsize=1)
def _graph() -> dict[str, tuple[str, ...]]:
    """revision -> the revisions it follows, from the version scripts' module-level assignments."""
    graph: dict[str, tuple[str, ...]] = {}
    for script in sorted((Path(SCRIPT_LOCATION) / "versions").glob("*.py")):
        found = {m[1]: m[2] for m in _ASSIGN.finditer(script.read_text(encoding="utf-8"))}
        if "revision" not in found:
            continue
        rev = ast.literal_eval(found["revision"])
        down = ast.literal_eval(found.get("down_revision", "None"))
        graph[rev] = () if down is None else (down,) if isinstance(down, str) else tuple(down)
    return graph


def _config(url: str | None = None, output: io.StringIO | None = None) -> Config:
    from alembic.config import Config

    cfg = Config(output_buffer=output) if output is not None else Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    graph = _graph()
    followed = {d for downs in graph.values() for d in downs}
    heads = [rev for rev in graph if rev not in followed]
    if len(heads) != 1:                     # several heads (a merge not re-chained): Alembic says so
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(_config()).get_current_head() or ""
    return heads[0]


def known_revisions() -> set[str]:
    return set(_graph())


def current_revision(db: Database, *, reading: bool = False) -> str | None:
    """The stored schema revision (None: no schema), read as Alembic reads it. reading=True (a
    page that only shows it) reads through the read pool: on SQLite the writer's transactions
    begin IMMEDIATE and would queue behind the poller's writes and take the write lock."""
    with translate_db_errors(), (db.reader if reading else db.writer).connect() as conn:
        if not sa.inspect(conn).has_table(VERSION_TABLE):
            return None
        revs = conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
        if len(revs) > 1:                   # Alembic refuses a version table with several heads
            from alembic.runtime.migration import MigrationContext

            return MigrationContext.configure(conn).get_current_revision()
        return revs[0] if revs else None


def upgrade(db: Database, target: str = "head") -> tuple[str | None, str]:
    """Migrate to target; returns (revision before, revision after)."""
    before = current_revision(db)
    if before is not None and before not in known_revisions():
        raise _too_new(before)
    from models import station_key

    station_key.ensure()                 # the log's key, outside the database (0600)
    if before is not None and before == (head_revision() if target == "head" else target):
        return before, before            # up to date: Alembic not even imported
    from alembic import command

    from models import station_time

    cfg = _config()
    with station_time.migrating(db), translate_db_errors(), db.writer.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, target)
    return before, current_revision(db) or ""


def _too_new(rev: str) -> DatabaseError:
    return DatabaseError(_("This database was written by a newer MeterStation (schema {rev}); "
                           "install the newer program to open it").format(rev=rev))


def check_schema(db: Database) -> str:
    """Return the schema revision, or raise DatabaseError if unusable by this program."""
    rev = current_revision(db)
    if rev is None:
        raise DatabaseError(_("The database has no station schema; run 'meterstation db upgrade'"))
    if rev not in known_revisions():
        raise _too_new(rev)
    if rev != head_revision():
        raise DatabaseError(_("The database schema {rev} is older than this program; run "
                              "'meterstation db upgrade'").format(rev=rev))
    return rev


def offline_sql(url: str) -> str:
    """The full upgrade script as SQL text for url's dialect, without connecting."""
    from alembic import command

    out = io.StringIO()
    command.upgrade(_config(url, out), "head", sql=True)
    return out.getvalue()


def table_names(db: Database) -> list[str]:
    return sa.inspect(db.writer).get_table_names()
