"""Issue 15 item 8: meter options everywhere (CLI meter add/set --option, the import column),
gas and heat meters addressed with their own CJ/T 188 type, profile serial defaults on links.
The CLI in-process (main) on a station database; reads over the loopback simulator."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from archive import service as svc
from archive.files import import_archive
from comms.polling.archive_plans import load_plans, meter_config
from comms.simulator import Bus, TcpSimulator
from comms.simulator.spec import SimulatorSpec
from models.archive import Meter
from models.db import Database

G1, H1 = "00000000000011", "00000000000012"


# cli: the shared in-process CLI fixture (tests/conftest.py)


def _options(url: str, number: str) -> dict:
    db = Database(url)
    try:
        with db.read() as s:
            return json.loads(s.execute(sa.select(Meter.options).where(Meter.number == number)).scalar_one())
    finally:
        db.dispose()


def test_cli_meter_add_and_set_options(cli):
    assert cli("link", "add", "bus1", "tcp://127.0.0.1:9")[0] == 0
    code, _out, err = cli("meter", "add", "E1", "--link", "bus1", "--address", "1", "--option", "password=123456",
                          "--option", "password_level=04", "--option", "operator=0000abcd", "--option", "timeout=2")
    assert code == 0, err
    assert _options(cli.url, "E1") == {"password": "123456", "password_level": "04", "operator": "0000ABCD",
                                       "timeout": "2"}
    code, out, err = cli("meter", "set", "E1", "--option", "timeout=", "--option", "retries=0", "--json")
    assert code == 0, err
    assert json.loads(out)["options"] == {"password": "******", "password_level": "04", "operator": "0000ABCD",
                                          "retries": "0"}                       # the password never printed
    assert _options(cli.url, "E1")["password"] == "123456" and "timeout" not in _options(cli.url, "E1")
    for args, words in ((("--option", "colour=red"), ("Unknown meter option colour", "password_level")),
                        (("--option", "password=12"), ("password=12 is not valid", "6 hex digits")),
                        (("--option", "meter_type=30"), ("Unknown meter option meter_type",)),   # 645 meter
                        (("--option", "timeout"), ("KEY=VALUE",))):
        code, out, err = cli("meter", "set", "E1", *args)
        lines = [x for x in err.splitlines() if x.strip()]
        assert code == 1 and len(lines) == 1 and "Traceback" not in err, err
        assert all(w in lines[0] for w in words), lines[0]
    assert _options(cli.url, "E1")["retries"] == "0"                   # nothing changed by the refusals
    code, _out, err = cli("meter", "add", "E2", "--link", "bus1", "--address", "2", "--option", "di_order=big")
    assert code == 1 and "Unknown meter option di_order" in err


def test_cli_meter_tag_and_untag(cli):
    cli("link", "add", "bus1", "tcp://127.0.0.1:9")
    cli("meter", "add", "E1", "--link", "bus1", "--address", "1")
    code, out, err = cli("meter", "tag", "E1", "area:一号楼", "line:A线", "夜间", "--json")
    assert code == 0, err
    assert json.loads(out)["tags"] == ["area:一号楼", "line:A线", "other:夜间"]
    code, out, err = cli("meter", "tag", "E1", "--untag", "line:A线", "--json")
    assert code == 0 and json.loads(out)["tags"] == ["area:一号楼", "other:夜间"]
    code, out, _err = cli("meter", "list", "--tag", "area:一号楼", "--json")
    assert [m["number"] for m in json.loads(out)["meters"]] == ["E1"]
    code, _out, err = cli("meter", "tag", "E1")
    assert code == 1 and len(err.strip().splitlines()) == 1
    code, _out, err = cli("meter", "tag", "NOPE", "a")
    assert code == 1 and "no meter NOPE" in err


def test_cli_schedule_add_list_remove(cli):
    cli("link", "add", "bus1", "tcp://127.0.0.1:9")
    cli("meter", "add", "E1", "--link", "bus1", "--address", "1")
    cli("meter", "tag", "E1", "area:一号楼")
    code, out, err = cli("schedule", "add", "一号楼每小时", "--kind", "hourly", "--at", "00:05",
                         "--tag", "area:一号楼", "--json")
    assert code == 0 and json.loads(out)["schedule"] == "一号楼每小时", err
    assert cli("schedule", "add", "全部", "--every", "15")[0] == 0
    code, out, _err = cli("schedule", "list", "--json")
    rows = {r["name"]: r for r in json.loads(out)["schedules"]}
    assert (rows["一号楼每小时"]["kind"], rows["一号楼每小时"]["at"], rows["一号楼每小时"]["tag"]) == \
        ("hourly", "00:05", "area:一号楼")
    assert (rows["全部"]["kind"], rows["全部"]["every_minutes"], rows["全部"]["tag"]) == ("interval", 15, "")
    code, out, _err = cli("schedule", "list")
    assert "every 15 minutes" in out and "hourly at minute 05" in out
    for args, words in ((("schedule", "add", "x", "--at", "25:00"), "not a time"),
                        (("schedule", "add", "全部"), "already exists"),
                        (("schedule", "add", "y", "--tag", "area:nowhere"), "no tag"),
                        (("schedule", "remove", "nope"), "no schedule nope")):
        code, _out, err = cli(*args)
        assert code == 1 and words in err and len(err.strip().splitlines()) == 1, err
    code, out, _err = cli("schedule", "remove", "全部", "--json")
    assert code == 0 and json.loads(out) == {"removed": "全部"}
    code, out, _err = cli("schedule", "list", "--json")
    assert [r["name"] for r in json.loads(out)["schedules"]] == ["一号楼每小时"]
    with pytest.raises(SystemExit) as usage:                                        # wrong usage: exit 2
        cli("schedule", "add", "z", "--kind", "fortnightly")
    assert usage.value.code == 2


@pytest.fixture
def strict_sim():
    """A gas meter (T=30H) and a heat meter (T=20H) that ignore requests for another meter type."""
    spec = f"cjt188:{G1}/type=30/strict=1/volume=12.5,cjt188:{H1}/type=20/heat=1/strict=1/volume=3"
    server = TcpSimulator(Bus(SimulatorSpec.parse(spec).build(), baud=19200, latency=0.002))
    yield server
    server.stop()


def test_gas_and_heat_meters_are_addressed_with_their_type(db, superadmin, strict_sim):
    from tests.comms.polling.conftest import meter, poll_once

    svc.add_link(db, superadmin, "bus1", strict_sim.url)
    svc.add_meter(db, superadmin, "G1", address=G1, link="bus1", protocol="cjt188", kind="gas")
    svc.add_meter(db, superadmin, "H1", address=H1, link="bus1", protocol="cjt188", kind="heat")
    with db.read() as s:
        types = {m.number: meter_config(m).options["meter_type"] for m in s.execute(sa.select(Meter)).scalars()}
    assert types == {"G1": "30", "H1": "20"}
    summary, _store = poll_once(db, quantities=("volume",))
    assert (summary.ok, summary.failed) == (2, 0)
    assert '"volume": "12.5' in meter(db, "G1").last_values
    # an explicit option wins: 11H (hot water) is not this meter's type, so it stays silent
    svc.update_meter(db, superadmin, "G1", options={"meter_type": "11"})
    summary, _store = poll_once(db, quantities=("volume",))
    assert (summary.ok, summary.failed) == (1, 1)


def test_import_options_column(db, superadmin, tmp_path):
    svc.add_link(db, superadmin, "bus1", "tcp://127.0.0.1:9")
    good = tmp_path / "meters.csv"
    good.write_text("表号,协议,地址,通道,类型,表计参数\n"
                    "E1,dlt645-2007,1,bus1,电,password=123456; operator=12345678；timeout=2\n"
                    "G1,cjt188,00000000000011,bus1,气,\n", encoding="utf-8")
    assert import_archive(db, superadmin, str(good), "meters")["meters"] == 2
    with db.read() as s:
        opts = dict(s.execute(sa.select(Meter.number, Meter.options)).all())
    assert json.loads(opts["E1"]) == {"operator": "12345678", "password": "123456", "timeout": "2"}
    assert json.loads(opts["G1"]) == {}
    bad = tmp_path / "bad.csv"
    bad.write_text("表号,协议,地址,通道,表计参数\nE2,dlt645-2007,2,bus1,colour=red\n"
                   "E3,dlt645-2007,3,bus1,password=xyz\n", encoding="utf-8")
    from archive.importing import ImportFailed

    with pytest.raises(ImportFailed) as info:
        import_archive(db, superadmin, str(bad), "meters")
    reasons = [p.reason for p in info.value.problems]
    assert "Unknown meter option colour" in reasons[0] and "password_level" in reasons[0]
    assert "password=xyz is not valid" in reasons[1]
    # export: the options column, without the password
    from archive.files import export_archive

    out = tmp_path / "out.csv"
    export_archive(db, superadmin, str(out), ("meters",))
    text = out.read_text(encoding="utf-8-sig")
    assert "表计参数" in text and "operator=12345678; timeout=2" in text and "123456;" not in text


def test_profile_serial_defaults_fill_a_link_that_names_none(db, superadmin):
    svc.add_link(db, superadmin, "sdm", "serial:///dev/ttyUSB9")                      # no baud, no parity
    svc.add_link(db, superadmin, "sdm-e", "serial:///dev/ttyUSB8?parity=E")           # parity named
    svc.add_link(db, superadmin, "645", "serial:///dev/ttyUSB7")
    svc.add_meter(db, superadmin, "S1", address="1", link="sdm", protocol="modbus", profile="eastron-sdm120")
    svc.add_meter(db, superadmin, "S2", address="1", link="sdm-e", protocol="modbus", profile="eastron-sdm120")
    svc.add_meter(db, superadmin, "E1", address="1", link="645", protocol="dlt645-2007")
    urls = {p.name: p.url for p in load_plans(db)}
    assert urls["sdm"] == "serial:///dev/ttyUSB9?baud=2400&parity=N"                   # SDM120: 2400 8N1
    assert urls["sdm-e"] == "serial:///dev/ttyUSB8?parity=E&baud=2400"                 # what the link says wins
    assert urls["645"] == "serial:///dev/ttyUSB7"                                       # no profile: unchanged
