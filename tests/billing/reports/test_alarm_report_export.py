"""The "Alarm history" report reaches every alarm (it stopped at 100,000 without a word):

* the screen holds the first SHOWN and says "the first N of M" when there are more (report_summary,
  the PDF's summary, the CLI's table on stderr and its JSON's total_rows);
* every export writes them all - the reports page's (export_xlsx of the rows it showed) and the
  CLI's --xlsx (export_streamed) - from the database's cursor, in an operator's buildings only;
* at 150,000 alarms (bulk insert) the sheet has every row and the export's peak Python heap
  (tracemalloc) stays within a few MB of a bare SELECT of the same rows (the floor), where the
  old list held every row (≈ 1 KB an alarm).
tests/benchmarks/bench_alarm_report.py prints the figures.
"""
from __future__ import annotations

import json

import openpyxl
import pytest

from billing.reports import field
from billing.reports.catalog import REPORTS, export_streamed, export_xlsx, report_summary
from billing.reports.shown import Shown
from tests.benchmarks.bench_alarm_report import END, START, bare_select, peak, seed_alarms, sheet_rows

N = 150_000
HEAP_ABOVE_FLOOR = 8_000_000        # bytes the export's peak heap may exceed the bare SELECT's


def _messages(path) -> list[str]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return [r[8] for r in wb.active.iter_rows(min_row=3, values_only=True)]     # title, headers, rows
    finally:
        wb.close()


@pytest.fixture
def buildings(db, superadmin):
    from archive import places

    return places.add_building(db, superadmin, "A"), places.add_building(db, superadmin, "B")


def test_the_screen_says_first_n_of_m_and_the_export_writes_every_alarm(db, superadmin, buildings, tmp_path,
                                                                        monkeypatch):
    from access import login as auth
    from access import operators

    a, b = buildings
    seed_alarms(db, 25, building_id=a)
    seed_alarms(db, 5, start=25, building_id=b)
    monkeypatch.setattr(field, "SHOWN", 10, raising=False)
    rows = REPORTS["alarms"].run(db, START, END, "", superadmin)
    assert isinstance(rows, Shown) and rows.cut and (len(rows), rows.total) == (10, 30)
    assert [r.message for r in rows] == [f"alarm {i}" for i in range(10)]            # oldest first
    assert report_summary("alarms", rows) == ["Showing the first 10 of 30 rows; Export to Excel writes all 30"]
    assert export_xlsx(tmp_path / "page.xlsx", "alarms", rows, START, END) == 30
    assert _messages(tmp_path / "page.xlsx") == [f"alarm {i}" for i in range(30)]
    assert export_streamed(db, tmp_path / "cli.xlsx", "alarms", START, END, "", superadmin) == 30
    assert _messages(tmp_path / "cli.xlsx") == [f"alarm {i}" for i in range(30)]
    # an operator limited to building B: its five, on screen and in the file
    operators.add_operator(db, superadmin, "lim", "pass-123", "viewer", buildings=[b])
    lim = auth.login(db, "lim", "pass-123", "TEST")
    mine = REPORTS["alarms"].run(db, START, END, "", lim)
    assert not mine.cut and [r.message for r in mine] == [f"alarm {i}" for i in range(25, 30)]
    assert report_summary("alarms", mine) == []
    assert export_streamed(db, tmp_path / "lim.xlsx", "alarms", START, END, "", lim) == 5
    # an alarm raised after the screen was counted is not in its export: the file is the M it named
    seed_alarms(db, 1, start=30, building_id=a)
    assert export_xlsx(tmp_path / "again.xlsx", "alarms", rows, START, END) == 30


def test_the_cli_says_the_true_count(db, superadmin, monkeypatch, capsys):
    import app

    seed_alarms(db, 12)
    monkeypatch.setattr(field, "SHOWN", 5, raising=False)
    monkeypatch.setenv("METERSTATION_OPERATOR", "root")
    monkeypatch.setenv("METERSTATION_PASSWORD", "secret-1")
    span = ["--from", START.isoformat(), "--to", END.isoformat()]
    assert app.main(["--lang", "en", "--db", db.url, "report", "alarms", *span]) == 0
    out = capsys.readouterr()
    assert len(out.out.splitlines()) == 1 + 5
    assert "Showing the first 5 of 12 rows" in out.err
    assert app.main(["--lang", "en", "--db", db.url, "report", "alarms", *span, "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert len(got["rows"]) == 5 and got["total_rows"] == 12


@pytest.fixture
def root_sqlite(sqlite_db):
    from access import login as auth
    from access import operators

    operators.create_first_operator(sqlite_db, "root", "secret-1", "TEST")
    return auth.login(sqlite_db, "root", "secret-1", "TEST")


@pytest.mark.slow
def test_150000_alarms_export_every_row_in_flat_memory(sqlite_db, root_sqlite, tmp_path, monkeypatch):
    seed_alarms(sqlite_db, N)
    export_xlsx(tmp_path / "warm.xlsx", "alarms", [], START, END)       # imports outside the measure
    _n, floor, _cpu = peak(lambda: bare_select(tmp_path / "gui.db"))
    assert _n == N
    # the reports page: the first rows on screen (fewer here, to keep the test's own memory small),
    # then Export to Excel with those rows in hand (raising=False: the old code had no SHOWN, and
    # its 100,000 rows are what its export wrote)
    monkeypatch.setattr(field, "SHOWN", 1_000, raising=False)
    shown = REPORTS["alarms"].run(sqlite_db, START, END, "", root_sqlite)
    n, heap, _cpu = peak(lambda: export_xlsx(tmp_path / "page.xlsx", "alarms", shown, START, END))
    rows, tail = sheet_rows(tmp_path / "page.xlsx")
    assert (n, rows) == (N, N + 2), (n, rows)                       # title and header, then every alarm
    assert f"alarm {N - 1}<".encode() in tail
    assert heap < floor + HEAP_ABOVE_FLOOR, (heap, floor)
    assert (len(shown), shown.total) == (1_000, N)                  # the command line's --xlsx: test above
