"""`archive export FILE.xlsx` through the raw-row writer (printing/sheets.py, handed in by the
CLI): the same sheets, headers, cells, number formats and text cells as openpyxl's write-only
cells (the path archive/file_formats.py takes without a writer, what the command did before),
a file every reader opens, and no openpyxl cell object per value."""
from __future__ import annotations

import zipfile
from xml.dom import minidom

import openpyxl
import pytest

import app
from archive import service as svc
from archive.files import export_archive
from printing.sheets import write_sheets_xlsx

TRICKY = ["=1+1", "+86 138", "-12.50", "@x", " lead", "trail ", "a&b<c>", "#N/A", "收费窗口1", "'quoted", "0012"]


def _archive(db, root) -> None:
    svc.add_link(db, root, "bus2", "serial://COM3?baud=9600&parity=N", "modbus")
    svc.add_meter(db, root, "M1", link="bus1", address="000000000001", room="A/1F/101", ct_ratio=30,
                  initial="1234.567", install_date="2023-12-31")
    svc.add_meter(db, root, "M2", link="bus2", address="12", profile="eastron-sdm630", room="B/1F/101",
                  kind="heat", initial="9.04")
    svc.add_meter(db, root, "W1", link="bus1", protocol="cjt188", address="00000000000042", kind="gas")
    svc.add_meter(db, root, "S1", link=None, address="5", state="stock", install_date="2026-02-28")
    svc.set_meter_tags(db, root, "M1", [("line", "L1"), ("department", "后勤")])
    svc.add_customer(db, root, "张三", phone="013800000000", id_number="110105194912310021", type="merchant")
    for i, name in enumerate(TRICKY):
        svc.add_customer(db, root, name, phone=f"0{i:010d}")


def _cells(path):
    """Every sheet's cells: (value, data type, number format, quotePrefix) by coordinate."""
    wb = openpyxl.load_workbook(path)
    try:
        return {ws.title: [[(c.value, c.data_type, c.number_format, c.quotePrefix) for c in row]
                           for row in ws.iter_rows()] for ws in wb.worksheets}
    finally:
        wb.close()


def test_fast_writer_gives_the_cells_openpyxl_gave(db, site, tmp_path):
    root = site["root"]
    _archive(db, root)
    old, new = tmp_path / "old.xlsx", tmp_path / "new.xlsx"
    assert export_archive(db, root, old) == export_archive(db, root, new, xlsx=write_sheets_xlsx) == \
        {"places": 3, "links": 2, "meters": 4, "customers": 1 + len(TRICKY)}
    before, after = _cells(old), _cells(new)
    assert list(after) == ["楼栋房间", "通道", "表计", "用户"]
    # "#N/A" was an error cell before (openpyxl's guess), now the customer's name as text: the
    # same value read back; every other cell is the same value, type, format and quote flag
    fixed = {("用户", "#N/A")}
    for sheet, rows in before.items():
        assert len(after[sheet]) == len(rows), sheet
        for was, now in zip(rows, after[sheet], strict=True):
            for a, b in zip(was, now, strict=True):
                if (sheet, a[0]) in fixed:
                    assert (a[0], a[1], b[1]) == (b[0], "e", "s")
                else:
                    assert a == b, (sheet, a, b)
    meters = after["表计"]
    assert meters[0][0][0] == "表号" and meters[1][4][:2] == ("000000000001", "s")     # leading zeros: text
    assert meters[1][8][:3] == (__import__("datetime").datetime(2023, 12, 31), "d", "yyyy-mm-dd")
    names = {row[0][0]: row[0] for row in after["用户"][1:]}
    assert names["=1+1"][1:] == ("s", "General", True) and names["-12.50"][3] is False
    assert names["a&b<c>"][:2] == ("a&b<c>", "s") and names["0012"][:2] == ("0012", "s")
    # a file any reader opens: the zip is sound and every part is well-formed XML
    with zipfile.ZipFile(new) as z:
        assert z.testzip() is None
        for name in z.namelist():
            if name.endswith(".xml") or name.endswith(".rels"):
                minidom.parseString(z.read(name))


def test_cli_export_writes_no_openpyxl_cell_per_value(db_url, station_config, monkeypatch, tmp_path):
    """The command hands the raw-row writer in: openpyxl serialises only the header cells (on
    the old code every value went through it: 4 sheets' headers + every cell)."""
    if not db_url.startswith("sqlite"):
        pytest.skip("the command's path does not depend on the backend")
    from openpyxl.worksheet import _writer

    from access import operators
    from archive import places
    from models.db import Database

    db = Database.open(db_url, upgrade=True)
    try:
        operators.create_first_operator(db, "root", "secret-1", "TEST")
        from access import login as auth

        root = auth.login(db, "root", "secret-1", "TEST")
        bid = places.add_building(db, root, "A")
        places.add_floor(db, root, bid, "1F")
        places.add_room(db, root, bid, "1F", "101", area="20.5", people=2)
        svc.add_link(db, root, "bus1", "tcp://127.0.0.1:9001")
        for i in range(30):
            svc.add_meter(db, root, f"M{i}", link="bus1", address=f"{i:012d}", room="A/1F/101")
            svc.add_customer(db, root, f"客户{i}", phone=f"0{i:010d}")
    finally:
        db.dispose()
    calls = []
    real = _writer.write_cell
    monkeypatch.setattr(_writer, "write_cell", lambda *a, **k: (calls.append(1), real(*a, **k))[1])
    monkeypatch.setenv("METERSTATION_OPERATOR", "root")
    monkeypatch.setenv("METERSTATION_PASSWORD", "secret-1")
    out = tmp_path / "all.xlsx"
    assert app.main(["--lang", "en", "--db", db_url, "archive", "export", str(out)]) == 0
    headers = 8 + 4 + 16 + 4
    assert len(calls) == headers
    values = _cells(out)
    assert sorted(row[4][:2] for row in values["表计"][1:]) == [(f"{i:012d}", "s") for i in range(30)]
    assert len(values["用户"]) == 31
