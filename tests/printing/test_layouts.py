"""Receipt layout: JSON round trip, defaults, validation with user-facing errors."""
from __future__ import annotations

import json

import pytest

from models.errors import InvalidInput
from models.receipt_layout import FIELD_LABELS, FieldSpec, ReceiptLayout
from resources import i18n


def test_default_round_trip():
    layout = ReceiptLayout()
    text = layout.to_json()
    data = json.loads(text)
    assert data["version"] == 1 and data["paper"] == "continuous-241x93"
    assert [f["key"] for f in data["fields"]] == list(FIELD_LABELS)
    assert ReceiptLayout.from_json(text) == layout


def test_custom_round_trip():
    layout = ReceiptLayout(paper="a4", company_name="某物业", titles={"refund": "退款单"},
                           ply_labels=["白", "红", "黄"], footer="谢谢", font_size=10,
                           fields=[FieldSpec("amount", "金额"), FieldSpec("room", show=False)])
    again = ReceiptLayout.from_json(layout.to_json())
    assert again == layout
    assert [f.key for f in again.fields][:2] == ["amount", "room"]     # order kept
    assert len(again.fields) == len(FIELD_LABELS)                      # the rest appended


def test_defaults_follow_language():
    layout = ReceiptLayout()
    assert layout.title("refund") == "Refund Receipt"
    assert layout.ply_label(0) == ("Part 1", "Stub")
    i18n.set_language("zh_CN")
    assert layout.title("refund") == "退费收据"
    assert layout.ply_label(2) == ("第三联", "记账联")
    assert layout.fields[0].text() == "客户名称"


@pytest.mark.parametrize("data", [
    {"paper": "letter"},
    {"titles": {"gift": "x"}},
    {"ply_labels": ["a", "b"]},
    {"font_size": 30},
    {"font_size": "9"},
    {"fields": [{"key": "nope"}]},
    {"fields": [{"key": "amount"}, {"key": "amount"}]},
    {"fields": [{"key": "amount", "colour": "red"}]},
    {"margin": 3},
    {"version": 99},
])
def test_invalid_layouts_refused(data):
    with pytest.raises(InvalidInput):
        ReceiptLayout.from_dict(data)


@pytest.mark.parametrize("text", ["{", "[]", "null"])
def test_malformed_json(text):
    i18n.set_language("zh_CN")
    with pytest.raises(InvalidInput, match="收据版式格式错误"):
        ReceiptLayout.from_json(text)
