"""Streaming Excel export: optional heading rows (the company name), a title row, a frozen
header row, typed columns, a totals row.

    cols = [Column("表号", "meter"), Column("金额", "amount", "money"), Column("时间", "at", "datetime")]
    write_table_xlsx("sales.xlsx", "五月售电明细", cols, rows_from_a_cursor(), totals=["amount"],
                     progress=report_to_gui, heading=["某某物业管理有限公司"])

Rows are written as they come (openpyxl write_only mode), so 100,000 rows from a database cursor
never sit in memory; ``progress(rows_done)`` is called every ``progress_every`` rows and at the
end, and may raise to cancel (the half-written file is removed). The file appears atomically.

Column kinds and what a cell holds:

* ``text`` — str(value), always a string cell (a customer called "=1+1" is not a formula);
  characters Excel cannot store (control characters) are dropped.
* ``money`` — Decimal yuan (rounded half-up to the fen) or **int fen**; ``#,##0.00``.
* ``energy`` — Decimal or int quantity, kept to all its digits; ``#,##0.00``.
* ``int`` — int; ``#,##0``.
* ``datetime`` / ``date`` — ``yyyy-mm-dd hh:mm`` / ``yyyy-mm-dd``; an aware datetime is shown
  in the PC's local time.

Floats are refused in number columns. No float surprises: openpyxl writes a Decimal through
``"%.16g" % value``, i.e. via a float, and Decimal("9.04") comes out as 9.039999999999999. We
write the decimal text itself ("9.04") into the number cell, so Excel parses exactly what a
person would type. Totals are summed here (int fen / Decimal), not as formulas: openpyxl
cannot calculate formulas and a reader of the file would see no value until Excel saved it.
"""
from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from models import station_time
from models.cell_safety import TRIGGERS, dangerous
from models.station_paths import private_file
from resources.i18n import _

KINDS = ("text", "money", "energy", "int", "datetime", "date")
FORMATS = {"money": "#,##0.00", "energy": "#,##0.00", "int": "#,##0",
           "datetime": "yyyy-mm-dd hh:mm", "date": "yyyy-mm-dd", "text": "General"}
WIDTHS = {"text": 16, "money": 14, "energy": 14, "int": 10, "datetime": 17, "date": 12}
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Column:
    header: str
    key: Any                       # dict key; tuple rows are taken by position
    kind: str = "text"
    width: float | None = None     # in characters; None = a default for the kind
    number_format: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}; choose one of {KINDS}")


def _number_text(d: Decimal) -> str:
    return format(d, "f")


def _no_float(value: object, col: Column) -> None:
    if isinstance(value, (float, bool)) or not isinstance(value, (int, Decimal)):
        raise TypeError(f"column {col.header!r}: {col.kind} needs Decimal or int, "
                        f"not {type(value).__name__}")


def money_fen(value: object, col: Column) -> int:
    """int -> fen as is; Decimal -> rounded half-up to the fen."""
    _no_float(value, col)
    if isinstance(value, int):
        return value
    assert isinstance(value, Decimal)     # _no_float let only int and Decimal through
    return int(value.quantize(_CENT, rounding=ROUND_HALF_UP).scaleb(2))


