"""billing.money: typed amounts, fen conversion, the named rounding rules, no floats."""
from __future__ import annotations

from decimal import Decimal as D
from fractions import Fraction as F

import pytest

from billing.money import (
    Rounding,
    as_fraction,
    fraction_text,
    from_fen,
    parse_amount,
    parse_quantity,
    round_energy,
    round_money,
    round_to,
    to_fen,
)
from models.errors import InvalidInput
from resources import i18n


@pytest.mark.parametrize("text,expected", [
    ("12", "12.00"), ("12.5", "12.50"), ("12.50", "12.50"), ("¥12.50", "12.50"),
    ("￥12.50", "12.50"), ("¥ 12.50", "12.50"), ("１２．５０", "12.50"), ("１２３", "123.00"),
    ("1,234.50", "1234.50"), ("１，２３４", "1234.00"), ("12,345,678", "12345678.00"),
    ("  7.1 ", "7.10"), ("12元", "12.00"), ("RMB 3", "3.00"), ("CNY3.4", "3.40"),
    ("0", "0.00"), ("0.01", "0.01"), (".5", "0.50"), ("12.", "12.00"),
    ("12.500", "12.50"),              # trailing zeros below the fen change nothing: accepted
    ("12。5", "12.50"),               # the Chinese full stop an IME produces
])
def test_parse_amount_accepts(text, expected):
    value = parse_amount(text, maximum=D("1e9"))
    assert value == D(expected) and str(value) == expected


@pytest.mark.parametrize("text,message", [
    ("", "Enter an amount"),
    ("   ", "Enter an amount"),
    ("NaN", "NaN is not a finite number"),
    ("-inf", "-inf is not a finite number"),
    ("Infinity", "Infinity is not a finite number"),
    ("12.505", "12.505 has more than 2 decimal places; the smallest unit is 0.01 yuan"),
    ("0.001", "0.001 has more than 2 decimal places; the smallest unit is 0.01 yuan"),
    ("-5", "The amount must not be negative (-5.00)"),
    ("¥-5", "The amount must not be negative (-5.00)"),
    ("100000.01", "100000.01 yuan is above the limit of 100000.00 yuan per operation"),
    ("12,50", '"12,50" is not an amount; write it like 12.50'),      # a decimal comma? refuse
    ("1,2345", '"1,2345" is not an amount; write it like 12.50'),
    ("1e3", '"1e3" is not an amount; write it like 12.50'),
    ("12abc", '"12abc" is not an amount; write it like 12.50'),
    ("--5", '"--5" is not an amount; write it like 12.50'),
    ("1 234", '"1 234" is not an amount; write it like 12.50'),
    ("0x10", '"0x10" is not an amount; write it like 12.50'),
])
def test_parse_amount_refuses_with_one_clear_message(text, message):
    with pytest.raises(InvalidInput) as err:
        parse_amount(text)
    assert str(err.value) == message


def test_parse_amount_limits_and_negatives():
    assert parse_amount("100000") == D("100000.00")
    assert parse_amount("-5", allow_negative=True) == D("-5.00")
    assert parse_amount("−5", allow_negative=True) == D("-5.00")        # U+2212 minus
    assert str(parse_amount("-0")) == "0.00"
    assert parse_amount("500", maximum=D("500")) == D("500.00")
    with pytest.raises(InvalidInput, match="above the limit of 500"):
        parse_amount("500.01", maximum=D("500"))
    with pytest.raises(InvalidInput, match="above the limit"):
        parse_amount("-100000.01", allow_negative=True)


def test_messages_are_translated():
    i18n.set_language("zh_CN")
    with pytest.raises(InvalidInput) as err:
        parse_amount("12.505")
    assert "12.505" in str(err.value) and "小数" in str(err.value)


@pytest.mark.parametrize("bad", [12.5, 0.1, float("nan")])
def test_floats_are_refused_everywhere(bad):
    for call in (parse_amount, parse_quantity, to_fen, from_fen, round_money, round_energy,
                 as_fraction):
        with pytest.raises(TypeError, match="float"):
            call(bad)


