"""`meterstation backup FILE` and `restore FILE`: exit codes 0/1/2 and one line on stderr."""
from __future__ import annotations

import io
import json
import sys
from decimal import Decimal

import pytest

import app
from access import login as auth
from access import operators as operator_service
from billing.sales import sell
from models.db import Database
from tests.billing import factories


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'station.db'}"
    monkeypatch.setenv("METERSTATION_CONFIG_DIR", str(tmp_path / "cfg"))
    for k in ("METERSTATION_OPERATOR", "METERSTATION_PASSWORD", "METERSTATION_DB"):
        monkeypatch.delenv(k, raising=False)

    def run(*args, operator=None, password=None, stdin=""):
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        if operator:
            monkeypatch.setenv("METERSTATION_OPERATOR", operator)
        else:
            monkeypatch.delenv("METERSTATION_OPERATOR", raising=False)
        if password:
            monkeypatch.setenv("METERSTATION_PASSWORD", password)
        else:
            monkeypatch.delenv("METERSTATION_PASSWORD", raising=False)
        try:
            code = app.main(["--lang", "en", "--db", url, *args])
        except SystemExit as e:
            code = e.code
        out, err = capsys.readouterr()
        return code, out, err

    db = Database.open(url, upgrade=True)
    operator_service.create_first_operator(db, "root", "secret-1", "TEST")
    root = auth.login(db, "root", "secret-1", "TEST")
    operator_service.add_operator(db, root, "cas", "pass-123", "cashier")
    acc = factories.account(db, root).number
    sell(db, root, acc, Decimal("12.34"), method="cash")
    db.dispose()
    run.url, run.account = url, acc
    return run


def _one_line(err):
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_backup_and_restore_exit_codes(cli, tmp_path):
    code, out, err = cli("backup", str(tmp_path / "b.db"), "--json", operator="root", password="secret-1")
    assert code == 0, err
    assert json.loads(out)["bytes"] > 0
    code, out, err = cli("restore", str(tmp_path / "b.db"), "--json", operator="root", password="secret-1")
    assert code == 0, err
    assert "before-restore" in json.loads(out)["kept"]
    code, out, err = cli("account", "show", cli.account, "--json", operator="root", password="secret-1")
    assert code == 0 and json.loads(out)["balance"] == "12.34", err


def test_password_on_stdin(cli, tmp_path):
    code, out, err = cli("--operator", "root", "backup", str(tmp_path / "b.db"), stdin="secret-1\n")
    assert code == 0, err
    code, out, err = cli("--operator", "root", "restore", str(tmp_path / "b.db"), stdin="secret-1\n")
    assert code == 0, err
    assert "kept" in out


def test_cashier_cannot_restore(cli, tmp_path):
    assert cli("backup", str(tmp_path / "b.db"), operator="root", password="secret-1")[0] == 0
    code, out, err = cli("restore", str(tmp_path / "b.db"), operator="cas", password="pass-123")
    assert code == 1 and "right" in _one_line(err)
    code, out, err = cli("backup", str(tmp_path / "c.db"), operator="cas", password="pass-123")
    assert code == 1 and "right" in _one_line(err)


def test_refusals_and_usage(cli, tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_text("hello")
    code, out, err = cli("restore", str(junk), operator="root", password="secret-1")
    assert code == 1 and "not a MeterStation backup" in _one_line(err)
    code, out, err = cli("restore", str(junk))
    assert code == 1 and "--operator" in _one_line(err)
    code, out, err = cli("backup", str(tmp_path / "x.db"), operator="root", password="wrong")
    assert code == 1 and _one_line(err)
    code, out, err = cli("backup", str(tmp_path / "no-folder" / "x.db"), operator="root", password="secret-1")
    assert code == 1 and "does not exist" in _one_line(err)
    code, out, err = cli("restore", operator="root", password="secret-1")
    assert code == 2 and _one_line(err)
    code, out, err = cli("backup", "a", "b")
    assert code == 2