def fen_text(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


RAW_BATCH = 500          # rendered rows written into the sheet stream at once


class _RawRow(tuple[str]):
    """One data row already rendered as sheet XML: a 1-tuple (append() takes only sequences)
    whose string has NUL where the row number goes."""


_EPOCH = date(1899, 12, 30).toordinal()      # Excel's day 0 (1900 date system)


def _serial(value: date, kind: str) -> str:
    days = value.toordinal() - _EPOCH
    if kind == "date" or not isinstance(value, datetime):
        return str(days)
    secs = value.hour * 3600 + value.minute * 60 + value.second + value.microsecond / 1e6
    return repr(days + secs / 86400)


# a character to drop or escape, or white space at either end (xml:space="preserve"): a text
# without any (nearly every cell) is written as it is
_XML_WORK = re.compile(ILLEGAL_CHARACTERS_RE.pattern + r"|[&<>]|^\s|\s\Z")
_FORMULA_FIRST = frozenset(TRIGGERS)        # a text starting otherwise is never dangerous()


def _xml_text(text: str) -> str:
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if "&" in text or "<" in text or ">" in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if text[:1].isspace() or text[-1:].isspace():
        return f'<is><t xml:space="preserve">{text}</t></is>'
    return f"<is><t>{text}</t></is>"


class _Writer:
    """Renders data rows straight to sheet XML (write_only + et_xmlfile spend ~30 µs per cell
    building and serialising an element; a string per row is ~10x faster). Each column has
    one style (its number format) registered once; text is an inline string, numbers are
    the exact decimal text, dates are Excel serial numbers."""

    def __init__(self, ws: Any, columns: Sequence[Column], totals: Sequence[Any]) -> None:
        self.columns = columns
        self.heads = []
        self.quoted: list[str] = []      # text columns: the style with quotePrefix (models/cell_safety.py)
        for i, col in enumerate(columns, 1):
            cell = WriteOnlyCell(ws)
            style = ""
            if col.kind != "text" or col.number_format:
                cell.number_format = col.number_format or FORMATS[col.kind]
                style = f' s="{cell.style_id}"'
            self.heads.append((get_column_letter(i), style))
            quoted = WriteOnlyCell(ws)
            if col.kind == "text" and col.number_format:
                quoted.number_format = col.number_format
            quoted.quotePrefix = True
            self.quoted.append(f' s="{quoted.style_id}"')
        self.total_idx = [i for i, c in enumerate(columns) if c.key in totals]
        self.sums: dict[int, Any] = {i: (0 if columns[i].kind in ("money", "int") else Decimal(0))
                                     for i in self.total_idx}

    def row(self, values: Sequence[Any]) -> _RawRow:
        out: list[str] = []
        sums = self.sums
        work, first = _XML_WORK.search, _FORMULA_FIRST
        for i, (col, (letter, style), value) in enumerate(zip(self.columns, self.heads, values, strict=False)):
            if value is None:
                continue
            kind = col.kind
            if kind == "text":
                text = value if isinstance(value, str) else str(value)
                if text[:1] in first and dangerous(text):   # shown as typed, never run as a formula
                    style = self.quoted[i]
                if work(text) is None:
                    out.append(f'<c r="{letter}\0"{style} t="inlineStr"><is><t>{text}</t></is></c>')
                else:
                    out.append(f'<c r="{letter}\0"{style} t="inlineStr">{_xml_text(text)}</c>')
                continue
            if kind == "money":
                fen = money_fen(value, col)
                if i in sums:
                    sums[i] += fen
                number = fen_text(fen)
            elif kind in ("energy", "int"):
                _no_float(value, col)
                if kind == "int" and not isinstance(value, int):
                    raise TypeError(f"column {col.header!r}: int needs int")
                if i in sums:
                    sums[i] += value
                number = str(value) if isinstance(value, int) else _number_text(value)
            else:
                number = _serial(_moment(value, kind, col), kind)
            out.append(f'<c r="{letter}\0"{style} t="n"><v>{number}</v></c>')
        return _RawRow(("".join(out),))


def _moment(value: object, kind: str, col: Column) -> date:
    if not isinstance(value, date):
        raise TypeError(f"column {col.header!r}: {kind} needs a date/datetime")
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = station_time.wall(value)
        return value if kind == "datetime" else value.date()
    return datetime(value.year, value.month, value.day) if kind == "datetime" else value


def sheet_title(title: str) -> str:
    """A legal sheet name: no []:*?/\\ and at most 31 characters."""
    return re.sub(r"[\[\]:*?/\\]", "_", title).strip("'")[:31] or "Sheet1"


def write_table_xlsx(path: str | os.PathLike[str], title: str, columns: Sequence[Column],
                     rows: Iterable[dict[str, Any] | Sequence[Any]], totals: Sequence[Any] | None = None,
                     progress: Callable[[int], None] | None = None, *,
                     progress_every: int = 1000, heading: Sequence[str] = ()) -> int:
    """Write rows to an .xlsx file at path; returns the number of data rows written.

    ``heading``: lines printed above the title, each a merged, centred row (e.g. the company
    name, then "打印时间 …"); empty lines are skipped. Without it the sheet is as before: the
    title in row 1, the column headers in row 2."""
    totals = list(totals or [])
    keyed = {c.key: c for c in columns}
    for key in totals:
        if key not in keyed or keyed[key].kind not in ("money", "energy", "int"):
            raise ValueError(f"cannot total column {key!r}: not a number column")
    target = Path(path)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet_title(title))
    ncol = len(columns)
    for i, col in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(i)].width = col.width or max(
            WIDTHS[col.kind], min(40, 2 * len(col.header) + 2))
    lines = [str(line) for line in heading if str(line).strip()]
    top = len(lines)                                   # rows above the title
    ws.freeze_panes = f"A{top + 3}"
    ws.print_title_rows = f"1:{top + 2}"
    if ncol > 1:
        for r in range(1, top + 2):
            ws.merged_cells.add(f"A{r}:{get_column_letter(ncol)}{r}")
    raw = _fast_cells(ws)
    for line in lines:
        cell = WriteOnlyCell(ws, value=ILLEGAL_CHARACTERS_RE.sub("", line))
        cell.font = Font(size=12, bold=True)
        cell.alignment = Alignment(horizontal="center")
        cell.data_type = "s"
        ws.append([cell])
    head = WriteOnlyCell(ws, value=title)
    head.font = Font(size=14, bold=True)
    head.alignment = Alignment(horizontal="center")
    head.data_type = "s"
    ws.append([head])
    ws.append([_header(ws, c.header) for c in columns])
    writer = _Writer(ws, columns, totals)
    count = 0
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        batch: list[_RawRow] = []
        for row in rows:
            values = [row.get(c.key) for c in columns] if isinstance(row, dict) else row
            batch.append(writer.row(values))
            count += 1
            if len(batch) == RAW_BATCH:
                raw.write(batch)
                batch.clear()
            if progress is not None and count % progress_every == 0:
                progress(count)
        raw.write(batch)
        if totals:
            ws.append(_totals_row(ws, columns, writer))
        wb.save(tmp)
        private_file(tmp)                   # customers' names and phones: the station's user only
        os.replace(tmp, target)
    except BaseException:
        _abandon(ws)
        Path(tmp).unlink(missing_ok=True)
        raise
    if progress is not None and (count == 0 or count % progress_every):
        progress(count)
    return count


