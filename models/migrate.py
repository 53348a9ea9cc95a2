"""Schema migrations with Alembic, driven from code (no alembic.ini needed).

`upgrade(db)` creates or migrates the schema; `check_schema(db)` refuses a database whose
schema revision this program does not know (written by a newer MeterStation) or that has no
schema yet; `offline_sql(url)` returns the DDL for a backend without connecting (T-SQL check).
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from models.db_errors import translate_db_errors
from models.errors import DatabaseError
from resources.i18n import _

if TYPE_CHECKING:
    from models.db import Database

SCRIPT_LOCATION = str(Path(__file__).parent / "migrations")


def _config(url: str | None = None, output: io.StringIO | None = None) -> Config:
    cfg = Config(output_buffer=output) if output is not None else Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head() or ""


def known_revisions() -> set[str]:
    return {s.revision for s in ScriptDirectory.from_config(_config()).walk_revisions()}


def current_revision(db: Database) -> str | None:
    with translate_db_errors(), db.writer.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(db: Database, target: str = "head") -> tuple[str | None, str]:
    """Migrate to target; returns (revision before, revision after)."""
    before = current_revision(db)
    if before is not None and before not in known_revisions():
        raise _too_new(before)
    from models import station_key

    station_key.ensure()                 # the log's key, outside the database (0600)
    cfg = _config()
    with translate_db_errors(), db.writer.begin() as conn:
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
    out = io.StringIO()
    command.upgrade(_config(url, out), "head", sql=True)
    return out.getvalue()


def table_names(db: Database) -> list[str]:
    return sa.inspect(db.writer).get_table_names()
