"""Excel export of 100,000 rows × 9 columns: timed (printed, not asserted tightly) and checked."""
from __future__ import annotations

import time
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from printing.excel import Column, write_table_xlsx

COLS = [Column("收据号", 0), Column("时间", 1, "datetime"), Column("日期", 2, "date"), Column("客户", 3),
        Column("房间", 4), Column("金额(元)", 5, "money"), Column("电量(kWh)", 6, "energy"), Column("笔数", 7, "int"),
        Column("操作员", 8)]


@pytest.mark.slow
def test_100k_rows_streamed_with_progress(tmp_path, capsys):
    t0 = datetime(2026, 5, 1, 8, 30)
    rows = ((f"S{i:06d}", t0 + timedelta(minutes=i), date(2026, 5, 1), "张三丰", "A-101", Decimal("9.04"),
             Decimal("12.345"), 1, "王芳") for i in range(100_000))
    seen: list[int] = []
    start = time.perf_counter()
    n = write_table_xlsx(tmp_path / "big.xlsx", "十万行", COLS, rows, totals=[5, 6, 7], progress=seen.append)
    seconds = time.perf_counter() - start
    with capsys.disabled():
        print(f"\nExcel export, 100,000 rows x 9 columns: {seconds:.2f} s")
    assert n == 100_000 and seen[0] == 1000 and seen[-1] == 100_000 and len(seen) == 100
    xml = zipfile.ZipFile(tmp_path / "big.xlsx").read("xl/worksheets/sheet1.xml").decode()
    assert xml.count("<row ") == 100_003                         # title, header, rows, totals
    assert '<c r="F100002" s="' in xml and "<v>904000.00</v>" in xml and "<v>1234500.000</v>" in xml
    assert seconds < 30
