"""Archive import and export: every bad row reported, all or nothing, Chinese and English
headers, CSV encodings, round trip, area rights."""
from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from archive import query
from archive import service as svc
from archive.file_formats import read_tables
from archive.files import export_archive, import_archive
from archive.importing import ImportFailed
from models.archive import Customer, Floor, Link, Meter, Room
from models.errors import InvalidInput, PermissionDenied
from tests.archive.conftest import count, last_action

METER_HEADERS = ["表号", "协议", "地址", "通道", "楼栋", "楼层", "房间", "倍率", "初始读数"]


def _xlsx(path, sheets):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def _fifty(bad: bool):
    rows = [METER_HEADERS]
    for i in range(1, 51):
        rows.append([f"E{i:03d}", "dlt645-2007", f"{i:012d}", "bus1", "A", "2F", f"2{i:02d}", 1, "10.5"])
    if bad:
        rows[8][3] = "nobus"              # spreadsheet row 9: unknown link
        rows[21][0] = "E003"              # row 22: number already in row 4
        rows[40][2] = "12345678901234"    # row 41: bad address
    return rows


def test_three_bad_rows_among_fifty(db, site, tmp_path):
    path = _xlsx(tmp_path / "m.xlsx", {"表计": _fifty(bad=True)})
    with pytest.raises(ImportFailed) as e:
        import_archive(db, site["root"], path)
    problems = e.value.problems
    assert [(p.sheet, p.row) for p in problems] == [("表计", 9), ("表计", 22), ("表计", 41)]
    assert "no link nobus" in problems[0].reason
    assert "E003 is also in row 4" in problems[1].reason
    assert "use up to 12 digits" in problems[2].reason
    assert "3 rows are not valid" in str(e.value)
    assert count(db, Meter) == 0 and count(db, Floor) == 2          # not even the new floor 2F
    assert last_action(db).action == "link.add"                    # no import logged


def test_good_file_imported(db, site, tmp_path):
    path = _xlsx(tmp_path / "m.xlsx", {"表计": _fifty(bad=False)})
    counts = import_archive(db, site["root"], path)
    assert counts["meters"] == 50 and counts["floors"] == 1 and counts["rooms"] == 50
    assert count(db, Meter) == 50
    entry = last_action(db)
    assert entry.action == "archive.import" and '"meters": 50' in entry.details
    m = query.list_meters(db, site["root"], text="E017")[0]
    assert (m.address, m.building, m.floor, m.room, str(m.initial)) == ("000000000017", "A", "2F", "217", "10.500")
    with pytest.raises(ImportFailed) as e:              # the same file again: every row is a duplicate
        import_archive(db, site["root"], path)
    assert len(e.value.problems) == 50 and "E001 already exists" in e.value.problems[0].reason


def test_csv_with_chinese_headers_and_gb18030(db, site, tmp_path):
    text = ("表号,类型,协议,型号,地址,通道,楼栋,楼层,房间,安装日期,标签\n"
            "W1,水,cjt188,,00000000000001,bus1,B,1F,101,2024/5/1,区域:北区\n"
            "M9,电,modbus,eastron-sdm630,9,bus1,A,1F,102,,线路:L1；部门：后勤\n")
    for enc, name in (("utf-8-sig", "a.csv"), ("gb18030", "b.csv")):
        (tmp_path / name).write_bytes(text.encode(enc))
    import_archive(db, site["root"], tmp_path / "a.csv", "meters")
    rows = {m.number: m for m in query.list_meters(db, site["root"])}
    assert rows["W1"].kind == "water" and rows["W1"].install_date == date(2024, 5, 1)
    assert rows["M9"].tags == ("department:后勤", "line:L1") and rows["W1"].tags == ("area:北区",)
    with pytest.raises(ImportFailed):                          # same rows, GBK file: duplicates now
        import_archive(db, site["root"], tmp_path / "b.csv", "meters")
    assert read_tables(tmp_path / "b.csv")[0].rows[0][1]["kind"] == "水"


