"""Several plain sheets (a header row, then rows of Python values) in one .xlsx, rendered
straight to sheet XML - the raw-row path of printing/excel.py for rows whose cells are typed by
their values, as openpyxl's write-only ``ws.append(values)`` types them:

    write_sheets_xlsx(path, [("表计", ["表号", "地址", ...], rows_from_a_cursor), ...])  # -> [count, ...]

The archive export hands its rows here (archive/ may not import printing/; the CLI passes this
function in, as `log export` passes printing.oplog_export.export_log to access/log_view.py).
What a cell holds, the same as openpyxl writes it:

* str - an inline string (an address "000000000001" stays text); a text that would start a
  formula gets the quotePrefix style (models/cell_safety.py); characters a sheet cannot hold
  are dropped (openpyxl refuses the whole file), at most 32,767 characters.
* int - a number; bool - TRUE/FALSE; Decimal - its exact decimal text (openpyxl goes through a
  float: Decimal("9.04") -> 9.039999999999999); float - repr.
* date / datetime (naive) - an Excel serial number with openpyxl's formats ``yyyy-mm-dd`` /
  ``yyyy-mm-dd h:mm:ss``.
* None - no cell; "" - an empty text cell (as openpyxl writes it).

Rows are written 500 at a time (printing.excel.RAW_BATCH); memory stays flat at any size. The
zip is deflated at level 1 (ZIP_LEVEL), not openpyxl's 6: a third of the writer's CPU, 20 % more bytes.
The header row is plain text without a style, as before. The caller writes to a temporary
name and renames it (archive/file_formats.py _atomic).
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles.numbers import FORMAT_DATE_DATETIME, FORMAT_DATE_YYYYMMDD2
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from models.cell_safety import dangerous
from printing.excel import (
    _FORMULA_FIRST,
    _XML_WORK,
    RAW_BATCH,
    _abandon,
    _fast_cells,
    _RawRow,
    _serial,
    _xml_text,
)

MAX_TEXT = 32_767           # Excel's limit for one cell (openpyxl cuts there too)
ZIP_LEVEL = 1               # deflate level: 40,000 rows 1.39 -> 0.94 s CPU, the file 20 % larger (openpyxl: 6)
Sheet = tuple[str, Sequence[str], Iterable[Sequence[Any]]]


def _style(ws: Any, number_format: str | None = None, quoted: bool = False) -> str:
    cell = WriteOnlyCell(ws)
    if number_format:
        cell.number_format = number_format
    if quoted:
        cell.quotePrefix = True
    return f' s="{cell.style_id}"'


class _ValueRow:
    """Renders one row of Python values to cell XML (NUL where the row number goes)."""

    def __init__(self, ws: Any, width: int) -> None:
        self.letters = [get_column_letter(i) for i in range(1, width + 1)]
        self.date_style = _style(ws, FORMAT_DATE_YYYYMMDD2)
        self.datetime_style = _style(ws, FORMAT_DATE_DATETIME)
        self.quoted = _style(ws, quoted=True)

    def __call__(self, values: Sequence[Any]) -> _RawRow:
        out: list[str] = []
        work, first = _XML_WORK.search, _FORMULA_FIRST
        for letter, value in zip(self.letters, values, strict=False):
            t = type(value)
            if t is str:                          # nearly every cell: written here, without a call
                if value and work(value) is None and value[:1] not in first and len(value) <= MAX_TEXT:
                    out.append(f'<c r="{letter}\0" t="inlineStr"><is><t>{value}</t></is></c>')
                else:
                    out.append(self._text(letter, value) if value else f'<c r="{letter}\0" t="inlineStr"/>')
            elif value is None:
                continue
            elif t is int:
                out.append(f'<c r="{letter}\0" t="n"><v>{value}</v></c>')
            else:
                out.append(self._other(letter, value))
        return _RawRow(("".join(out),))

    def _text(self, letter: str, value: str) -> str:
        if len(value) > MAX_TEXT:
            value = value[:MAX_TEXT]
        style = self.quoted if value[:1] in _FORMULA_FIRST and dangerous(value) else ""
        body = f"<is><t>{value}</t></is>" if _XML_WORK.search(value) is None else _xml_text(value)
        return f'<c r="{letter}\0"{style} t="inlineStr">{body}</c>'

    def _other(self, letter: str, value: Any) -> str:
        """Every type but str and int, in the order openpyxl binds them (bool before int,
        datetime before date)."""
        if isinstance(value, bool):
            return f'<c r="{letter}\0" t="b"><v>{int(value)}</v></c>'
        if isinstance(value, str):
            return self._text(letter, str(value)) if value else f'<c r="{letter}\0" t="inlineStr"/>'
        if isinstance(value, int):
            return f'<c r="{letter}\0" t="n"><v>{int(value)}</v></c>'
        if isinstance(value, Decimal):
            if not value.is_finite():
                raise ValueError(f"cannot write {value!r} to a sheet")
            return f'<c r="{letter}\0" t="n"><v>{value:f}</v></c>'
        if isinstance(value, float):
            return f'<c r="{letter}\0" t="n"><v>{value!r}</v></c>'
        if isinstance(value, datetime):
            if value.tzinfo is not None:          # openpyxl refuses them too: the caller says which zone
                raise TypeError("a sheet holds no time zone: pass a naive local datetime")
            return f'<c r="{letter}\0"{self.datetime_style} t="n"><v>{_serial(value, "datetime")}</v></c>'
        if isinstance(value, date):
            return f'<c r="{letter}\0"{self.date_style} t="n"><v>{_serial(value, "date")}</v></c>'
        raise TypeError(f"cannot write a {type(value).__name__} to a sheet")


def write_sheets_xlsx(path: str | os.PathLike[str], sheets: Iterable[Sheet]) -> list[int]:
    """Write each (sheet name, headers, rows) as a sheet of path, in order; the rows written per sheet."""
    wb = Workbook(write_only=True)
    counts: list[int] = []
    ws = None
    try:
        for name, headers, rows in sheets:
            ws = wb.create_sheet(name)
            raw = _fast_cells(ws)
            ws.append([WriteOnlyCell(ws, value=h) for h in headers])
            render = _ValueRow(ws, len(headers))
            batch: list[_RawRow] = []
            n = 0
            for row in rows:
                batch.append(render(row))
                n += 1
                if len(batch) == RAW_BATCH:
                    raw.write(batch)
                    batch.clear()
            raw.write(batch)
            counts.append(n)
        _save(wb, path)
    except BaseException:
        if ws is not None:
            _abandon(ws)
        raise
    return counts



def _save(wb: Workbook, path: str | os.PathLike[str]) -> None:
    """wb.save(path) (openpyxl.writer.excel.save_workbook) with a faster deflate: the sheet
    XML is large and compresses well at any level; the time went into zlib."""
    wb.properties.modified = datetime.now(tz=UTC).replace(tzinfo=None)
    archive = ZipFile(path, "w", ZIP_DEFLATED, allowZip64=True, compresslevel=ZIP_LEVEL)
    try:
        ExcelWriter(wb, archive).save()         # closes the archive
    except BaseException:
        archive.close()
        raise
