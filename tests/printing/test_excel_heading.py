"""Report exports carry the company name above the title (heading=...); without it the sheet is
laid out as before (another module writes with the old call)."""
from __future__ import annotations

from decimal import Decimal

from openpyxl import load_workbook

from printing.excel import Column, write_table_xlsx

COLS = [Column("户号", "acc"), Column("金额", "amount", "money")]
ROWS = [{"acc": "000001", "amount": Decimal("12.50")}, {"acc": "000002", "amount": 300}]


def test_heading_rows_above_the_title(tmp_path):
    path = tmp_path / "h.xlsx"
    assert write_table_xlsx(path, "售电日报", COLS, ROWS, totals=["amount"],
                            heading=["阳光花园物业服务中心", "", "打印：2026-11-30"]) == 2
    ws = load_workbook(path).active
    assert [ws.cell(r, 1).value for r in range(1, 7)] == [
        "阳光花园物业服务中心", "打印：2026-11-30", "售电日报", "户号", "000001", "000002"]
    assert {"A1:B1", "A2:B2", "A3:B3"} <= {str(m) for m in ws.merged_cells.ranges}
    assert ws.freeze_panes == "A5" and ws.print_title_rows == "$1:$4"
    assert ws["A1"].font.b and ws.cell(7, 2).value == 15.5          # totals still right (300 = int fen)


def test_without_heading_nothing_moves(tmp_path):
    path = tmp_path / "p.xlsx"
    write_table_xlsx(path, "售电日报", COLS, ROWS)
    ws = load_workbook(path).active
    assert ws["A1"].value == "售电日报" and ws["A2"].value == "户号" and ws.freeze_panes == "A3"


def test_report_export_names_the_company(tmp_path):
    from datetime import date

    from billing.reports.catalog import REPORTS, export_xlsx

    key = next(iter(REPORTS))
    path = tmp_path / "r.xlsx"
    export_xlsx(path, key, [], date(2026, 11, 1), date(2026, 11, 30), company="阳光物业")
    ws = load_workbook(path).active
    assert ws["A1"].value == "阳光物业" and ws["A2"].value and ws["A2"].value != "阳光物业"
    export_xlsx(path, key, [], date(2026, 11, 1), date(2026, 11, 30))
    assert load_workbook(path).active["A1"].value != "阳光物业"
