"""The command line as scripts use it: real subprocesses, exit codes 0/1/2, one clear line on
stderr, JSON on stdout, and the same rights as the GUI."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("METERSTATION_")}
    base_env.update(METERSTATION_CONFIG_DIR=str(tmp_path / "cfg"), METERSTATION_TEST_MODE="1",
                    HOME=str(tmp_path))

    def run(*args, stdin="", env=None, lang="en"):
        e = dict(base_env, **(env or {}))
        return subprocess.run([sys.executable, str(ROOT / "app.py"), "--lang", lang, "--db", url, *args],
                              input=stdin, capture_output=True, text=True, env=e, cwd=tmp_path, timeout=120)
    assert run("db", "upgrade").returncode == 0      # only db upgrade creates a station database
    return run


def _one_line(err: str) -> str:
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_operator_lifecycle(cli):
    r = cli("db", "upgrade")
    assert r.returncode == 0, r.stderr
    r = cli("operator", "add", "root", "--role", "super-admin", stdin="secret-1\n")
    assert r.returncode == 0, r.stderr
    # needs authentication now: actor password from env, new password from stdin
    r = cli("operator", "add", "cas", "--role", "cashier", stdin="pass-123\n")
    assert r.returncode == 1 and "--operator" in _one_line(r.stderr)
    auth = {"METERSTATION_OPERATOR": "root", "METERSTATION_PASSWORD": "secret-1"}
    r = cli("operator", "add", "cas", "--role", "cashier", stdin="pass-123\n", env=auth)
    assert r.returncode == 0, r.stderr
    # actor password and new password both on stdin
    r = cli("--operator", "root", "operator", "add", "vic", "--role", "viewer", stdin="secret-1\npass-456\n")
    assert r.returncode == 0, r.stderr
    r = cli("operator", "list", "--json", env=auth)
    data = json.loads(r.stdout)
    assert [(o["name"], o["role"]) for o in data["operators"]] == [
        ("root", "super-admin"), ("cas", "cashier"), ("vic", "viewer")]
    # a cashier cannot add operators: exit 1, one line, nothing changed
    r = cli("operator", "add", "x", "--role", "viewer", stdin="pass-123\n",
            env={"METERSTATION_OPERATOR": "cas", "METERSTATION_PASSWORD": "pass-123"})
    assert r.returncode == 1 and "no right" in _one_line(r.stderr)
    assert len(json.loads(cli("operator", "list", "--json", env=auth).stdout)["operators"]) == 3
    # wrong password
    r = cli("operator", "unlock", "cas", env={"METERSTATION_OPERATOR": "root", "METERSTATION_PASSWORD": "nope"})
    assert r.returncode == 1 and "Wrong operator name or password" in _one_line(r.stderr)
    # the log has it all and is intact
    r = cli("log", "show", "--json", "--limit", "100", env=auth)
    entries = json.loads(r.stdout)["entries"]
    actions = [e["action"] for e in entries]
    assert actions.count("operator.add") == 3 and "denied" in actions and "login.failed" in actions
    r = cli("log", "verify")
    assert r.returncode == 0 and "intact" in r.stdout


def test_log_verify_fails_on_tampering(cli, tmp_path):
    cli("operator", "add", "root", "--role", "super-admin", stdin="secret-1\n")
    import sqlite3

    from tests.tamper import drop_guards_sqlite

    con = sqlite3.connect(tmp_path / "cli.db")
    drop_guards_sqlite(con)
    con.execute("UPDATE oplog SET target = 'mallory' WHERE seq = 1")
    con.commit()
    con.close()
    r = cli("log", "verify")
    assert r.returncode == 1 and "row 1 was edited" in _one_line(r.stderr)
    r = cli("log", "verify", "--json")
    assert r.returncode == 1 and json.loads(r.stdout)["ok"] is False


def test_usage_errors_exit_2(cli):
    assert cli("operator", "add").returncode == 2
    assert cli("no-such-command").returncode == 2
    assert cli("operator", "add", "x", "--role").returncode == 2


def test_first_operator_must_be_super_admin(cli):
    r = cli("operator", "add", "cas", "--role", "cashier", stdin="pass-123\n")
    assert r.returncode == 1 and "super administrator" in _one_line(r.stderr)


def test_chinese_messages(cli):
    r = cli("operator", "add", "cas", "--role", "cashier", stdin="pass-123\n", lang="zh_CN")
    assert r.returncode == 1 and "超级管理员" in _one_line(r.stderr)


def test_log_export(cli, tmp_path):
    cli("operator", "add", "root", "--role", "super-admin", stdin="secret-1\n")
    out = tmp_path / "log.xlsx"
    root = {"METERSTATION_OPERATOR": "root", "METERSTATION_PASSWORD": "secret-1"}
    r = cli("log", "export", str(out), env=root)
    assert r.returncode == 0, r.stderr
    from openpyxl import load_workbook

    ws = load_workbook(out).active
    rows = list(ws.values)
    assert rows[0][0] == "No." and rows[1][4] == "login"          # the exporter's own login, newest first
    assert [r[4] for r in rows[1:]].count("operator.add") == 1
    r = cli("log", "export", str(tmp_path / "log.txt"), env=root)
    assert r.returncode == 1


def test_newer_database_refused(cli, tmp_path):
    cli("db", "upgrade")
    import sqlite3

    con = sqlite3.connect(tmp_path / "cli.db")
    con.execute("UPDATE alembic_version SET version_num = 'zz99'")
    con.commit()
    con.close()
    r = cli("operator", "list")
    assert r.returncode == 1 and "newer MeterStation" in _one_line(r.stderr)


def test_settings(cli):
    cli("operator", "add", "root", "--role", "super-admin", stdin="secret-1\n")
    r = cli("settings", "set", "company.name", "某某物业管理有限公司",
            env={"METERSTATION_OPERATOR": "root", "METERSTATION_PASSWORD": "secret-1"})
    assert r.returncode == 0, r.stderr
    r = cli("settings", "show", "--json", env={"METERSTATION_OPERATOR": "root", "METERSTATION_PASSWORD": "secret-1"})
    assert json.loads(r.stdout)["settings"]["company.name"] == "某某物业管理有限公司"
    r = cli("settings", "set", "receipt.paper", "napkin",
            env={"METERSTATION_OPERATOR": "root", "METERSTATION_PASSWORD": "secret-1"})
    assert r.returncode == 1


def test_help_lists_commands(cli):
    r = cli("--help")
    assert r.returncode == 0
    for cmd in ("db", "operator", "log", "screenshot"):
        assert cmd in r.stdout
