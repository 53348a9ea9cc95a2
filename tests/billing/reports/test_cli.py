"""`meterstation report ... --xlsx FILE` in-process: the file's cells, JSON, exit codes."""
from __future__ import annotations

import json
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from tests.billing.reports import data


@pytest.fixture
def cli(db, superadmin, monkeypatch, capsys):
    import app

    monkeypatch.setenv("METERSTATION_OPERATOR", "root")
    monkeypatch.setenv("METERSTATION_PASSWORD", "secret-1")

    def run(*args: str, lang: str = "zh_CN") -> tuple[int, str, str]:
        try:
            code = app.main(["--lang", lang, "--db", db.url, *args])
        except SystemExit as e:
            code = e.code
        out = capsys.readouterr()
        return code, out.out, out.err
    return run


def test_sales_report_to_xlsx(db, superadmin, cli, tmp_path):
    data.money_data(db, superadmin)
    path = tmp_path / "sales.xlsx"
    code, out, err = cli("report", "sales", "--from", "2025-10-01", "--to", "2025-11-30", "--xlsx", str(path))
    assert (code, err) == (0, "")
    ws = load_workbook(path).active
    assert ws["A1"].value.startswith("售电") and "2025-10-01" in ws["A1"].value
    assert [c.value for c in ws[2]] == ["日期", "笔数", "售电金额(元)", "退款(元)", "冲正(元)", "净收(元)"]
    assert [c.value for c in ws[3]] == ["2025-10-02", 2, 150, 0, 0, 150]
    assert [c.value for c in ws[4]] == ["2025-10-03", 1, 0, 20, 0, -20]
    assert [c.value for c in ws[5]] == ["2025-11-01", 2, 200, 0, -200, 0]
    assert [c.value for c in ws[6]] == ["合计", 5, 350, 20, -200, 130]
    assert ws["C3"].number_format == "#,##0.00" and ws.freeze_panes == "A3"


def test_consumption_alarms_and_shift_reports_to_xlsx(db, superadmin, cli, tmp_path):
    data.consumption_data(db)
    path = tmp_path / "c.xlsx"
    code, _o, err = cli("report", "consumption", "--from", "2025-10-01", "--to", "2025-10-31", "--group", "meter",
                        "--xlsx", str(path))
    assert (code, err) == (0, "")
    ws = load_workbook(path).active
    rows = {r[0]: r[1:] for r in ws.iter_rows(min_row=3, values_only=True)}
    assert rows["MAIN"] == (1000, 1250.5, 250.5, "完整")
    assert rows["DEAD"] == (None, None, None, "无数据")
    assert rows["合计"][2] == D("473.5")
    for name in ("alarms", "shift"):
        code, _o, err = cli("report", name, "--from", "2025-10-01", "--to", "2025-10-31", "--xlsx",
                            str(tmp_path / f"{name}.xlsx"))
        assert (code, err) == (0, "")
        assert load_workbook(tmp_path / f"{name}.xlsx").active.max_row == 2     # title + header: no rows


def test_json_and_usage_errors(db, superadmin, cli):
    data.money_data(db, superadmin)
    code, out, _e = cli("report", "sales", "--from", "2025-10-01", "--to", "2025-10-31", "--group", "method",
                        "--json", lang="en")
    assert code == 0
    got = json.loads(out)
    assert got["columns"][0] == "Payment method"
    assert got["rows"] == [["Cash", "2", "100.00", "20.00", "0.00", "80.00"],
                           ["WeChat Pay", "1", "50.00", "0.00", "0.00", "50.00"]]
    assert cli("report", "sales", "--from", "2025-13-01", "--to", "2025-10-31")[0] == 2
    assert cli("report", "nonsense", "--from", "2025-10-01", "--to", "2025-10-31")[0] == 2
    assert cli("report", "alarms", "--from", "2025-10-01", "--to", "2025-10-31", "--group", "day")[0] == 2
    code, _o, err = cli("report", "sales", "--from", "2025-10-31", "--to", "2025-10-01")
    assert code == 1 and err.count("\n") == 1


def test_refused_without_the_right(db, superadmin, cli, monkeypatch):
    monkeypatch.setenv("METERSTATION_PASSWORD", "wrong")
    code, _o, err = cli("report", "sales", "--from", "2025-10-01", "--to", "2025-10-31")
    assert code == 1 and err.count("\n") == 1
