"""Streaming Excel export read back with openpyxl: values, formats, frozen header, totals."""
from __future__ import annotations

import zipfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from printing.excel import Column, write_table_xlsx
from resources import i18n

COLS = [
    Column("收据号", "no"),
    Column("时间", "at", "datetime"),
    Column("日期", "day", "date"),
    Column("客户", "customer", width=30),
    Column("金额(元)", "amount", "money"),
    Column("电量(kWh)", "kwh", "energy"),
    Column("笔数", "n", "int"),
]
T0 = datetime(2024, 5, 1, 8, 30)


def sample_rows(n: int):
    for i in range(n):
        yield {"no": f"S{i:06d}", "at": T0 + timedelta(minutes=i), "day": date(2024, 5, 1),
               "customer": "张三丰", "amount": Decimal("9.04") if i % 2 else 1234,   # int = fen
               "kwh": Decimal("12.345"), "n": 1}


def test_values_formats_freeze_totals(tmp_path):
    i18n.set_language("zh_CN")
    path = tmp_path / "sales.xlsx"
    seen: list[int] = []
    n = write_table_xlsx(path, "五月售电明细", COLS, sample_rows(5),
                         totals=["amount", "kwh", "n"], progress=seen.append, progress_every=2)
    assert n == 5 and seen == [2, 4, 5]
    wb = load_workbook(path)
    ws = wb.active
    assert ws.title == "五月售电明细"
    assert ws["A1"].value == "五月售电明细" and "A1:G1" in ws.merged_cells
    assert [c.value for c in ws[2]] == [c.header for c in COLS]
    assert ws.freeze_panes == "A3"
    assert ws.column_dimensions["D"].width == 30
    first, second = ws[3], ws[4]
    assert first[0].value == "S000000" and first[0].data_type == "s"
    assert first[1].value == T0 and first[1].number_format == "yyyy-mm-dd hh:mm"
    assert first[2].value == datetime(2024, 5, 1) and first[2].number_format == "yyyy-mm-dd"
    assert first[4].value == 12.34 and first[4].number_format == "#,##0.00"       # 1234 fen
    assert second[4].value == 9.04
    assert first[5].value == 12.345 and first[5].number_format == "#,##0.00"
    assert first[6].value == 1 and first[6].number_format == "#,##0"
    total = ws[8]
    assert total[0].value == "合计"
    assert Decimal(str(total[4].value)) == Decimal("12.34") * 3 + Decimal("9.04") * 2
    assert Decimal(str(total[5].value)) == Decimal("61.725") and total[6].value == 5
    assert ws.max_row == 8


def test_money_is_written_as_exact_decimal_text(tmp_path):
    """openpyxl would write Decimal('9.04') as 9.039999999999999 (via '%.16g' of a float)."""
    path = tmp_path / "m.xlsx"
    rows = [(Decimal("9.04"),), (Decimal("8.30"),), (Decimal("0.005"),), (-5,),
            (Decimal("99999999999.99"),)]
    write_table_xlsx(path, "m", [Column("金额", 0, "money")], rows, totals=[0])
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    for text in ("<v>9.04</v>", "<v>8.30</v>", "<v>0.01</v>", "<v>-0.05</v>",
                 "<v>99999999999.99</v>", "<v>100000000017.29</v>"):
        assert text in xml
    assert "9.0399" not in xml


def test_text_is_never_a_formula_and_illegal_chars_dropped(tmp_path):
    path = tmp_path / "t.xlsx"
    write_table_xlsx(path, "t", [Column("客户", 0)], [("=HYPERLINK(\"x\")",), ("a\x07b",), (42,)])
    ws = load_workbook(path).active
    assert ws["A3"].value == '=HYPERLINK("x")' and ws["A3"].data_type == "s"
    assert ws["A4"].value == "ab" and ws["A5"].value == "42"


def test_tuples_none_and_aware_datetimes(tmp_path):
    path = tmp_path / "n.xlsx"
    aware = datetime(2024, 5, 1, 0, 0, tzinfo=UTC)
    cols = [Column("A", 0), Column("B", 1, "money"), Column("C", 2, "datetime")]
    write_table_xlsx(path, "n", cols, [("x", None, None), ("y", 1, aware)])
    ws = load_workbook(path).active
    assert ws["B3"].value is None and ws["C3"].value is None
    assert ws["C4"].value == aware.astimezone().replace(tzinfo=None)


@pytest.mark.parametrize(("kind", "value"), [("money", 1.5), ("energy", 2.0), ("int", Decimal(1)),
                                             ("datetime", "2024-05-01"), ("money", True)])
def test_wrong_types_refused_and_no_file_left(tmp_path, kind, value):
    with pytest.raises(TypeError):
        write_table_xlsx(tmp_path / "x.xlsx", "x", [Column("v", 0, kind)], [(value,)])
    assert list(tmp_path.iterdir()) == []


def test_totals_only_on_number_columns(tmp_path):
    with pytest.raises(ValueError):
        write_table_xlsx(tmp_path / "x.xlsx", "x", [Column("v", 0)], [], totals=[0])


def test_cancel_from_progress(tmp_path):
    def stop(n):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_table_xlsx(tmp_path / "x.xlsx", "x", COLS, sample_rows(50), progress=stop,
                         progress_every=10)
    assert list(tmp_path.iterdir()) == []


def test_sheet_title_sanitised_and_empty_export(tmp_path):
    path = tmp_path / "e.xlsx"
    seen: list[int] = []
    assert write_table_xlsx(path, "a/b:c*d?[e]" * 5, COLS, iter(()), totals=["n"],
                            progress=seen.append) == 0
    ws = load_workbook(path).active
    assert len(ws.title) == 31 and "/" not in ws.title and seen == [0]
    assert ws["A3"].value == "Total" and ws["G3"].value == 0


@pytest.mark.slow
def test_100k_rows_streamed(tmp_path):
    import time

    path = tmp_path / "big.xlsx"
    start = time.perf_counter()
    assert write_table_xlsx(path, "big", COLS, sample_rows(100_000), totals=["amount"]) == 100_000
    elapsed = time.perf_counter() - start
    assert elapsed < 30, elapsed
    with zipfile.ZipFile(path) as z, z.open("xl/worksheets/sheet1.xml") as f:
        tail = b""
        while chunk := f.read(1 << 16):
            tail = (tail + chunk)[-4096:]
    tail_text = tail.decode("utf-8", "replace")
    assert '<row r="100003">' in tail_text and "<v>1069000.00</v>" in tail_text
    assert '<row r="100004"' not in tail_text
