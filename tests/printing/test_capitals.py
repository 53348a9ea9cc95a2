"""人民币大写: a hand-written table, the refusals, and a hypothesis round trip through a parser."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from printing.capitals import amount_in_capitals, to_fen

TABLE = [
    ("0", "零元整"),
    ("0.00", "零元整"),
    ("0.01", "壹分"),
    ("0.05", "伍分"),
    ("0.10", "壹角整"),
    ("0.15", "壹角伍分"),
    ("1", "壹元整"),
    ("1.01", "壹元零壹分"),
    ("9.90", "玖元玖角整"),
    ("10", "壹拾元整"),
    ("10.30", "壹拾元叁角整"),
    ("11", "壹拾壹元整"),
    ("15.00", "壹拾伍元整"),
    ("20.02", "贰拾元零贰分"),
    ("100", "壹佰元整"),
    ("101", "壹佰零壹元整"),
    ("110", "壹佰壹拾元整"),
    ("325.04", "叁佰贰拾伍元零肆分"),
    ("1000", "壹仟元整"),
    ("1005.00", "壹仟零伍元整"),
    ("1010", "壹仟零壹拾元整"),
    ("1234.56", "壹仟贰佰叁拾肆元伍角陆分"),
    ("1409.50", "壹仟肆佰零玖元伍角整"),
    ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
    ("6007.14", "陆仟零柒元壹角肆分"),
    ("10000", "壹万元整"),
    ("10001", "壹万零壹元整"),
    ("16409.02", "壹万陆仟肆佰零玖元零贰分"),
    ("100000", "壹拾万元整"),
    ("100010", "壹拾万零壹拾元整"),
    ("101000", "壹拾万壹仟元整"),
    ("107000.53", "壹拾万柒仟元伍角叁分"),
    ("1000000", "壹佰万元整"),
    ("10000100", "壹仟万零壹佰元整"),
    ("12345678.90", "壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元玖角整"),
    ("99999999.99", "玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ("100000000", "壹亿元整"),
    ("100000001", "壹亿零壹元整"),
    ("100001000", "壹亿零壹仟元整"),
    ("100010000", "壹亿零壹万元整"),
    ("110000000", "壹亿壹仟万元整"),
    ("1000007000", "壹拾亿零柒仟元整"),
    ("999999999999.99", "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ("-0.05", "负伍分"),
    ("-100", "负壹佰元整"),
    ("-12.50", "负壹拾贰元伍角整"),
    ("-0.00", "零元整"),
]


@pytest.mark.parametrize(("text", "words"), TABLE)
def test_table(text, words):
    assert amount_in_capitals(Decimal(text)) == words


def test_int_is_whole_yuan():
    assert amount_in_capitals(100) == "壹佰元整"
    assert to_fen(7) == 700


@pytest.mark.parametrize("bad", [1.5, 0.0, True, "1.00", None])
def test_refuses_non_decimal(bad):
    with pytest.raises(TypeError):
        amount_in_capitals(bad)


@pytest.mark.parametrize("bad", ["0.001", "1.005", "1000000000000", "-1000000000000", "NaN",
                                 "Infinity"])
def test_refuses_out_of_range_or_sub_fen(bad):
    with pytest.raises(ValueError):
        amount_in_capitals(Decimal(bad))


def test_trailing_zeros_below_fen_are_fine():
    assert amount_in_capitals(Decimal("1.5000")) == "壹元伍角整"


# ---- a parser written independently of the formatter, for the round trip ----
_D = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}
_U = {"拾": 10, "佰": 100, "仟": 1000}


def parse_capitals(words: str) -> int:
    """Capitals back to fen; asserts the shape rules on the way."""
    sign = -1 if words.startswith("负") else 1
    words = words.removeprefix("负")
    if words == "零元整":
        return 0
    assert "零零" not in words and not words.endswith("零")
    assert not re.search(r"(^|[^壹贰叁肆伍陆柒捌玖])拾", words), "拾 without a digit (壹拾 rule)"
    assert not words.endswith("分整")
    yuan_part, _, frac = words.rpartition("元") if "元" in words else ("", "", words)
    total = section = number = 0
    for ch in yuan_part:
        if ch in _D:
            number = _D[ch]
        elif ch in _U:
            section += number * _U[ch]
            number = 0
        elif ch == "万":
            total += (section + number) * 10_000
            section = number = 0
        elif ch == "亿":
            total = (total + section + number) * 100_000_000
            section = number = 0
        else:
            raise AssertionError(f"unexpected {ch!r} in {words}")
    yuan = total + section + number
    m = re.fullmatch(r"零?(?:(?P<j>[壹贰叁肆伍陆柒捌玖])角)?(?:(?P<f>[壹贰叁肆伍陆柒捌玖])分)?(?P<z>整)?", frac)
    assert m, f"bad fraction part {frac!r} in {words}"
    jiao = _D[m["j"]] if m["j"] else 0
    fen = _D[m["f"]] if m["f"] else 0
    assert bool(m["z"]) == (fen == 0), "整 exactly when there is no 分"
    assert frac.startswith("零") == (yuan > 0 and jiao == 0 and fen > 0), "零 before a lone 分"
    return sign * (yuan * 100 + jiao * 10 + fen)


@settings(max_examples=3000, database=None, deadline=None)
@given(st.integers(min_value=0, max_value=9_999_999_999))
def test_round_trip(fen):
    amount = Decimal(fen).scaleb(-2)
    assert parse_capitals(amount_in_capitals(amount)) == fen
    if fen:
        assert parse_capitals(amount_in_capitals(-amount)) == -fen


@pytest.mark.parametrize(("text", "_words"), TABLE)
def test_parser_agrees_with_table(text, _words):
    assert parse_capitals(_words) == to_fen(Decimal(text))
