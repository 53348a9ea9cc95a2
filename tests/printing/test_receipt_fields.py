"""Item 7 of issue 16: company, account number, building, room, unit price (or tariff name) and
station on all three plies; the layout's order, hiding and labels are what is printed."""
from __future__ import annotations

from decimal import Decimal

import pytest

from models.receipt_layout import ReceiptLayout
from printing.receipt import render_receipt_pdf

NEEDLES = ("阳光花园物业服务中心", "户号", "000123", "楼栋", "A栋", "3-2-1502", "单价", "0.5283元/kWh（居民电价）",
           "收费点：一号窗口")


@pytest.mark.parametrize("paper", ["continuous-241x93", "a4"])
def test_new_fields_on_every_ply(zh, pdf, receipt_data, paper):
    data = receipt_data(account="000123", building="A栋", unit_price=Decimal("0.5283"), tariff="居民电价")
    doc = pdf(render_receipt_pdf(data, ReceiptLayout(paper=paper)))
    pages = [doc.flat(p) for p in range(1, len(doc.page_sizes()) + 1)]
    if paper == "a4":                  # three plies stacked on one page: each needle three times
        assert all(pages[0].count(n) >= 3 for n in NEEDLES), [n for n in NEEDLES if pages[0].count(n) < 3]
    else:
        for page, body in enumerate(pages, 1):
            assert [n for n in NEEDLES if n not in body] == [], page


def test_price_alone_or_tariff_alone(zh, pdf, receipt_data):
    price_only = pdf(render_receipt_pdf(receipt_data(unit_price=Decimal("0.5"))))
    assert "0.50元/kWh" in price_only.flat(1) and "（" not in price_only.flat(1).split("单价")[1][:12]
    name_only = pdf(render_receipt_pdf(receipt_data(tariff="峰谷电价")))
    assert "单价峰谷电价" in name_only.flat(1)
    neither = pdf(render_receipt_pdf(receipt_data()))
    assert "单价" not in neither.flat(1)         # a field without a value is not printed


def test_order_hiding_and_labels_follow_the_layout(zh, pdf, receipt_data):
    layout = ReceiptLayout()
    keys = [f.key for f in layout.fields]
    fields = {f.key: f for f in layout.fields}
    fields["account"].label = "用户编号"
    fields["reference"].show = False
    order = ["meters", "account"] + [k for k in keys if k not in ("meters", "account")]
    layout.fields = [fields[k] for k in order]
    data = receipt_data(account="778899", reference="4200001234")
    text = pdf(render_receipt_pdf(data, ReceiptLayout.from_json(layout.to_json()))).text(1, layout=True)
    assert "用户编号" in text and "户号" not in text and "4200001234" not in text
    assert text.index("000012345678") < text.index("778899") < text.index("张三丰")


def test_unit_price_must_not_be_a_float(receipt_data):
    with pytest.raises(TypeError):
        receipt_data(unit_price=0.5)