def test_english_headers_and_places_links_customers(db, superadmin, tmp_path):
    path = _xlsx(tmp_path / "all.xlsx", {
        "customers": [["Name", "Phone", "ID number", "Type"], ["Ann", "13800000000", "", "merchant"]],
        "meters": [["Number", "Address", "Link", "Building", "Floor", "Room", "CT", "Initial"],
                   ["X1", 1234, "north", "Tower", "3F", "301", 40, 12.25]],
        "places": [["Building", "Floor", "Room", "Area", "People"], ["Tower", "3F", "301", 55.5, 3],
                   ["Tower", "4F", None, None, None], ["Annex", None, None, None, None]],
        "links": [["Name", "URL", "Protocol"], ["north", "tcp://10.0.0.5:4001", "dlt645-2007"]],
    })
    counts = import_archive(db, superadmin, path)
    assert {k: v for k, v in counts.items() if v} == {"buildings": 2, "floors": 2, "rooms": 1, "links": 1,
                                                      "meters": 1, "customers": 1}
    m = query.list_meters(db, superadmin)[0]
    assert (m.address, m.ct_ratio, str(m.initial), m.link, m.room) == ("000000001234", 40, "12.250", "north", "301")
    room = query.list_rooms(db, superadmin)[0]
    assert (room.area, room.people) == (Decimal("55.5"), 3)


def test_sheet_level_problems(db, site, tmp_path):
    with pytest.raises(InvalidInput, match="the column 地址 is missing"):
        import_archive(db, site["root"], _xlsx(tmp_path / "a.xlsx", {"表计": [["表号", "通道"], ["1", "bus1"]]}))
    with pytest.raises(InvalidInput, match="cannot tell what it holds"):
        import_archive(db, site["root"], _xlsx(tmp_path / "b.xlsx", {"Sheet9": [["foo"], ["1"]]}))
    with pytest.raises(InvalidInput, match="holds no rows"):
        import_archive(db, site["root"], _xlsx(tmp_path / "c.xlsx", {"表计": [METER_HEADERS]}))
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(InvalidInput, match=".xlsx or .csv"):
        import_archive(db, site["root"], tmp_path / "x.txt")
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    with pytest.raises(InvalidInput, match="not a readable Excel file"):
        import_archive(db, site["root"], tmp_path / "broken.xlsx")


def test_row_problems_of_every_kind(db, site, tmp_path):
    svc.add_customer(db, site["root"], "Ann", phone="1380000")
    path = _xlsx(tmp_path / "bad.xlsx", {
        "楼栋房间": [["楼栋", "楼层", "房间", "面积"], ["A", None, "109", None], ["A", "1F", "110", "-3"]],
        "通道": [["名称", "通道地址"], ["bus1", "tcp://127.0.0.1:9999"], ["bus3", "ftp://x"],
               ["bus4", "tcp://127.0.0.1:9001"]],
        "表计": [["表号", "地址", "通道", "楼栋", "房间"], ["Z1", "1", "bus1", "Nowhere", "1"],
               ["Z2", "1", "bus1", None, None], ["Z3", "1", "bus1", None, None]],
        "用户": [["姓名", "电话"], ["Ann", "1380000"], ["Bob", "x"], ["Cy", "139"], ["Cy", "139"]],
    })
    with pytest.raises(ImportFailed) as e:
        import_archive(db, site["root"], path)
    got = [(p.sheet, p.row) for p in e.value.problems]
    assert got == [("楼栋房间", 2), ("楼栋房间", 3), ("通道", 2), ("通道", 3), ("通道", 4), ("表计", 2),
                   ("表计", 4), ("用户", 2), ("用户", 3), ("用户", 5)]
    reasons = " | ".join(p.reason for p in e.value.problems)
    for text in ("Give the floor of room 109", "Area cannot be negative", "already exists with the URL",
                 "is not valid", "Link bus1 already uses", "no building Nowhere", "already used on this link",
                 "already exists", "Phone number x", "also in row 4"):
        assert text in reasons
    assert count(db, Customer) == 1 and count(db, Link) == 1 and count(db, Room) == 3


