"""The archive commands as scripts use them: real subprocesses, exit codes, JSON, bad rows."""
from __future__ import annotations

import json

import pytest

from tests.foundation.test_cli import cli  # noqa: F401  (the fixture)

AUTH = {"METERSTATION_OPERATOR": "root", "METERSTATION_PASSWORD": "secret-1"}


@pytest.fixture
def station(cli):  # noqa: F811
    assert cli("operator", "add", "root", "--role", "super-admin", stdin="secret-1\n").returncode == 0

    def run(*args, env=None, **kw):
        return cli(*args, env=dict(AUTH, **(env or {})), **kw)
    return run


def _err_line(r):
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    return lines[0]


def test_archive_commands(station, tmp_path):
    run = station
    for args in (("link", "add", "bus1", "tcp://127.0.0.1:9100"),
                 ("link", "add", "bus2", "serial:///dev/ttyUSB0?baud=9600&parity=N", "--protocol", "modbus"),
                 ("building", "add", "1号楼"), ("floor", "add", "1号楼", "3F"),
                 ("room", "add", "1号楼", "3F", "301", "--area", "45.5", "--people", "3")):
        r = run(*args)
        assert r.returncode == 0, r.stderr
    r = run("meter", "add", "1001", "--link", "bus1", "--protocol", "dlt645-2007", "--address", "1234",
            "--room", "1号楼/3F/301", "--ct", "20", "--initial", "100.5", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["meter"] == "1001"
    r = run("meter", "add", "1002", "--link", "bus2", "--protocol", "modbus", "--profile", "eastron-sdm630",
            "--address", "3", "--kind", "electricity")
    assert r.returncode == 0, r.stderr
    r = run("meter", "list", "--json")
    meters = json.loads(r.stdout)["meters"]
    assert [(m["number"], m["address"], m["link"], m["room"], m["initial"]) for m in meters] == [
        ("1001", "000000001234", "bus1", "301", "100.500"), ("1002", "3", "bus2", "", "0.000")]
    assert json.loads(run("meter", "list", "--json", "--building", "1号楼").stdout)["count"] == 1
    assert json.loads(run("meter", "list", "--json", "--link", "bus2").stdout)["meters"][0]["number"] == "1002"
    r = run("customer", "add", "张三", "--phone", "13800000000", "--json")
    assert r.returncode == 0 and isinstance(json.loads(r.stdout)["customer"], int)
    links = json.loads(run("link", "list", "--json").stdout)["links"]
    assert [(k["name"], k["meters"]) for k in links] == [("bus1", 1), ("bus2", 1)]

    # bad input: exit 1, one clear line, nothing changed
    for args, text in ((("meter", "add", "1001", "--link", "bus1", "--address", "9"), "already exists"),
                       (("meter", "add", "1003", "--link", "nope", "--address", "9"), "no link nope"),
                       (("meter", "add", "1003", "--link", "bus1", "--address", "1234567890123"), "12 digits"),
                       (("link", "add", "bus3", "http://x"), "not valid"),
                       (("room", "add", "1号楼", "9F", "901"), "no floor 9F")):
        r = run(*args)
        assert r.returncode == 1 and text in _err_line(r), (args, r.stderr)
    r = run("meter", "add", "1003", "--link", "nope", "--address", "9", lang="zh_CN")
    assert r.returncode == 1 and "通道" in _err_line(r)
    assert run("meter", "add", "1003").returncode == 2

    # export and import back into a second database
    xlsx = tmp_path / "archive.xlsx"
    r = run("archive", "export", str(xlsx), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["exported"]["meters"] == 2
    r = run("meter", "export", str(tmp_path / "meters.csv"))
    assert r.returncode == 0 and (tmp_path / "meters.csv").read_text(encoding="utf-8-sig").startswith("表号")
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert run("--db", other, "db", "upgrade").returncode == 0     # only db upgrade creates a database
    assert run("--db", other, "operator", "add", "root", "--role", "super-admin", stdin="secret-1\n",
               env={"METERSTATION_OPERATOR": ""}).returncode == 0
    r = run("--db", other, "archive", "import", str(xlsx), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["imported"]["meters"] == 2
    r = run("--db", other, "meter", "list", "--json")
    assert [m["number"] for m in json.loads(r.stdout)["meters"]] == ["1001", "1002"]


def test_meter_import_reports_every_bad_row(station, tmp_path):
    run = station
    assert run("link", "add", "bus1", "tcp://127.0.0.1:9100").returncode == 0
    path = tmp_path / "meters.csv"
    lines = ["表号,协议,地址,通道"] + [f"E{i},dlt645-2007,{i},bus1" for i in range(1, 21)]
    lines[5] = "E5,dlt645-2007,5,nobus"
    lines[12] = "E12,iec,12,bus1"
    lines[15] = "E1,dlt645-2007,99,bus1"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    r = run("meter", "import", str(path))
    assert r.returncode == 1
    err = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(err) == 4 and "Traceback" not in r.stderr
    assert err[0].startswith("meters.csv, row 6:") and "nobus" in err[0]
    assert err[1].startswith("meters.csv, row 13:") and "iec" in err[1]
    assert err[2].startswith("meters.csv, row 16:") and "also in row 2" in err[2]
    assert "3 rows are not valid; nothing was imported" in err[3]
    assert json.loads(run("meter", "list", "--json").stdout)["count"] == 0
    # fixed, it imports
    lines[5], lines[12], lines[15] = "E5,dlt645-2007,5,bus1", "E12,dlt645-2007,12,bus1", "E15,dlt645-2007,15,bus1"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    r = run("meter", "import", str(path))
    assert r.returncode == 0, r.stderr
    assert json.loads(run("meter", "list", "--json").stdout)["count"] == 20


def test_cashier_cannot_add_meter(station):
    run = station
    assert run("operator", "add", "cas", "--role", "cashier", stdin="pass-123\n").returncode == 0
    assert run("link", "add", "bus1", "tcp://127.0.0.1:9100").returncode == 0
    r = run("meter", "add", "1", "--link", "bus1", "--address", "1",
            env={"METERSTATION_OPERATOR": "cas", "METERSTATION_PASSWORD": "pass-123"})
    assert r.returncode == 1 and "no right" in _err_line(r)
    r = run("meter", "add", "1", "--link", "bus1", "--address", "1", env={"METERSTATION_OPERATOR": ""})
    assert r.returncode == 1 and "--operator" in _err_line(r)
