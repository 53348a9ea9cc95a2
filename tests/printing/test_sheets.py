"""printing/sheets.py: every type of value reads back from the file as openpyxl's own
write-only cells give it (texts of every awkward kind, numbers, dates), several sheets in order,
and what openpyxl refuses is refused."""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from models.cell_safety import safe_xlsx_row
from printing.sheets import MAX_TEXT, write_sheets_xlsx
from tests.printing.test_export_fast_paths import TEXTS

VALUES = [0, -7, 12345678901234, True, False, Decimal("1234.567"), Decimal("-0.5"), Decimal("1E+2"), 2.5,
          date(2023, 12, 31), datetime(2026, 11, 30, 8, 15, 30), None, "", "x" * (MAX_TEXT + 5)]


def _read(path):
    wb = openpyxl.load_workbook(path)
    try:
        return {ws.title: [[(c.value, c.data_type, c.number_format, c.quotePrefix) for c in row]
                           for row in ws.iter_rows()] for ws in wb.worksheets}
    finally:
        wb.close()


def test_cells_read_back_as_openpyxl_wrote_them(tmp_path):
    legal = [t for t in TEXTS if not ILLEGAL_CHARACTERS_RE.search(t)]   # openpyxl refuses the others outright
    rows = [[v] for v in legal + VALUES]
    new = tmp_path / "new.xlsx"
    assert write_sheets_xlsx(new, [("一", ["值"], iter(rows)), ("二", ["a", "b"], [])]) == [len(rows), 0]
    old = tmp_path / "old.xlsx"
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("一")
    ws.append(["值"])
    for r in rows:
        ws.append(safe_xlsx_row(ws, r))
    wb.create_sheet("二").append(["a", "b"])
    wb.save(old)
    assert _read(new) == _read(old)


def test_dropped_characters_and_refusals(tmp_path):
    path = tmp_path / "x.xlsx"
    write_sheets_xlsx(path, [("s", ["h"], [["ctl\x01"], ["bell\x07end"]])])
    assert [r[0][0] for r in _read(path)["s"][1:]] == ["ctl", "bellend"]
    with pytest.raises(TypeError):
        write_sheets_xlsx(tmp_path / "tz.xlsx", [("s", ["h"], [[datetime(2026, 1, 1, tzinfo=UTC)]])])
    with pytest.raises(TypeError):
        write_sheets_xlsx(tmp_path / "obj.xlsx", [("s", ["h"], [[object()]])])
    with pytest.raises(ValueError):
        write_sheets_xlsx(tmp_path / "nan.xlsx", [("s", ["h"], [[Decimal("NaN")]])])
