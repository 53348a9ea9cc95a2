"""Issue 12: the large-table exports stream from the database cursor to the file (both backends).

* The sales records' and the refunds/reversals' --xlsx exports and the archive export write
  the same rows the lists show.
* Their peak memory (tracemalloc, the Python heap of the export call) does not grow with the
  rows: 4x the rows costs less than a megabyte more. The lists they replaced held every row
  (a RecordRow or a meter row is ≈ 1-2 KB with its strings and Decimals: 9,000 more rows were
  ≈ 10 MB more). tests/benchmarks/bench_exports.py measures the whole process at 100,000 and
  300,000 rows.
"""
from __future__ import annotations

import gc
import tracemalloc
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from archive import query
from archive.files import export_archive
from billing.reports.catalog import export_streamed
from billing.reports.records import RecordFilter, RecordTally, iter_sale_records, record_totals, sale_records
from printing.sheets import write_sheets_xlsx
from tests.benchmarks.bench_exports import _seed_places, seed_archive, seed_sales

START, END = date(2026, 9, 30), date(2026, 11, 1)
SMALL, LARGE = 3_000, 12_000
GROWTH_LIMIT = 1_000_000          # bytes of peak the 9,000 extra rows may add


@pytest.fixture
def places(db, superadmin):
    return _seed_places(db)


def _peak(fn) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _sheet_rows(path) -> list[tuple]:
    """The first sheet's rows; the read-only workbook is closed (it keeps its file open until then)."""
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return list(wb.active.iter_rows(values_only=True))
    finally:
        wb.close()


def test_streamed_sales_records_are_the_listed_ones(db, superadmin, places, tmp_path):
    seed_sales(db, places, 0, 700)
    f = RecordFilter(method="cash")
    listed = sale_records(db, START, END, f, actor=superadmin)
    with db.read() as s:
        streamed = list(iter_sale_records(s, START, END, f, actor=superadmin, batch=64))
    assert streamed == listed and len(listed) == 175
    tally = RecordTally()
    n = export_streamed(db, tmp_path / "r.xlsx", "sale_records", START, END, "", superadmin, filters=f,
                        tally=tally)
    assert n == 175 and tally.totals() == record_totals(listed)
    values = _sheet_rows(tmp_path / "r.xlsx")
    receipts = [r[0] for r in values[2:2 + n]]       # title, headers, then the rows
    assert receipts == [r.receipt_no for r in listed]
    assert Decimal(str(values[2 + n][8])) == sum(r.amount for r in listed)     # the totals row


def test_streamed_corrections_are_the_listed_ones(db, superadmin, places, tmp_path):
    from billing.reports.receivables import corrections, iter_corrections

    seed_sales(db, places, 0, 700)
    listed = corrections(db, START, END, actor=superadmin)
    with db.read() as s:
        streamed = list(iter_corrections(s, START, END, actor=superadmin, batch=16))
    assert streamed == listed and len(listed) == 70
    n = export_streamed(db, tmp_path / "c.xlsx", "corrections", START, END, "", superadmin)
    assert n == 70 and [r[2] for r in _sheet_rows(tmp_path / "c.xlsx")[2:2 + n]] == [r.receipt_no for r in listed]


def test_streamed_meters_are_the_listed_ones(db, superadmin, places):
    seed_archive(db, [r for _a, r in places], 0, 1_500)
    with db.read() as s:
        streamed = list(query.iter_meters(s, superadmin, batch=100))
    assert streamed == query.list_meters(db, superadmin) and len(streamed) == 1_500
    assert sum(1 for m in streamed if m.tags) == 150


def test_sales_records_export_memory_does_not_grow_with_the_rows(db, superadmin, places, tmp_path):
    seed_sales(db, places, 0, 200)

    def export(name: str):
        return lambda: export_streamed(db, tmp_path / name, "sale_records", START, END, "", superadmin,
                                       filters=RecordFilter(), tally=RecordTally())
    export("warm.xlsx")()                           # imports and caches outside the measure
    seed_sales(db, places, 200, SMALL - 200)
    small = _peak(export("small.xlsx"))
    seed_sales(db, places, SMALL, LARGE - SMALL)
    large = _peak(export("large.xlsx"))
    assert large - small < GROWTH_LIMIT, (small, large)


def test_archive_export_memory_does_not_grow_with_the_rows(db, superadmin, places, tmp_path):
    rooms = [r for _a, r in places]
    seed_archive(db, rooms, 0, 200)
    export_archive(db, superadmin, tmp_path / "warm.xlsx")
    export_archive(db, superadmin, tmp_path / "warm-csv")
    seed_archive(db, rooms, 200, SMALL - 200)
    small = _peak(lambda: export_archive(db, superadmin, tmp_path / "small.xlsx"))
    small_csv = _peak(lambda: export_archive(db, superadmin, tmp_path / "small-csv"))
    small_raw = _peak(lambda: export_archive(db, superadmin, tmp_path / "small-raw.xlsx", xlsx=write_sheets_xlsx))
    seed_archive(db, rooms, SMALL, LARGE - SMALL)
    large = _peak(lambda: export_archive(db, superadmin, tmp_path / "large.xlsx"))
    large_csv = _peak(lambda: export_archive(db, superadmin, tmp_path / "large-csv"))
    large_raw = _peak(lambda: export_archive(db, superadmin, tmp_path / "large-raw.xlsx", xlsx=write_sheets_xlsx))
    assert large - small < GROWTH_LIMIT, (small, large)
    assert large_raw - small_raw < GROWTH_LIMIT, (small_raw, large_raw)     # the CLI's writer (printing/sheets.py)
    assert large_csv - small_csv < GROWTH_LIMIT, (small_csv, large_csv)
    counts = export_archive(db, superadmin, tmp_path / "meters.csv", ("meters",))
    assert counts == {"meters": LARGE}
