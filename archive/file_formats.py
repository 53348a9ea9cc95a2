"""Import and export of the whole archive (档案导入导出) as Excel or CSV.

Files
    FILE.xlsx   one sheet per kind: 楼栋房间 (places), 通道 (links), 表计 (meters), 用户 (customers)
    FOLDER/     one CSV per kind: places.csv, links.csv, meters.csv, customers.csv
    FILE.csv    a single kind (`meter import FILE.csv`: meters)
CSV is read as UTF-8 (with or without BOM) or, failing that, GB18030 (what Chinese Excel saves);
it is written as UTF-8 with BOM so Excel opens it correctly. A sheet's kind comes from its
name, or else from its headers. The first non-empty row is the header; row numbers in error
reports are the spreadsheet's own (header = row 1 usually). Unknown columns are ignored.

Columns (Chinese header as exported / English header; * required; other accepted spellings
are in COLUMNS below):
  楼栋房间  园区 site, 楼栋* building, 楼层 floor, 楼层序号 level, 房间 room, 房间名称 room_name,
            面积(m²) area, 人数 people — a row names a building, a floor or a room; what is
            missing is created; an existing room gets the name/area/people given.
  通道      名称* name, 通道地址* url, 协议 protocol (default for its meters), 启用 enabled (是/否)
            — a link that exists with the same bus is left as it is.
  表计      表号* number, 类型 kind (electricity|water|gas|heat or 电/水/气/热), 协议 protocol
            (default: the link's), 型号 profile (Modbus), 地址* address, 通道 link (required
            unless 状态 is stock), 倍率 ct_ratio, 初始读数 initial, 安装日期 install_date,
            状态 state, 园区 site, 楼栋 building, 楼层 floor, 房间 room, 标签 tags
            ("line:A线; department:后勤"), 表计参数 options ("password=000000; operator=12345678;
            timeout=2": the per-meter options of models/meter_options.py, KEY=VALUE separated by ";"; an
            unknown key or bad value makes the row bad; export leaves the password out) — the
            building must exist (or be in the 楼栋房间 sheet); floors and rooms are created as needed.
  用户      姓名* name, 电话 phone, 证件号 id_number, 类型 type (resident|merchant|office|school|
            other or 居民/商户/办公/学校/其他) — a customer with the same name and phone as another
            (in the file or the database) is refused.

Import (archive/importing.py) checks every row first, reports every bad row with sheet, row
and reason, and imports nothing unless all rows are good — one transaction, one log row.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.cell_safety import csv_row, csv_unquote, safe_xlsx_row
from models.errors import InvalidInput
from resources.i18n import _

KINDS = ("places", "links", "meters", "customers")
SHEET_NAMES = {"places": "楼栋房间", "links": "通道", "meters": "表计", "customers": "用户"}
SHEET_ALIASES = {"places": ("楼栋房间", "楼栋", "房间", "区域", "places", "rooms", "buildings"),
                 "links": ("通道", "通讯通道", "links", "link"),
                 "meters": ("表计", "表计档案", "设备档案", "meters", "meter"),
                 "customers": ("用户", "客户", "用户档案", "customers", "customer")}
# kind -> [(key, exported Chinese header, other accepted headers)]
COLUMNS: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "places": [("site", "园区", ("site", "小区", "项目")), ("building", "楼栋", ("building", "楼号", "楼宇")),
               ("floor", "楼层", ("floor",)), ("level", "楼层序号", ("level",)),
               ("room", "房间", ("room", "房号", "房间号", "商铺", "铺位号")),
               ("room_name", "房间名称", ("room_name", "名称")), ("area", "面积(m²)", ("area", "面积", "建筑面积")),
               ("people", "人数", ("people", "人口"))],
    "links": [("name", "名称", ("name", "link", "通道", "通道名称")), ("url", "通道地址", ("url", "地址", "连接")),
              ("protocol", "协议", ("protocol", "规约", "默认协议")), ("enabled", "启用", ("enabled",))],
    "meters": [("number", "表号", ("number", "meter", "表计编号", "表编号")),
               ("kind", "类型", ("kind", "表类型", "表计类型")), ("protocol", "协议", ("protocol", "规约", "通讯协议")),
               ("profile", "型号", ("profile", "型号配置")), ("address", "地址", ("address", "通讯地址", "表地址")),
               ("link", "通道", ("link", "通道名称")),
               ("ct_ratio", "倍率", ("ct", "ct_ratio", "互感器倍率", "ct变比", "变比")),
               ("initial", "初始读数", ("initial", "起始读数", "底数", "初始底数")),
               ("install_date", "安装日期", ("install_date",)), ("state", "状态", ("state",)),
               ("site", "园区", ("site",)), ("building", "楼栋", ("building", "楼号")), ("floor", "楼层", ("floor",)),
               ("room", "房间", ("room", "房号", "房间号", "商铺")), ("tags", "标签", ("tags", "分组")),
               ("options", "表计参数", ("options", "参数", "选项"))],
    "customers": [("name", "姓名", ("name", "customer", "用户名", "客户名称", "户名", "名称")),
                  ("phone", "电话", ("phone", "手机", "手机号", "联系电话")),
                  ("id_number", "证件号", ("id_number", "身份证号", "证件号码")),
                  ("type", "类型", ("type", "用户类型"))],
}
REQUIRED = {"places": {"building"}, "links": {"name", "url"}, "meters": {"number", "address"},
            "customers": {"name"}}
DETECT_ORDER = ("meters", "links", "places", "customers")
CSV_NAMES = {k: f"{k}.csv" for k in KINDS}


@dataclass
class Table:
    """One sheet (or CSV file) of one kind: rows as {key: raw cell value} with row numbers."""
    kind: str
    sheet: str
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


def _norm(header: object) -> str:
    text = re.sub(r"[(（].*?[)）]", "", str(header or ""))
    return re.sub(r"[\s*_\-]", "", text).lower()


def _header_map(kind: str, headers: list[object]) -> dict[int, str]:
    """Column index -> key for the headers a kind knows."""
    lookup = {_norm(alias): key for key, zh, aliases in COLUMNS[kind] for alias in (zh, key, *aliases)}
    out: dict[int, str] = {}
    for i, h in enumerate(headers):
        key = lookup.get(_norm(h))
        if key and key not in out.values():
            out[i] = key
    return out


def _kind_of(name: str, headers: list[object], forced: str | None) -> str:
    if forced:
        return forced
    n = _norm(Path(name).stem if name.lower().endswith(".csv") else name)
    for kind, aliases in SHEET_ALIASES.items():
        if n in {_norm(a) for a in aliases}:
            return kind
    for kind in DETECT_ORDER:
        if REQUIRED[kind] <= set(_header_map(kind, headers).values()):
            return kind
    raise InvalidInput(_("Sheet {sheet}: cannot tell what it holds; name it 楼栋房间, 通道, 表计 or 用户 "
                         "or give the columns described in the manual").format(sheet=name))


def _table(name: str, rows: Iterable[Sequence[object]], forced: str | None) -> Table | None:
    it = iter(enumerate(rows, start=1))
    for _n, headers in it:
        if any(str(v).strip() for v in headers if v is not None):
            break
    else:
        return None
    kind = _kind_of(name, list(headers), forced)
    cols = _header_map(kind, list(headers))
    missing = sorted(REQUIRED[kind] - set(cols.values()))
    if missing:
        names = ", ".join(zh for key, zh, _a in COLUMNS[kind] if key in missing)
        raise InvalidInput(_("Sheet {sheet}: the column {column} is missing").format(sheet=name, column=names))
    table = Table(kind, name)
    for number, values in it:
        row = {key: values[i] if i < len(values) else None for i, key in cols.items()}
        if any(v is not None and str(v).strip() for v in row.values()):
            table.rows.append((number, row))
    return table


def _decode(data: bytes, name: str) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(_("{file} is not a UTF-8 or GB18030 text file").format(file=name))


def read_tables(path: str | Path, kind: str | None = None) -> list[Table]:
    """Every table in an .xlsx, a .csv, or a folder of .csv files; kind forces a single .csv's kind."""
    p = Path(path)
    if not p.exists():
        raise InvalidInput(_("There is no file {file}").format(file=p))
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.suffix.lower() == ".csv")
        return [t for f in files for t in read_tables(f)]
    suffix = p.suffix.lower()
    if suffix == ".csv":
        text = _decode(p.read_bytes(), p.name)
        rows = ([csv_unquote(c) for c in row] for row in csv.reader(io.StringIO(text, newline="")))
        try:
            t = _table(p.name, rows, kind)
        except csv.Error as e:       # e.g. a cell over the csv module's 128 KiB field limit
            raise InvalidInput(_("{file} is not a readable CSV file: {reason}").format(file=p.name, reason=e)) from None
        return [t] if t else []
    if suffix in (".xlsx", ".xlsm"):
        return list(_xlsx_tables(p))
    raise InvalidInput(_("Import from a .xlsx or .csv file (or a folder of .csv files)"))


