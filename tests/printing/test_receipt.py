"""Receipt PDFs checked by their extracted text, page sizes and fonts."""
from __future__ import annotations

import time
from decimal import Decimal

import pytest

from models.receipt_layout import FieldSpec, ReceiptLayout
from printing.receipt import render_receipt_pdf, write_receipt_pdf

CONT = ReceiptLayout(paper="continuous-241x93")
A4 = ReceiptLayout(paper="a4")
PLIES_ZH = ["第一联存根联", "第二联客户联", "第三联记账联"]
CAPITALS = "壹仟贰佰叁拾肆元伍角陆分"


def strip_crop(page_w: float, top: float, height: float) -> tuple[float, float, float, float]:
    """The right-hand ply strip (last 10 mm inside the right margin, plus slack)."""
    return (page_w - 14 * 72 / 25.4 - 30, top, 30, height)


def test_continuous_three_pages_one_ply_each(zh, pdf, receipt_data):
    doc = pdf(render_receipt_pdf(receipt_data(), CONT))
    sizes = doc.page_sizes()
    assert len(sizes) == 3
    for w, h in sizes:
        assert round(w) == 683 and round(h) == 264          # 241 x 93 mm
    for page, ply in enumerate(PLIES_ZH, 1):
        assert doc.flat(page, strip_crop(683.15, 0, 263)) == ply
        body = doc.flat(page)
        for needle in ("收据号：S2024000123", "¥1,234.56", CAPITALS, "金额(大写)", "张三丰",
                       "3-2-1502", "000012345678", "微信支付", "¥1,500.06", "2,057.60kWh",
                       "收费员：王芳", "时间：2024-05-01", "缴费收据", "阳光花园物业服务中心"):
            assert needle in body, (page, needle)
        assert "重打" not in body and "冲正" not in body


def test_a4_three_parts_on_one_page(zh, pdf, receipt_data):
    doc = pdf(render_receipt_pdf(receipt_data(), A4))
    (w, h), = doc.page_sizes()
    assert round(w) == 595 and round(h) == 842
    third = h / 3
    for i, ply in enumerate(PLIES_ZH):
        part = doc.flat(1, (0, i * third, w, third))
        assert ply in doc.flat(1, strip_crop(w, i * third, third))
        assert "S2024000123" in part and "¥1,234.56" in part and CAPITALS in part


def test_reprint_is_marked_and_keeps_its_number(zh, pdf, receipt_data):
    for layout in (CONT, A4):
        doc = pdf(render_receipt_pdf(receipt_data(is_copy=True), layout))
        pages = len(doc.page_sizes())
        for page in range(1, pages + 1):
            body = doc.flat(page)
            assert body.count("重打") == 3 // pages and "S2024000123" in body


def test_reversal_shows_mark_and_original_number(zh, pdf, receipt_data):
    data = receipt_data(kind="reversal", receipt_no="S2024000130", amount=Decimal("-1234.56"),
                        original_receipt_no="S2024000123")
    hidden = ReceiptLayout(fields=[FieldSpec("original_receipt_no", show=False)])
    doc = pdf(render_receipt_pdf(data, hidden))
    for page in (1, 2, 3):
        body = doc.flat(page)
        assert "冲正凭证" in body and "冲正" in body.replace("冲正凭证", "")
        assert "原收据号S2024000123" in body and "S2024000130" in body
        assert "-¥1,234.56" in body and "负" + CAPITALS in body


def test_reversal_needs_original(receipt_data):
    with pytest.raises(ValueError):
        receipt_data(kind="reversal")


@pytest.mark.parametrize("field", ["amount", "balance_after"])
def test_float_money_refused(receipt_data, field):
    with pytest.raises(TypeError):
        receipt_data(**{field: 12.5})


def test_font_embedded_no_base14(zh, pdf, receipt_data):
    for layout in (CONT, A4):
        fonts = pdf(render_receipt_pdf(receipt_data(), layout)).fonts()
        assert fonts and all(f[0].endswith("WenQuanYiMicroHei-0") for f in fonts)
        assert all(f[-5] == "yes" for f in fonts), fonts        # emb column


def test_english_receipt(pdf, receipt_data):
    doc = pdf(render_receipt_pdf(receipt_data(is_copy=True), CONT))
    text = doc.text(1)
    for needle in ("Payment Receipt", "Receipt No.: S2024000123", "Amount in words", CAPITALS,
                   "WeChat Pay", "Cashier: 王芳", "REPRINT"):
        assert needle in text
    assert "Stub" in doc.text(1, strip_crop(683.15, 0, 263))
    assert "Accounting part" in doc.text(3, strip_crop(683.15, 0, 263))


def test_layout_labels_titles_and_hidden_fields(zh, pdf, receipt_data):
    layout = ReceiptLayout(company_name="某某市供电所", titles={"sale": "购电收据"},
                           footer="谢谢惠顾", ply_labels=["白联", "红联", "黄联"],
                           fields=[FieldSpec("customer", label="户名"),
                                   FieldSpec("reference", show=False)])
    doc = pdf(render_receipt_pdf(receipt_data(), layout))
    body = doc.flat(2)
    assert "某某市供电所" in body and "阳光花园" not in body
    assert "购电收据" in body and "户名张三丰" in body and "谢谢惠顾" in body
    assert "4200001234" not in body and "交易单号" not in body
    assert "第二联红联" == doc.flat(2, strip_crop(683.15, 0, 263))


def test_extra_lines_many_still_on_page(zh, pdf, receipt_data):
    extra = [(f"项目{i}", f"值{i}") for i in range(12)]
    doc = pdf(render_receipt_pdf(receipt_data(extra=extra, customer="很长" * 30), CONT))
    body = doc.flat(1)
    assert all(f"项目{i}值{i}" in body for i in range(12))
    assert "很长" * 30 in body and "收费员：王芳" in body


def test_same_input_same_bytes(receipt_data):
    assert render_receipt_pdf(receipt_data()) == render_receipt_pdf(receipt_data())


def test_render_time(receipt_data):
    render_receipt_pdf(receipt_data())              # font loaded once per process
    start = time.perf_counter()
    for _ in range(10):
        render_receipt_pdf(receipt_data(), CONT)
    assert (time.perf_counter() - start) / 10 < 0.25


def test_write_receipt_pdf(tmp_path, receipt_data):
    target = write_receipt_pdf(tmp_path / "r.pdf", receipt_data(), A4)
    assert target.read_bytes().startswith(b"%PDF-")
    assert [p.name for p in tmp_path.iterdir()] == ["r.pdf"]
