"""The pure checks shared by the services and the import (no database)."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from archive import rules
from models.errors import InvalidInput
from resources import i18n


@pytest.mark.parametrize("value,proto,expected", [
    ("1", "dlt645-2007", "000000000001"),
    ("123456789012", "dlt645-1997", "123456789012"),
    (1234, "dlt645-2007", "000000001234"),               # an Excel number cell
    (1234.0, "dlt645-2007", "000000001234"),
    ("12345678901234", "cjt188", "12345678901234"),
    (42, "cjt188", "00000000000042"),                    # Excel dropped the leading zeros
    ("0247", "modbus", "247"),
    (7, "modbus", "7"),
])
def test_addresses(value, proto, expected):
    assert rules.address(value, proto) == expected


@pytest.mark.parametrize("value,proto", [("42", "cjt188"), ("AAAAAAAAAAAA", "dlt645-2007"), ("-1", "modbus"),
                                         ("１２", "dlt645-2007"), ("99999999999999", "cjt188"), ("1.5", "modbus")])
def test_bad_addresses(value, proto):
    with pytest.raises(InvalidInput):
        rules.address(value, proto)


def test_scaled_values():
    assert rules.initial_milli("1,234.5") == 1_234_500
    assert rules.initial_milli(12.25) == 12_250
    assert rules.initial_milli("") == 0
    assert rules.area_centi("45.50") == 4550
    assert rules.format_milli(1_234_500) == "1234.5" and rules.format_milli(100_000) == "100"
    assert rules.format_centi(0) == "0"
    for bad in ("NaN", "Infinity", "1e400x"):
        with pytest.raises(InvalidInput):
            rules.initial_milli(bad)


def test_choices_and_aliases():
    assert rules.kind("电表") == "electricity" and rules.kind("Water") == "water"
    assert rules.protocol("645") == "dlt645-2007" and rules.protocol("DLT645-1997") == "dlt645-1997"
    assert rules.customer_type("商户") == "merchant"
    assert rules.meter_state("库存") == "stock"
    assert rules.install_date(datetime(2024, 1, 2, 3, 4)) == date(2024, 1, 2)
    assert rules.install_date("2024.01.02") == date(2024, 1, 2)
    assert rules.parse_tags("线路:L1；部门：后勤, 公共") == [("line", "L1"), ("department", "后勤"), ("other", "公共")]


def test_messages_in_chinese():
    i18n.set_language("zh_CN")
    with pytest.raises(InvalidInput, match="不适用于 dlt645-2007"):
        rules.address("1234567890123", "dlt645-2007")
    with pytest.raises(InvalidInput, match="缺少表号"):
        rules.text("", i18n._("Meter number"), max_len=40)
    from archive.importing import ImportFailed, RowProblem

    err = ImportFailed([RowProblem("表计", 9, "没有通道 x")])
    assert str(err) == "1 行无效；未导入任何数据" and str(err.problems[0]) == "表计 第 9 行：没有通道 x"