def test_other_types_are_refused():
    with pytest.raises(TypeError):
        parse_amount(12)                  # text only: a number is not typed input
    with pytest.raises(TypeError):
        from_fen(True)
    with pytest.raises(TypeError):
        to_fen(12)


@pytest.mark.parametrize("value,fen", [("0.00", 0), ("0.01", 1), ("12.34", 1234), ("-7.05", -705),
                                       ("100000.00", 10000000), ("12.3", 1230)])
def test_fen_conversion_is_exact(value, fen):
    assert to_fen(D(value)) == fen
    assert from_fen(fen) == D(value) and from_fen(fen).as_tuple().exponent == -2


def test_to_fen_refuses_a_fraction_of_a_fen():
    with pytest.raises(ValueError, match="round_money"):
        to_fen(D("0.005"))


@pytest.mark.parametrize("value,up,even,down", [
    ("0.125", "0.13", "0.12", "0.12"),
    ("0.135", "0.14", "0.14", "0.13"),
    ("0.1250001", "0.13", "0.13", "0.12"),
    ("0.1249999", "0.12", "0.12", "0.12"),
    ("-0.125", "-0.13", "-0.12", "-0.12"),
    ("-0.129", "-0.13", "-0.13", "-0.12"),
    ("2.675", "2.68", "2.68", "2.67"),          # the classic float trap (2.67499999... as float)
    ("7", "7.00", "7.00", "7.00"),
])
def test_round_money_rules(value, up, even, down):
    assert round_money(D(value)) == D(up)                   # 四舍五入 is the default
    assert round_money(D(value), Rounding.HALF_UP) == D(up)
    assert round_money(D(value), "half_even") == D(even)    # a settings file stores the value
    assert round_money(D(value), Rounding.DOWN) == D(down)


def test_round_money_takes_exact_fractions():
    assert round_money(F(1, 3)) == D("0.33")
    assert round_money(F(2, 3)) == D("0.67")
    assert round_money(F(1, 200)) == D("0.01")              # exactly half a fen
    assert round_money(F(1, 200), Rounding.HALF_EVEN) == D("0.00")
    with pytest.raises(ValueError):
        round_money(D(1), "ceiling")                         # only the named rules


def test_energy_rounds_down_with_configured_places():
    assert round_energy(F(1000, 9)) == D("111.11")
    assert round_energy(D("2.999")) == D("2.99")
    assert round_energy(D("2.999"), 3) == D("2.999")
    assert round_energy(D("2.5"), 0) == D("2")
    assert round_to(F(1, 3), 4, Rounding.HALF_UP) == D("0.3333")


@pytest.mark.parametrize("text,expected", [("120.5", "120.50"), ("120.5 kWh", "120.50"),
                                           ("30度", "30.00"), ("12 m³", "12.00"), ("1,000", "1000.00"),
                                           ("１５方", "15.00")])
def test_parse_quantity(text, expected):
    assert str(parse_quantity(text)) == expected


@pytest.mark.parametrize("text,message", [
    ("", "Enter a quantity"),
    ("1.234", "1.234 has more than 2 decimal places"),
    ("-1", "The quantity must not be negative (-1)"),
    ("5 yuan", '"5 yuan" is not a quantity; write it like 120.50'),
    ("2000000", "2000000 is above the limit of 1000000"),
])
def test_parse_quantity_refuses(text, message):
    with pytest.raises(InvalidInput) as err:
        parse_quantity(text)
    assert str(err.value) == message


def test_parse_quantity_places():
    assert str(parse_quantity("1.234", places=3)) == "1.234"


def test_fraction_text_is_exact_and_readable():
    for value, text in [(F(1, 3), "1/3"), (F(1, 8), "0.125"), (F(5), "5"), (F(-1, 40), "-0.025"),
                        (F(0), "0"), (F("12.3"), "12.3"), (F(7, 6), "7/6")]:
        assert fraction_text(value) == text
        assert F(text) == value
