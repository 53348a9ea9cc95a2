"""The printable report table (printing/table_report.py): header with title, period, filters and
totals; rows over several pages with the header row repeated; Chinese text kept (pdftotext)."""
from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from decimal import Decimal as D

from printing.table_report import TableDoc, render_table_pdf


def _text(pdf: bytes, tmp_path) -> list[str]:
    f = tmp_path / "t.pdf"
    f.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(f), "-"], capture_output=True, text=True,
                         check=True).stdout
    return out.split("\f")


def test_pages_header_and_totals(tmp_path):
    rows = [[f"R{i:05d}", datetime(2026, 11, 1, 8, tzinfo=UTC), "张三", D("1234.5"), D("2.125"), i]
            for i in range(300)]
    doc = TableDoc(title="售电记录", headers=["收据号", "时间", "客户", "金额(元)", "电量", "序号"],
                   kinds=["text", "datetime", "text", "money", "energy", "int"], rows=rows,
                   period="2026-11-01 — 2026-11-30", filters=[("操作员", "cas")],
                   totals=["合计", None, None, D("370350.00"), D("637.5"), 44850],
                   summary=["售电：300 笔，¥370,350.00"], company="某某物业")
    pages = [p for p in _text(render_table_pdf(doc), tmp_path) if p.strip()]
    assert len(pages) > 3
    first, last = pages[0], pages[-1]
    for needle in ("某某物业", "售电记录", "2026-11-01 — 2026-11-30", "操作员: cas", "售电：300 笔，¥370,350.00",
                   "R00000", "1,234.50", "2.125"):
        assert needle in first, needle
    assert all("收据号" in p for p in pages)                      # the header row on every page
    assert "R00299" in last and "合计" in last and "370,350.00" in last and "44,850" in last
    assert "第" in last or "Page" in last


def test_no_rows_says_so(tmp_path):
    doc = TableDoc(title="Refunds", headers=["A", "B"], kinds=["text", "money"], rows=[])
    assert "No records" in _text(render_table_pdf(doc), tmp_path)[0]
