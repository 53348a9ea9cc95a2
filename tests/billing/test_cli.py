"""The billing commands as scripts use them: real subprocesses, exit codes, JSON on stdout,
one clear line on stderr, nothing changed on refusal."""
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
    env = {k: v for k, v in os.environ.items() if not k.startswith("METERSTATION_")}
    env.update(METERSTATION_CONFIG_DIR=str(tmp_path / "cfg"), METERSTATION_TEST_MODE="1", HOME=str(tmp_path))

    def run(*args, stdin="", who=("root", "secret-1")):
        e = dict(env, METERSTATION_OPERATOR=who[0], METERSTATION_PASSWORD=who[1]) if who else env
        return subprocess.run([sys.executable, str(ROOT / "app.py"), "--lang", "en", "--db", url, *args],
                              input=stdin, capture_output=True, text=True, env=e, cwd=tmp_path, timeout=120)

    assert run("db", "upgrade", who=None).returncode == 0
    assert run("operator", "add", "root", "--role", "super-admin", stdin="secret-1\n", who=None).returncode == 0
    assert run("operator", "add", "cas", "--role", "cashier", stdin="pass-123\n").returncode == 0
    from models.archive import Customer, Meter
    from models.db import Database

    db = Database(url)
    with db.write() as s:
        s.add_all([Customer(name="张三"), Meter(number="M1", protocol="dlt645-2007", address="000000000001"),
                   Meter(number="M2", protocol="dlt645-2007", address="000000000002")])
    db.dispose()
    run.url = url
    return run


def _err(r) -> str:
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert r.returncode == 1 and len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    return lines[0]


@pytest.mark.slow
def test_cli_counter_day(cli, tmp_path):
    assert cli("tariff", "add", "民用", "--flat", "0.5").returncode == 0
    assert json.loads(cli("tariff", "list", "--json").stdout)["tariffs"][0]["name"] == "民用"
    r = cli("account", "open", "--customer", "张三", "--meter", "M1=100", "--tariff", "民用", "--json")
    assert r.returncode == 0, r.stderr
    opened = json.loads(r.stdout)
    assert (opened["account"], opened["balance"]) == ("000001", "0.00")
    assert cli("shift", "open").returncode == 0
    pdf = tmp_path / "r1.pdf"
    r = cli("sell", "张三", "100", "--method", "cash", "--idempotency-key", "K1", "--receipt", str(pdf), "--json")
    assert r.returncode == 0, r.stderr
    sale = json.loads(r.stdout)
    assert (sale["receipt"], sale["balance"], sale["energy"]) == ("00000001", "100.00", "200.00")
    assert pdf.read_bytes().startswith(b"%PDF")
    again = json.loads(cli("sell", "000001", "100", "--method", "cash", "--idempotency-key", "K1", "--json").stdout)
    assert again["replayed"] and again["receipt"] == "00000001" and again["balance"] == "100.00"
    for bad, says in (("-5", "negative"), ("1.005", "decimal places"), ("1000000", "limit"), ("abc", "not an amount")):
        assert says in _err(cli("sell", "000001", bad, "--method", "cash"))
    assert "no account" in _err(cli("sell", "nobody", "5", "--method", "cash"))
    assert cli("sell", "000001", "5", "--method", "bitcoin").returncode == 2
    assert "no right" in _err(cli("refund", "000001", "5", who=("cas", "pass-123")))
    r = cli("sell", "000001", "20", "--method", "wechat", "--json", who=("cas", "pass-123"))
    assert json.loads(r.stdout)["balance"] == "120.00"
    r = cli("reverse", "00000002", "--json", "--receipt", str(tmp_path / "rev.pdf"))
    assert json.loads(r.stdout)["balance"] == "100.00" and (tmp_path / "rev.pdf").exists()
    assert "already reversed" in _err(cli("reverse", "00000002"))
    r = cli("refund", "000001", "30", "--json")
    assert json.loads(r.stdout)["balance"] == "70.00"
    r = json.loads(cli("shift", "close", "--counted", "70", "--json").stdout)
    assert (r["expected_cash"], r["difference"], r["takings"]) == ("70.00", "0.00", {"cash": "70.00", "wechat": "0.00"})
    shown = json.loads(cli("account", "show", "000001", "--json").stdout)
    assert (shown["balance"], shown["state"], shown["meters"]) == ("70.00", "open", ["M1"])
    r = cli("account", "close", "000001", "--final", "M1=110", "--json")
    assert json.loads(r.stdout)["amount"] == "-65.00", r.stderr
    assert "closed" in _err(cli("sell", "000001", "5", "--method", "cash"))
    assert json.loads(cli("account", "show", "000001", "--json").stdout)["balance"] == "0.00"
    assert cli("log", "verify").returncode == 0