def test_limited_operator_import(db, team, tmp_path):
    path = _xlsx(tmp_path / "m.xlsx", {"表计": [METER_HEADERS, ["L1", "", "1", "bus1", "A", "1F", "101"],
                                              ["L2", "", "2", "bus1", "B", "1F", "101"],
                                              ["L3", "", "3", "bus1", None, None, None]]})
    with pytest.raises(ImportFailed) as e:
        import_archive(db, team["lim"], path)
    assert [p.row for p in e.value.problems] == [3, 4]
    assert "may not act on this building" in e.value.problems[0].reason
    with pytest.raises(PermissionDenied):
        import_archive(db, team["cas"], path)
    assert last_action(db).action == "denied"
    assert count(db, Meter) == 0


@pytest.mark.parametrize("target", ["all.xlsx", "folder"])
def test_round_trip(db, site, tmp_path, target):
    root = site["root"]
    svc.add_link(db, root, "bus2", "serial://COM3?baud=9600&parity=N", "modbus")
    svc.add_meter(db, root, "M1", link="bus1", address="1", room="A/1F/101", ct_ratio=30, initial="1234.567",
                  install_date="2023-12-31")
    svc.add_meter(db, root, "M2", link="bus2", address="12", profile="eastron-sdm630", room="B/1F/101",
                  kind="heat")
    svc.add_meter(db, root, "W1", link="bus1", protocol="cjt188", address="00000000000042", kind="gas")
    svc.add_meter(db, root, "S1", link=None, address="5", state="stock")
    svc.set_meter_tags(db, root, "M1", [("line", "L1"), ("department", "后勤")])
    svc.add_customer(db, root, "张三", phone="13800000000", id_number="110105194912310021", type="merchant")
    svc.add_customer(db, root, "李四")
    out = tmp_path / target
    counts = export_archive(db, root, out)
    assert counts == {"places": 3, "links": 2, "meters": 4, "customers": 2}
    assert last_action(db).action == "archive.export"
    if target.endswith(".xlsx"):
        wb = openpyxl.load_workbook(out, read_only=True)
        assert wb.sheetnames == ["楼栋房间", "通道", "表计", "用户"]
        assert next(wb["表计"].iter_rows(values_only=True))[:4] == ("表号", "类型", "协议", "型号")
        wb.close()
    else:
        with (out / "meters.csv").open(encoding="utf-8-sig", newline="") as f:
            assert next(csv.reader(f))[0] == "表号"

    from access import login as auth
    from access import operators as ops
    from models.db import Database

    other = Database.open(f"sqlite:///{tmp_path / 'other.db'}", upgrade=True)
    try:
        ops.create_first_operator(other, "root", "secret-1", "T")
        actor = auth.login(other, "root", "secret-1", "T")
        import_archive(other, actor, out)
        assert query.list_meters(other, actor) == [
            m.__class__(**{**m.__dict__, "id": m2.id, "building_id": m2.building_id})
            for m, m2 in zip(query.list_meters(db, root), query.list_meters(other, actor), strict=True)]
        assert [r.__dict__ | {"id": 0, "floor_id": 0, "building_id": 0} for r in query.list_rooms(other, actor)] == \
            [r.__dict__ | {"id": 0, "floor_id": 0, "building_id": 0} for r in query.list_rooms(db, root)]
        assert [(c.name, c.phone, c.id_number, c.type) for c in query.search_customers(other)] == \
            [(c.name, c.phone, c.id_number, c.type) for c in query.search_customers(db)]
        assert [(k.name, k.url, k.protocol) for k in query.list_links(other)] == \
            [(k.name, k.url, k.protocol) for k in query.list_links(db)]
    finally:
        other.dispose()


def test_limited_export_only_its_buildings(db, team, tmp_path):
    root = team["root"]
    svc.add_meter(db, root, "M1", link="bus1", address="1", room="A/1F/101")
    svc.add_meter(db, root, "M2", link="bus1", address="2", room="B/1F/101")
    counts = export_archive(db, team["lim"], tmp_path / "m.csv", ("meters",))
    assert counts == {"meters": 1}
    with pytest.raises(PermissionDenied):
        export_archive(db, team["cas"], tmp_path / "n.xlsx")
    with pytest.raises(InvalidInput, match="whole archive"):
        export_archive(db, root, tmp_path / "all.csv")
