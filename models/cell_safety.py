"""Cells a spreadsheet must not run: formula injection in every xlsx and CSV the station writes.

A customer called `=HYPERLINK("http://x","y")`, or a failed login with such a name, must reach
Excel/WPS/LibreOffice as text. A text starting with = + - @ (or tab / CR, which some programs
skip before looking for a formula) is dangerous; plain numbers written as text ("-12.50",
"+8613800000000") are not, and real numbers (int, Decimal) are never touched — a negative
amount stays a number.

* xlsx: a dangerous text is written as a string cell (never a formula, data_type "s") with the
  quotePrefix style, so the cell shows exactly the text and editing it does not turn it into a
  formula either (safe_xlsx_cell; printing/excel.py uses quote_style for its raw XML rows).
* CSV: a dangerous text gets a leading apostrophe (OWASP's advice); so does a text already
  starting with one, so archive import (csv_unquote) restores every value exactly.

Qt-free, in models/ because archive/file_formats.py writes exports too (printing/ builds on models).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def dangerous(text: str) -> bool:
    """Would a spreadsheet read this text as (the start of) a formula?"""
    if not text or text[0] not in TRIGGERS:
        return False
    if text[0] in "+-" and all(c in "+- " for c in text):
        return False                    # "-" or "--" placeholders: nothing to calculate
    return not _PLAIN_NUMBER.fullmatch(text)


def csv_cell(value: Any) -> Any:
    if isinstance(value, str) and (dangerous(value) or value.startswith("'")):
        return "'" + value
    return value


_CSV_FIRST = frozenset((*TRIGGERS, "'"))


def csv_row(values: Iterable[Any]) -> list[Any]:
    """csv_cell of each value; a text whose first character cannot start a formula (nearly all)
    is passed on without a call (exports write hundreds of thousands of rows)."""
    return [csv_cell(v) if isinstance(v, str) and v[:1] in _CSV_FIRST else v for v in values]


def csv_unquote(text: str) -> str:
    """The value csv_cell() wrote `text` for (archive import reads its own exports back)."""
    if len(text) > 1 and text[0] == "'" and (dangerous(text[1:]) or text[1] == "'"):
        return text[1:]
    return text


def safe_xlsx_cell(ws: Any, value: Any) -> Any:   # ws: an openpyxl worksheet (untyped)
    """The value for openpyxl's ws.append: a dangerous text becomes a string cell with quotePrefix."""
    if isinstance(value, str) and dangerous(value):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"              # openpyxl would make "=..." a formula
        cell.quotePrefix = True
        return cell
    return value


def safe_xlsx_row(ws: Any, values: Iterable[Any]) -> list[Any]:
    return [safe_xlsx_cell(ws, v) for v in values]
