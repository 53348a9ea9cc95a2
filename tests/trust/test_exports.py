"""Problem 9: every xlsx and CSV the station writes neutralises cells that start with = + - @
(and tab/CR), while genuine numbers — negative amounts too — stay numbers. A customer named
=HYPERLINK(...) goes through archive export, a failed login with such a name through log
export, and a refund to that customer through the corrections report."""
from __future__ import annotations

import csv
import zipfile
from datetime import date, timedelta
from decimal import Decimal as D

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from access import login as auth
from billing.refunds import refund
from billing.sales import sell
from models.cell_safety import csv_cell, csv_unquote, dangerous
from models.errors import AuthenticationFailed
from tests.billing import factories as f

EVIL = '=HYPERLINK("http://x","y")'

def _days() -> tuple[str, str]:
    """Yesterday and today, asked when the report is: a module-level date taken at collection was
    a day behind when a run crossed the station's midnight (16:00 UTC), and the refund was not in
    the report."""
    today = date.today()
    return (today - timedelta(days=1)).isoformat(), today.isoformat()


def _no_formulas(path) -> None:
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name


def _cells(path):
    wb = openpyxl.load_workbook(path)
    try:
        return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    finally:
        wb.close()


def _assert_text_cell(path, text):
    _no_formulas(path)
    hits = [c for c in _cells(path) if c.value == text]
    assert hits and all(c.data_type == "s" and c.quotePrefix for c in hits), hits


def _csv_values(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return [v for row in csv.reader(fh) for v in row]


@pytest.fixture
def evil_account(db, root):
    return f.account(db, root, name=EVIL)


def test_archive_export_xlsx_and_csv(cli, db, root, evil_account, tmp_path):
    admin = ("root", "secret-1")
    xlsx = tmp_path / "a.xlsx"
    assert cli("archive", "export", str(xlsx), who=admin).returncode == 0
    _assert_text_cell(xlsx, EVIL)
    folder = tmp_path / "csv"
    r = cli("archive", "export", str(folder), who=admin)
    assert r.returncode == 0, r.stderr
    values = _csv_values(folder / "customers.csv")
    assert "'" + EVIL in values and EVIL not in values
    from archive.file_formats import read_tables

    customers = [t for t in read_tables(folder) if t.kind == "customers"][0]
    assert EVIL in [cells.get("name") for _n, cells in customers.rows]   # import reads the name back unchanged


def test_log_export_of_a_failed_login(cli, db, root, tmp_path):
    with pytest.raises(AuthenticationFailed):
        auth.login(db, EVIL, "x", "T")
    admin = ("root", "secret-1")
    xlsx, csv_file = tmp_path / "log.xlsx", tmp_path / "log.csv"
    assert cli("log", "export", str(xlsx), who=admin).returncode == 0
    _assert_text_cell(xlsx, EVIL)
    assert cli("log", "export", str(csv_file), who=admin).returncode == 0
    values = _csv_values(csv_file)
    assert "'" + EVIL in values and EVIL not in values


def test_report_keeps_numbers_and_neutralises_text(cli, db, root, cashier, evil_account, tmp_path):
    sell(db, cashier, evil_account.number, D("10.00"), method="cash")
    refund(db, root, evil_account.number, D("4.00"))
    xlsx = tmp_path / "r.xlsx"
    first, last = _days()
    r = cli("report", "refunds", "--from", first, "--to", last, "--xlsx", str(xlsx), who=("root", "secret-1"))
    assert r.returncode == 0, r.stderr
    _assert_text_cell(xlsx, EVIL)
    numbers = [c.value for c in _cells(xlsx) if c.data_type == "n"]
    assert -4 in numbers                                  # the refund stays a (negative) number


def test_rules():
    for bad in (EVIL, "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)", "\t=1", "\r=1", "=1"):
        assert dangerous(bad) and csv_cell(bad) == "'" + bad
    for ok in ("-12.50", "+8613800000000", "12", "张三", "", "a=b", "-", "--"):
        assert not dangerous(ok) and csv_cell(ok) == ok
    assert csv_cell(D("-4.00")) == D("-4.00") and csv_cell(-4) == -4


@given(st.text(max_size=30))
def test_csv_round_trip(text):
    assert csv_unquote(csv_cell(text)) == text
    out = csv_cell(text)
    assert not (isinstance(out, str) and dangerous(out))
