"""Amounts in Chinese capital numerals (人民币大写), as printed on receipts, bills and cheques.

The rules follow the People's Bank of China "正确填写票据和结算凭证的基本规定" as banks and
fapiao software apply them; where that text allows two spellings we pick one, listed here:

* Digits 零壹贰叁肆伍陆柒捌玖, units 拾佰仟 inside a group of four, 万 and 亿 between groups,
  then 元角分. Supported range: |amount| < 1万亿 (999,999,999,999.99).
* 壹拾 always: a 1 in the tens place is written 壹拾 even at the start (10 -> 壹拾元整,
  100,000 -> 壹拾万元整), so nothing can be written in front of a bare 拾.
* One 零 for any run of zeros *between* two non-zero digits, also across a 万/亿 boundary when
  the lower group starts with zeros or is all zero (1005 -> 壹仟零伍元整, 100,000,001 ->
  壹亿零壹元整). Zeros at the end of a group are absorbed by its unit (101,000 -> 壹拾万壹仟元,
  not 壹拾万零壹仟元).
* 元 is written whenever the yuan part is non-zero; a zero ones digit before a non-zero 角 gets no
  零 (1680.32 -> 壹仟陆佰捌拾元叁角贰分; the rules allow either).
* 角 zero and 分 non-zero -> 零 after 元 (325.04 -> 叁佰贰拾伍元零肆分, required by the rules);
  with no yuan part just the 分 (0.05 -> 伍分).
* 整 after 元 when there are no 角/分, and after 角 when there is no 分 (10.30 -> 壹拾元叁角整);
  never after 分. Zero is 零元整. A negative amount gets the prefix 负.

Only Decimal and int (whole yuan) are accepted; a float is refused (TypeError), and so is an
amount with non-zero digits below the fen (ValueError) — round in billing, not here.
"""
from __future__ import annotations

from decimal import Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
_IN_GROUP = ("仟", "佰", "拾", "")          # units for the 4 digits of a group, high to low
_GROUPS = ("亿", "万", "")                   # units of the 3 groups, high to low
LIMIT = Decimal("1000000000000")            # 1万亿 (exclusive)
_FEN = Decimal("0.01")


def to_fen(amount: Decimal | int) -> int:
    """The amount as an int number of fen; refuses floats and amounts finer than a fen."""
    if isinstance(amount, bool) or not isinstance(amount, (Decimal, int)):
        raise TypeError(f"amount must be Decimal or int, not {type(amount).__name__}")
    d = Decimal(amount)
    if not d.is_finite():
        raise ValueError(f"amount is not a finite number: {amount}")
    if d != d.quantize(_FEN):
        raise ValueError(f"amount has digits below the fen: {amount}")
    if abs(d) >= LIMIT:
        raise ValueError(f"amount out of range for capitals (|amount| < 1万亿): {amount}")
    return int(d.scaleb(2))


def _yuan_words(yuan: int) -> str:
    """The integer yuan part (0 < yuan < 10**12) without the trailing 元."""
    digits = f"{yuan:012d}"
    out: list[str] = []
    pending_zero = False
    for g, group_unit in enumerate(_GROUPS):
        group = digits[g * 4:(g + 1) * 4]
        for i, ch in enumerate(group):
            if ch == "0":
                if out:
                    pending_zero = True
                continue
            if pending_zero:
                out.append("零")
                pending_zero = False
            out.append(DIGITS[int(ch)] + _IN_GROUP[i])
        if group != "0000" and group_unit:
            out.append(group_unit)
            pending_zero = False      # zeros at the end of a group are absorbed by 万/亿
    return "".join(out)


def amount_in_capitals(amount: Decimal | int) -> str:
    """人民币大写 of amount, e.g. Decimal("1234.56") -> "壹仟贰佰叁拾肆元伍角陆分"."""
    fen = to_fen(amount)
    sign = "负" if fen < 0 else ""
    fen = abs(fen)
    yuan, rest = divmod(fen, 100)
    jiao, fen_digit = divmod(rest, 10)
    if fen == 0:
        return "零元整"
    parts: list[str] = []
    if yuan:
        parts.append(_yuan_words(yuan) + "元")
    if jiao:
        parts.append(DIGITS[jiao] + "角")
    elif fen_digit and yuan:
        parts.append("零")
    if fen_digit:
        parts.append(DIGITS[fen_digit] + "分")
    else:
        parts.append("整")
    return sign + "".join(parts)
