"""The `db` fixture hands each test a copy of a migrated template (tests/dbs.py Templates): the
copy must be what migrating the test's own empty database would have made - the same tables,
revision and rows, and an operation log that verifies with the test's own station key."""
from __future__ import annotations

import sqlalchemy as sa

from models import oplog, station_key
from models.db import Database
from tests.dbs import make_url


def _contents(database: Database) -> dict[str, object]:
    with database.writer.connect() as c:
        tables = sorted(sa.inspect(c).get_table_names())
        rows = {t: sorted(map(tuple, c.execute(sa.text(f'SELECT * FROM "{t}"')).all()), key=repr)
                for t in tables if t not in ("oplog", "oplog_head")}
        log = c.execute(sa.text("SELECT seq, operator, station, action, target, details, covers "
                                "FROM oplog ORDER BY seq")).all()
    return {"tables": tables, "rows": rows, "log": [tuple(r) for r in log]}


def test_db_is_what_an_upgrade_makes(db, db_url, tmp_path):
    kind = "sqlite" if db_url.startswith("sqlite") else "postgres"
    (tmp_path / "fresh").mkdir()
    url, cleanup = make_url(kind, tmp_path / "fresh")
    fresh = Database.open(url, upgrade=True)       # the same config folder: the same station key
    try:
        assert _contents(db) == _contents(fresh)
        with db.read() as session:
            result = oplog.verify(session, key=station_key.load())
        assert result.ok, result
        assert result.rows > 0
    finally:
        fresh.dispose()
        if cleanup is not None:
            cleanup.drop()