def _xlsx_tables(p: Path) -> Iterator[Table]:
    from zipfile import BadZipFile

    import openpyxl

    try:
        wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except (BadZipFile, OSError, KeyError, ValueError) as e:
        raise InvalidInput(_("{file} is not a readable Excel file: {reason}").format(file=p.name, reason=e)) from None
    try:
        tables = [_table(ws.title, ws.iter_rows(values_only=True), None) for ws in wb.worksheets]
    finally:
        wb.close()
    yield from (t for t in tables if t)


def headers(kind: str) -> list[str]:
    return [zh for _key, zh, _a in COLUMNS[kind]]


# write(path, [(sheet name, headers, rows), ...]) -> rows written per sheet: a faster .xlsx
# writer handed in by the caller (the CLI passes printing.sheets.write_sheets_xlsx; archive/
# may not import printing/, the import rules in tests/foundation)
XlsxWriter = Callable[[Path, list[tuple[str, list[str], Iterable[Sequence[Any]]]]], list[int]]


def write_tables(path: str | Path, tables: dict[str, Iterable[Sequence[Any]]], *,
                 xlsx: XlsxWriter | None = None) -> dict[str, int]:
    """Write {kind: rows} (rows in COLUMNS order, any iterable: a cursor is streamed, never held)
    as .xlsx, one .csv, or a folder of .csv; returns the rows written per kind. Each file appears
    whole or not at all (written beside its name, then renamed).

    An .xlsx goes through `xlsx` when given (the same cells, rendered as XML text, not as cells),
    else through openpyxl's write-only cells (a caller without printing/, e.g. a test)."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".xlsx":
        counts: dict[str, int] = {}
        if xlsx is not None:
            write = xlsx

            def write_fast(tmp: Path) -> None:
                kinds = list(tables)
                done = write(tmp, [(SHEET_NAMES[k], headers(k), tables[k]) for k in kinds])
                counts.update(zip(kinds, done, strict=True))
            _atomic(p, write_fast)
            return counts
        import openpyxl

        def write_xlsx(tmp: Path) -> None:
            wb = openpyxl.Workbook(write_only=True)
            for kind, rows in tables.items():
                ws = wb.create_sheet(SHEET_NAMES[kind])
                ws.append(headers(kind))
                n = 0
                for row in rows:
                    ws.append(safe_xlsx_row(ws, row))
                    n += 1
                counts[kind] = n
            wb.save(tmp)
        _atomic(p, write_xlsx)
        return counts
    if suffix == ".csv":
        if len(tables) != 1:
            raise InvalidInput(_("Export the whole archive to an .xlsx file or a folder"))
        (kind, rows), = tables.items()
        return {kind: _write_csv(p, kind, rows)}
    if suffix:
        raise InvalidInput(_("Export to a .csv or .xlsx file"))
    p.mkdir(parents=True, exist_ok=True)
    return {kind: _write_csv(p / CSV_NAMES[kind], kind, rows) for kind, rows in tables.items()}


def _atomic(target: Path, write: Any) -> None:
    import os
    import uuid

    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(tmp)
        from models.station_paths import private_file

        private_file(tmp)                   # customers' names and phones: the station's user only
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_csv(p: Path, kind: str, rows: Iterable[Sequence[Any]]) -> int:
    n = 0

    def write(tmp: Path) -> None:
        nonlocal n
        with tmp.open("w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f)
            w.writerow(headers(kind))
            for row in rows:
                w.writerow(csv_row("" if v is None else v.isoformat() if hasattr(v, "isoformat") else v
                                   for v in row))
                n += 1
    _atomic(p, write)
    return n
