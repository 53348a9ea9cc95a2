"""Bill and shift report PDFs by extracted text; module rules (no Qt, translated msgids)."""
from __future__ import annotations

import ast
import json
import re
from datetime import date, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest

from printing.bill import BillData, ChargeLine, MeterReadingLine, render_bill_pdf, write_bill_pdf
from printing.shift_report import ShiftReportData, Takings, render_shift_report_pdf

ROOT = Path(__file__).resolve().parents[2]
MINE = ["printing/bill.py", "printing/capitals.py", "printing/docbuild.py", "printing/excel.py",
        "printing/fonts.py", "printing/formatting.py", "models/receipt_layout.py", "printing/pdfcanvas.py",
        "printing/receipt.py", "printing/receipt_part.py", "printing/shift_report.py"]


def bill(**over) -> BillData:
    base = dict(
        bill_no="B202405-0007", issued_at=datetime(2024, 6, 1, 9, 0), account_no="A0012",
        customer="李记餐饮", room="1F-08", period_start=date(2024, 5, 1),
        period_end=date(2024, 5, 31), due_date=date(2024, 6, 15), company="阳光花园物业",
        meters=[MeterReadingLine("000012345678", D("10234.56"), D("11234.06")),
                MeterReadingLine("000012345679", D("512.30"), D("530.80"), multiplier=D(40))],
        charges=[ChargeLine("峰时电费", D("600.00"), "kWh", D("0.9800"), D("588.00")),
                 ChargeLine("平时电费", D("1139.50"), "kWh", D("0.6500"), D("740.68"))],
        adjustments=[("上期欠费", D("120.00")), ("预交款抵扣", D("-500.00"))],
        amount_due=D("948.68"))
    base.update(over)
    return BillData(**base)


def test_bill_text(zh, pdf):
    doc = pdf(render_bill_pdf(bill()))
    text = doc.flat()
    for needle in ("缴费通知单", "账单号B202405-0007", "户号A0012", "李记餐饮",
                   "2024-05-01–2024-05-31", "起度止度倍率用量", "10,234.5611,234.061999.50kWh",
                   "512.30530.8040740.00kWh", "峰时电费600.00kWh0.9800588.00", "小计1,328.68",
                   "上期欠费120.00", "预交款抵扣-500.00", "应缴金额¥948.68",
                   "玖佰肆拾捌元陆角捌分"):
        assert needle in text, needle
    assert [round(x) for x in doc.page_sizes()[0]] == [595, 842]
    assert all(f[-5] == "yes" for f in doc.fonts())


def test_bill_must_add_up():
    with pytest.raises(ValueError, match="add up"):
        bill(amount_due=D("948.69"))
    with pytest.raises(TypeError):
        MeterReadingLine("m", 1.5, D(2))


def test_bill_english_many_lines_pages(pdf, tmp_path):
    charges = [ChargeLine(f"line {i}", D(1), "kWh", D("0.5"), D("0.50")) for i in range(120)]
    b = bill(charges=charges, adjustments=[], amount_due=D("60.00"))
    doc = pdf(write_bill_pdf(tmp_path / "b.pdf", b).read_bytes())
    assert len(doc.page_sizes()) >= 2
    text = doc.text()
    assert "Utility Bill" in text and "Page 2" in text and "line 119" in text
    assert "Amount due" in text and "¥60.00" in text and "陆拾元整" in text


def shift(**over) -> ShiftReportData:
    base = dict(
        shift_no="SH-0042", operator="王芳", started_at=datetime(2024, 5, 1, 8, 0),
        ended_at=datetime(2024, 5, 1, 17, 30), counted_cash=D("4855.50"),
        opening_float=D("500.00"), station="一号窗口", first_receipt_no="S100",
        last_receipt_no="S174",
        takings=[Takings("cash", 23, D("4560.00"), D("200.00")),
                 Takings("wechat", 41, D("8123.45")), Takings("alipay", 9, D(1500))])
    base.update(over)
    return ShiftReportData(**base)


def test_shift_report_numbers():
    r = shift()
    assert r.expected == D("4860.00") and r.difference == D("-4.50")
    assert r.total_net == D("13983.45")
    assert shift(expected_cash=D("4855.50")).difference == 0


def test_shift_report_text(zh, pdf):
    text = pdf(render_shift_report_pdf(shift())).flat()
    for needle in ("交班对账单", "班次号SH-0042", "收费员王芳", "2024-05-0108:00:00",
                   "2024-05-0117:30:00", "S100–S174", "现金234,560.00200.004,360.00",
                   "微信支付418,123.450.008,123.45", "支付宝91,500.000.001,500.00",
                   "合计7314,183.45200.0013,983.45", "备用金¥500.00", "应有现金¥4,860.00",
                   "实点现金¥4,855.50", "差额", "-¥4.50(短款)", "交班人", "接班人", "财务审核"):
        assert needle in text, needle


def test_shift_report_english_over(pdf):
    text = pdf(render_shift_report_pdf(shift(counted_cash=D("4870.00")))).text()
    assert "Shift Report" in text and "¥10.00 (over)" in text and "WeChat Pay" in text


def test_shift_refuses_float_and_time_travel():
    with pytest.raises(TypeError):
        shift(counted_cash=4855.5)
    with pytest.raises(ValueError):
        shift(ended_at=datetime(2024, 5, 1, 7, 0))


def test_printing_never_imports_qt():
    for py in (ROOT / "printing").glob("*.py"):
        tree = ast.parse(py.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.split(".")[0] in ("PySide6", "PyQt5", "PyQt6") for n in names), py


def test_every_msgid_has_a_chinese_translation():
    catalog = json.loads((ROOT / "resources/i18n/zh_CN/printing.json").read_text("utf-8"))
    every = {}            # msgids added later live in their own catalog files
    for f in sorted((ROOT / "resources/i18n/zh_CN").glob("*.json")):
        every.update(json.loads(f.read_text("utf-8")))
    used = set()
    for name in MINE:
        used |= set(re.findall(r'\bN?_\("((?:[^"\\]|\\.)*)"\)',
                               (ROOT / name).read_text("utf-8")))
    missing = sorted(used - set(every))
    assert not missing, missing
    for msgid, zh in catalog.items():
        assert set(re.findall(r"{\w*}", msgid)) == set(re.findall(r"{\w*}", zh)), msgid
    assert not sorted(set(catalog) - used), "unused translations"
