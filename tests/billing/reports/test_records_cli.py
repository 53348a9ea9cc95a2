"""`meterstation report sale-records` through the real entry point (a subprocess of the installed
console script): --json with totals, --xlsx read back with openpyxl, filters, bad input."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.billing.reports import data

ARGS = ("report", "sale-records", "--from", "2025-10-01", "--to", "2025-11-30")


@pytest.fixture
def cli(db, tmp_path):
    exe = shutil.which("meterstation", path=str(Path(sys.executable).parent))
    assert exe, "the meterstation console script is installed with the project"
    env = {k: v for k, v in os.environ.items() if not k.startswith("METERSTATION_")}
    env.update(METERSTATION_CONFIG_DIR=str(tmp_path / "cfg"), METERSTATION_TEST_MODE="1", HOME=str(tmp_path),
               METERSTATION_OPERATOR="root", METERSTATION_PASSWORD="secret-1")

    def run(*args: str, lang: str = "zh_CN") -> subprocess.CompletedProcess:
        return subprocess.run([exe, "--lang", lang, "--db", db.url, *args], capture_output=True, text=True,
                              env=env, cwd=tmp_path, timeout=120, check=False)
    return run


def test_json_lists_every_record_with_totals(db, superadmin, cli):
    names = data.money_data(db, superadmin)
    r = cli(*ARGS, "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["columns"][:4] == ["收据号", "时间", "类别", "账户"]
    assert [row[0] for row in out["rows"]] == ["T1", "T2", "T3", "T4", "T5"]
    t1 = out["rows"][0]
    assert t1[2:6] == ["售电", names["A"], "甲", "A楼"] and t1[8] == "100.00" and t1[10] == "现金"
    assert out["totals"]["sale"] == {"count": 3, "amount": "350.00"}
    assert out["totals"]["refund"] == {"count": 1, "amount": "-20.00"}
    assert (out["totals"]["count"], out["totals"]["net"]) == (5, "130.00")
    r = cli(*ARGS, "--json", "--account", names["B"], "--method", "card")
    assert [row[0] for row in json.loads(r.stdout)["rows"]] == ["T4", "T5"]
    r = cli(*ARGS, "--json", "--operator", "root", "--kind", "refund")
    assert [row[0] for row in json.loads(r.stdout)["rows"]] == ["T3"]


def test_xlsx_cells(db, superadmin, cli, tmp_path):
    data.money_data(db, superadmin)
    path = tmp_path / "records.xlsx"
    r = cli(*ARGS, "--method", "cash", "--xlsx", str(path))
    assert (r.returncode, r.stderr) == (0, "")
    ws = load_workbook(path).active
    assert ws["A1"].value.startswith("售电记录") and "2025-10-01" in ws["A1"].value and "现金" in ws["A1"].value
    assert [c.value for c in ws[2]][:3] == ["收据号", "时间", "类别"]
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert [x[0] for x in rows] == ["T1", "T3", "合计"]
    assert (rows[0][2], rows[0][8], rows[1][8], rows[2][8]) == ("售电", 100, -20, 80)
    assert ws["I3"].number_format == "#,##0.00"
    again = cli(*ARGS, "--xlsx", str(path))                   # never overwritten silently
    assert again.returncode == 1 and "--force" in again.stderr and "Traceback" not in again.stderr
    assert cli(*ARGS, "--xlsx", str(path), "--force").returncode == 0
    assert [x[0] for x in load_workbook(path).active.iter_rows(min_row=3, values_only=True)][-1] == "合计"
    assert D(str(load_workbook(path).active.cell(8, 9).value)) == D(130)


def test_bad_input_is_one_message(db, superadmin, cli):
    r = cli(*ARGS, "--method", "gold")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert len([x for x in r.stderr.splitlines() if x.strip()]) == 1
    r = cli("report", "sales", "--from", "2025-10-01", "--to", "2025-10-02", "--kind", "sale")
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_other_reports_still_take_the_acting_operator_after_the_name(db, superadmin, cli):
    data.money_data(db, superadmin)
    r = cli("report", "sales", "--from", "2025-10-01", "--to", "2025-11-30", "--operator", "root", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["rows"][-1][0] == "2025-11-01"
