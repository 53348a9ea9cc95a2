"""The log's rows written at commit with fewer statements on PostgreSQL (issue 12): the "oplog"
counter and the head in one statement, the rows and the head's move in another — for one row, a
few rows, and more rows than one statement takes (then the rows in one INSERT, the head after).
The chain stays whole on both backends; a database whose head row is missing is numbered from
the counter and gets its head back, as before the merge."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from models import oplog
from models.audit import record
from models.counters import peek
from models.rights import system_actor


def _rows(db, n: int) -> None:
    actor = system_actor("T")
    with db.write() as s:
        for i in range(n):
            record(s, actor, "test.action", f"t{i}", {"i": i})


@pytest.mark.parametrize("n", [1, 3, 8, 9, 25])
def test_rows_of_one_transaction_chain(db, n):
    with db.read() as s:
        before = oplog.verify(s).rows
    _rows(db, n)
    _rows(db, 1)
    with db.read() as s:
        result = oplog.verify(s)
        head = oplog.head_anchor(s)
        assert peek(s, "oplog") == head.seq
    assert result.ok and result.rows == before + n + 1 == head.seq


def test_a_missing_head_is_numbered_from_the_counter(db):
    _rows(db, 2)
    with db.read() as s:
        last = peek(s, "oplog")
    with db.writer.begin() as c:
        c.execute(sa.delete(oplog.OpLogHead.__table__))
    _rows(db, 2)
    with db.read() as s:
        head = oplog.head_anchor(s)
        first = s.get(oplog.OpLogEntry, last + 1)
        assert head.seq == peek(s, "oplog") == last + 2
        assert first is not None and first.prev_hash == oplog.GENESIS     # the head's hash was gone with it
