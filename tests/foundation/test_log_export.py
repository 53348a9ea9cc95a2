"""`log export` streams (issue 12): rows go from a batched cursor to the file, so memory does not
grow with the log; the file holds every matching row, newest first, formulas neutralised."""
from __future__ import annotations

import csv
import json
import tracemalloc
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from models.oplog import OpLogEntry

START = datetime(2025, 11, 1, tzinfo=UTC)
END = datetime(2026, 1, 1, tzinfo=UTC)      # the seeded rows, not the station's own


def _seed(db, n: int) -> int:
    """Append n rows after whatever the log holds; return the first new seq."""
    with db.read() as s:
        first = s.execute(sa.select(sa.func.coalesce(sa.func.max(OpLogEntry.seq), 0))).scalar_one() + 1
    rows = [{"seq": first + i, "at": START + timedelta(seconds=30 * (first + i)), "operator": f"op{i % 3}",
             "station": "收费窗口1", "action": "sale" if i % 2 else "login",
             "target": "=HYPERLINK(\"http://x\",\"y\")" if i % 10 == 0 else f"{i:06d}",
             "details": json.dumps({"amount": "10.00", "note": "x" * 40}, sort_keys=True),
             "prev_hash": "0" * 64, "hash": "0" * 64, "covers": ""} for i in range(n)]
    with db.writer.begin() as conn:
        conn.execute(sa.insert(OpLogEntry), rows)
    return first


def _export_peak(db, path) -> tuple[int, int]:
    from printing.oplog_export import export_log

    tracemalloc.start()
    try:
        with db.read() as s:
            n = export_log(s, path)
        return n, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_export_memory_does_not_grow_with_the_log(db, tmp_path):
    first = _seed(db, 3000)
    _export_peak(db, tmp_path / "warm.xlsx")        # imports (openpyxl) are not the export's memory
    small = {fmt: _export_peak(db, tmp_path / f"small.{fmt}") for fmt in ("csv", "xlsx")}
    _seed(db, 9000)
    big = {fmt: _export_peak(db, tmp_path / f"big.{fmt}") for fmt in ("csv", "xlsx")}
    for fmt in ("csv", "xlsx"):
        assert (small[fmt][0], big[fmt][0]) == (first + 2999, first + 11999)
        assert big[fmt][1] < 1.5 * small[fmt][1], (fmt, small, big)     # all rows in memory: about 4x


def test_export_content_xlsx_and_csv(db, tmp_path):
    from openpyxl import load_workbook

    from printing.oplog_export import export_log

    first = _seed(db, 2500)                     # more than one cursor batch
    last = first + 2499
    with db.read() as s:
        assert export_log(s, tmp_path / "log.xlsx", until=END) == 2500
        assert export_log(s, tmp_path / "sales.csv", action="sale", until=END, newest_first=False) == 1250
    ws = load_workbook(tmp_path / "log.xlsx").active
    rows = list(ws.iter_rows(values_only=False))
    assert [c.value for c in rows[0]] == ["No.", "Time", "Operator", "Station", "Action", "Target", "Details"]
    assert len(rows) == 2501 and rows[1][0].value == last and rows[-1][0].value == first   # newest first
    assert rows[1][0].data_type == "n"
    at = (START + timedelta(seconds=30 * last)).astimezone().isoformat(timespec="seconds")[:19]
    assert rows[1][1].value == at
    formula = rows[-1][5]                               # the first seeded row: a formula text
    assert formula.value.startswith("=HYPERLINK") and formula.data_type == "s" and formula.quotePrefix
    assert json.loads(rows[1][6].value) == {"amount": "10.00", "note": "x" * 40}
    with open(tmp_path / "sales.csv", encoding="utf-8-sig", newline="") as f:
        lines = list(csv.reader(f))
    assert len(lines) == 1251 and lines[1][0] == str(first + 1) and lines[1][4] == "sale"
    assert all(not line[5].startswith("=") for line in lines[1:])
    assert not list(tmp_path.glob(".*.tmp"))        # written beside, then renamed


def test_a_failed_export_leaves_no_file(tmp_path):
    import pytest

    from printing.oplog_export import export_rows

    def rows():
        yield (1, "2025-11-01T00:00:00", "a", "b", "c", "d", "{}")
        raise RuntimeError("cursor lost")

    out = tmp_path / "out"
    out.mkdir()
    for name in ("x.xlsx", "x.csv"):
        with pytest.raises(RuntimeError):
            export_rows(out / name, rows())
    assert list(out.iterdir()) == []
