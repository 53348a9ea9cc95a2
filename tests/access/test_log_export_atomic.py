"""`log export`: the file and its `log.export` row agree (both backends).

The rows stream to a temporary file beside the target; the row is committed; only then is the
file renamed into place. Each failure is forced for real, without mocking the writer:

* the file cannot be written: the process's file-size limit (RLIMIT_FSIZE; the tests run as
  root, so a read-only folder would not stop them) makes the write fail with EFBIG halfway;
* the commit fails: a trigger in the database refuses the `log.export` row at the commit.

Either way: no file at the target, no temporary file left beside it, no `log.export` row, and
the chain still verifies.
"""
from __future__ import annotations

import contextlib
import json
import resource

import pytest
import sqlalchemy as sa

from access import log_view
from access import login as auth
from access import operators as ops
from models import oplog
from models.errors import InvalidInput
from printing.oplog_export import export_log


@pytest.fixture
def viewer(db, superadmin):
    ops.add_operator(db, superadmin, "vic", "pass-456", "viewer")
    with db.write() as s:          # enough rows that the file is far beyond the size limit below
        for i in range(3000):
            oplog.append(s, operator="root", station="TEST", action="test.fill", target=f"row {i}",
                         details={"n": i, "pad": "x" * 40})
    return auth.login(db, "vic", "pass-456", "TEST")


def _exports(db) -> list[tuple[str, str, dict]]:
    with db.read() as s:
        q = sa.select(oplog.OpLogEntry).where(oplog.OpLogEntry.action == "log.export")
        return [(e.operator, e.target, json.loads(e.details)) for e in s.execute(q).scalars()]


@contextlib.contextmanager
def _file_size_limit(limit: int):
    """Writes beyond `limit` bytes fail with EFBIG in this process (Python ignores SIGXFSZ).
    Only the export runs inside: it reads the database (PostgreSQL's server is another process;
    SQLite's read transaction writes nothing)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


def _refuse_export_rows(db) -> None:
    """A trigger that refuses to insert a `log.export` row: the commit of the export's row fails."""
    with db.writer.begin() as c:
        if db.writer.dialect.name == "sqlite":
            c.exec_driver_sql("CREATE TRIGGER refuse_export BEFORE INSERT ON oplog WHEN NEW.action = 'log.export' "
                              "BEGIN SELECT RAISE(ABORT, 'export rows refused'); END")
        else:
            c.exec_driver_sql("CREATE FUNCTION refuse_export() RETURNS trigger AS $$ BEGIN "
                              "IF NEW.action = 'log.export' THEN RAISE EXCEPTION 'export rows refused'; END IF; "
                              "RETURN NEW; END $$ LANGUAGE plpgsql")
            c.exec_driver_sql("CREATE TRIGGER refuse_export BEFORE INSERT ON oplog FOR EACH ROW "
                              "EXECUTE FUNCTION refuse_export()")


def _allow_export_rows(db) -> None:
    with db.writer.begin() as c:
        c.exec_driver_sql("DROP TRIGGER refuse_export" if db.writer.dialect.name == "sqlite"
                          else "DROP TRIGGER refuse_export ON oplog")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_file_that_cannot_be_written_leaves_no_row_and_no_file(db, viewer, tmp_path, suffix):
    out = tmp_path / "out"
    out.mkdir()
    target = out / f"log{suffix}"
    with _file_size_limit(20_000), pytest.raises(OSError) as failed:
        log_view.export(db, viewer, target, write=export_log)
    assert failed.value.errno == 27                      # EFBIG: the write itself failed
    assert list(out.iterdir()) == []                     # neither the file nor a temporary one
    assert _exports(db) == []
    with db.read() as s:
        assert oplog.verify(s).ok
    assert log_view.export(db, viewer, target, write=export_log) >= 3000      # and it works again
    assert [t for _o, t, _d in _exports(db)] == [str(target)]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_commit_that_fails_leaves_no_file(db, viewer, tmp_path, suffix):
    out = tmp_path / "out"
    out.mkdir()
    target = out / f"log{suffix}"
    _refuse_export_rows(db)
    with pytest.raises(Exception, match="export rows refused"):
        log_view.export(db, viewer, target, write=export_log)
    assert list(out.iterdir()) == []                     # the written rows went with the commit
    assert _exports(db) == []
    _allow_export_rows(db)
    with db.read() as s:
        assert oplog.verify(s).ok
    n = log_view.export(db, viewer, target, write=export_log)
    assert [(o, t, d["rows"]) for o, t, d in _exports(db)] == [("vic", str(target), n)]
    assert sorted(p.name for p in out.iterdir()) == [target.name]


def test_a_target_that_cannot_be_renamed_to_is_refused_before_the_commit(db, viewer, tmp_path):
    target = tmp_path / "log.csv"
    target.mkdir()                                       # a folder where the file should go
    with pytest.raises(InvalidInput):
        log_view.export(db, viewer, target, write=export_log)
    assert _exports(db) == []
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".log")] == []