def _abandon(ws: Any) -> None:
    """Close a half-written sheet and remove openpyxl's temporary file (export cancelled)."""
    try:
        ws.close()
    except Exception:       # noqa: BLE001 - the sheet is being thrown away
        pass
    writer = getattr(ws, "_writer", None)
    if writer is not None:
        try:
            writer.cleanup()
        except (OSError, ValueError):
            pass


class RawWriter:
    """Rows rendered by _Writer.row written straight into the sheet stream, many per write.

    write(rows) numbers them after every row appended so far and shifts the rows appended
    later (totals) by as many, so the sheet's row numbers stay consecutive."""

    def __init__(self) -> None:
        self.xf = None            # the sheet stream, known once the first row was appended
        self.extra = 0            # rows written here: what the worksheet's own counter misses
        self.next = 1             # the row number the next row gets

    def write(self, rows: Sequence[_RawRow]) -> None:
        if self.xf is None:
            raise RuntimeError("append a first row (the header) before raw rows")
        n, out = self.next, []
        for i, row in enumerate(rows, n):
            r = str(i)
            out.append(f'<row r="{r}">{row[0].replace(chr(0), r)}</row>')
        self.xf._file("".join(out))
        self.next += len(rows)
        self.extra += len(rows)


def _fast_cells(ws: Any) -> RawWriter:
    """Let the worksheet take our prepared rows as they are; returns the RawWriter that writes
    batches of rendered rows without the per-row append() machinery.

    openpyxl's write-only append() first assigns every value to a scratch cell and, when the
    value is itself a cell, catches the ValueError that assignment raises — and then writes
    each cell through an element tree. Rows we append are either lists of WriteOnlyCells
    (title, header, totals: placed as they are) or a _RawRow of finished XML, written
    straight into the sheet stream with its row number filled in. This replaces two private
    methods of one worksheet object; test_excel reads the file back to pin it.
    """
    raw = RawWriter()

    def values_to_row(values: Any, row_idx: int) -> Any:
        if isinstance(values, _RawRow):
            return values
        return _place(values, row_idx + raw.extra)

    def _place(values: Iterable[Any], row_idx: int) -> Iterator[Any]:
        for col_idx, cell in enumerate(values, 1):
            if cell is not None:
                cell.row, cell.column = row_idx, col_idx
                yield cell

    ws._values_to_row = values_to_row
    ws._get_writer()
    writer = ws._writer
    write_row = writer.write_row

    def fast_write_row(xf: Any, row: Any, row_idx: int) -> None:
        raw.xf = xf
        row_idx += raw.extra
        raw.next = row_idx + 1
        if isinstance(row, _RawRow):
            n = str(row_idx)
            xf._file(f'<row r="{n}">{row[0].replace(chr(0), n)}</row>')
        else:
            write_row(xf, row, row_idx)

    writer.write_row = fast_write_row
    return raw


def _header(ws: Any, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=text)
    cell.data_type = "s"
    cell.font = Font(bold=True)
    cell.fill = PatternFill("solid", fgColor="DDDDDD")
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    cell.border = Border(bottom=Side(style="thin"))
    return cell


def _totals_row(ws: Any, columns: Sequence[Column], writer: _Writer) -> list[Any]:
    out: list[Any] = []
    label_at = next((i for i in range(len(columns)) if i not in writer.sums), None)
    for i, col in enumerate(columns):
        cell = WriteOnlyCell(ws)
        cell.font = Font(bold=True)
        cell.border = Border(top=Side(style="thin"))
        if i in writer.sums:
            cell.number_format = col.number_format or FORMATS[col.kind]
            total = writer.sums[i]
            cell._value = fen_text(total) if col.kind == "money" else _number_text(Decimal(total))
            cell.data_type = "n"
        elif i == label_at:
            cell._value, cell.data_type = _("Total"), "s"
        out.append(cell)
    return out
