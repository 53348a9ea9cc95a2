"""A fast command line (issue 12): `--help` builds no command module and no database library,
a sale on an up-to-date station imports neither Alembic nor the document, Excel, chart, Modbus or
Qt libraries; the light command table agrees with the modules; the migration head read from the
version scripts agrees with Alembic's."""
from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("alembic", "reportlab", "openpyxl", "PySide6", "pyqtgraph", "pymodbus", "apscheduler")

# runs app.main(argv) and prints, as the last line, the top-level packages and ui.cli modules loaded
DRIVER = """
import json, sys
from app import main
try:
    rc = main(sys.argv[1:])
except SystemExit as e:
    rc = e.code
mods = sorted({m.split('.')[0] for m in sys.modules} | {m for m in sys.modules if m.startswith('ui.cli.')})
print(json.dumps({"rc": rc, "modules": mods}))
"""


def _loaded(tmp_path: Path, *argv: str, env: dict[str, str] | None = None) -> tuple[int, set[str], str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("METERSTATION_")}
    e.update(METERSTATION_CONFIG_DIR=str(tmp_path / "cfg"), PYTHONPATH=str(ROOT), **(env or {}))
    r = subprocess.run([sys.executable, "-c", DRIVER, "--lang", "en", *argv], env=e, cwd=tmp_path,
                       capture_output=True, text=True, timeout=120)
    last = json.loads(r.stdout.strip().splitlines()[-1])
    return last["rc"], set(last["modules"]), r.stdout + r.stderr


def test_help_imports_no_command_module_and_no_database_library(tmp_path):
    rc, mods, out = _loaded(tmp_path, "--help")
    assert rc == 0 and "sell" in out and "timed" in out
    assert not {m for m in mods if m.startswith("ui.cli.cmd_")}
    assert not mods & {"sqlalchemy", *HEAVY}, sorted(mods & {"sqlalchemy", *HEAVY})


def test_command_help_loads_only_its_module(tmp_path):
    rc, mods, out = _loaded(tmp_path, "--db", "sqlite:///x.db", "log", "export", "--help")
    assert rc == 0 and "log export" in out
    assert {m for m in mods if m.startswith("ui.cli.cmd_")} == {"ui.cli.cmd_log"}
    assert not mods & set(HEAVY)


@pytest.fixture
def station(tmp_path, monkeypatch):
    """A file SQLite station at the schema head with an account to sell to."""
    from access import login as auth
    from access import operators as operator_service
    from billing.accounts_open import MeterOpening, open_account
    from billing.tariffs.plan_store import add_version
    from models.archive import Customer, Meter
    from models.db import Database

    monkeypatch.setenv("METERSTATION_CONFIG_DIR", str(tmp_path / "cfg"))
    url = f"sqlite:///{tmp_path / 'station.db'}"
    db = Database.open(url, upgrade=True)
    try:
        operator_service.create_first_operator(db, "root", "secret-1", "T")
        actor = auth.login(db, "root", "secret-1", "T")
        add_version(db, actor, "flat", {"kind": "flat", "price": "0.5"})
        with db.write() as s:
            s.add(Customer(name="c1"))
            s.add(Meter(number="m1", protocol="dlt645-2007", address="000000000001"))
        number = open_account(db, actor, "c1", [MeterOpening("m1", Decimal("0"))], tariff="flat").number
    finally:
        db.dispose()
    return url, number


def test_a_sale_imports_no_alembic_and_no_heavy_library(station, tmp_path):
    url, account = station
    rc, mods, out = _loaded(tmp_path, "--db", url, "sell", account, "10", "--method", "cash", "--json",
                            env={"METERSTATION_OPERATOR": "root", "METERSTATION_PASSWORD": "secret-1"})
    assert rc == 0, out
    assert json.loads(out.splitlines()[0])["balance"] == "10.00"
    assert not mods & set(HEAVY), sorted(mods & set(HEAVY))
    assert {m for m in mods if m.startswith("ui.cli.cmd_")} == {"ui.cli.cmd_billing"}


def test_an_older_schema_is_still_migrated_by_a_command(tmp_path):
    from models import migrate
    from models.db import Database

    url = f"sqlite:///{tmp_path / 'old.db'}"
    db = Database(url)
    try:
        older = migrate._graph()[migrate.head_revision()][0]
        migrate.upgrade(db, older)           # a station the previous program wrote
    finally:
        db.dispose()
    rc, mods, out = _loaded(tmp_path, "--db", url, "log", "verify", "--json")
    assert rc == 0 and "alembic" in mods, out
    db = Database(url)
    try:
        assert migrate.current_revision(db) == migrate.head_revision()
        with db.writer.begin() as conn:      # a revision this program does not know: refused
            conn.execute(sa.text("UPDATE alembic_version SET version_num = 'zz99'"))
    finally:
        db.dispose()
    rc, mods, out = _loaded(tmp_path, "--db", url, "log", "verify", "--json")
    assert rc == 1 and "newer MeterStation" in out


def test_the_command_table_is_what_the_modules_register():
    from resources import i18n
    from ui import cli

    for lang in i18n.LANGS:
        i18n.set_language(lang)
        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers(dest="command")
        for module in cli.COMMAND_MODULES:
            importlib.import_module(module).register(sub)
        registered = [(a.dest, a.help) for a in sub._choices_actions]
        assert registered == [(name, i18n._(text)) for name, _module, text in cli.COMMANDS]
        owner = {}
        for module in cli.COMMAND_MODULES:
            s = argparse.ArgumentParser().add_subparsers()
            importlib.import_module(module).register(s)
            owner.update({name: module for name in s.choices})
        assert owner == {name: f"ui.cli.cmd_{module}" for name, module, _help in cli.COMMANDS}


@pytest.mark.parametrize("argv", [["sell", "--help"], ["--db", "sell", "sell", "--help"],
                                  ["--lang=en", "--operator", "log", "log", "head", "--help"],
                                  ["report", "--help"], ["tim", "x"]])
def test_the_chosen_command_parses_as_with_the_full_parser(argv, capsys):
    from ui import cli

    def outcome(parser):
        try:
            return vars(parser.parse_args(argv)), capsys.readouterr()
        except SystemExit as e:
            return e.code, capsys.readouterr()
    assert outcome(cli.build_parser(argv)) == outcome(cli.build_parser())


def test_migration_head_read_from_scripts_is_alembics():
    from alembic.script import ScriptDirectory

    from models import migrate

    script = ScriptDirectory.from_config(migrate._config())
    assert migrate.head_revision() == script.get_current_head()
    assert migrate.known_revisions() == {s.revision for s in script.walk_revisions()}


def test_stored_revision_read_as_alembic_reads_it(db):
    from alembic.runtime.migration import MigrationContext

    from models import migrate

    with db.writer.connect() as conn:
        assert migrate.current_revision(db) == MigrationContext.configure(conn).get_current_revision()
    with db.writer.begin() as conn:
        conn.execute(sa.text("DROP TABLE alembic_version"))
    assert migrate.current_revision(db) is None


def test_a_command_run_as_the_program_ends_without_teardown_and_loses_no_output(station, tmp_path):
    """app.py as a script ends a finished command with os._exit (exit_after_command): what it
    printed into a pipe still arrives whole, its exit status is kept, the sale is stored, and
    --help and usage errors keep 0 and 2."""
    url, account = station
    e = {k: v for k, v in os.environ.items() if not k.startswith("METERSTATION_") and k != "PYTHONUNBUFFERED"}
    e.update(METERSTATION_CONFIG_DIR=str(tmp_path / "cfg"), PYTHONPATH=str(ROOT), METERSTATION_OPERATOR="root",
             METERSTATION_PASSWORD="secret-1")
    app = str(ROOT / "app.py")

    def run(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, app, "--lang", "en", "--db", url, *argv], env=e, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)

    sold = [run("sell", account, "2.50", "--method", "cash", "--json") for _ in range(2)]
    assert [r.returncode for r in sold] == [0, 0], [r.stderr for r in sold]
    assert [json.loads(r.stdout)["balance"] for r in sold] == ["2.50", "5.00"]
    shown = run("account", "show", account, "--json")
    assert shown.returncode == 0 and json.loads(shown.stdout)["balance"] == "5.00"
    refused = run("sell", account, "-1", "--method", "cash")
    assert refused.returncode == 1 and refused.stderr.startswith("meterstation: ") and refused.stdout == ""
    helped = run("sell", "--help")
    assert helped.returncode == 0 and "--method" in helped.stdout
    assert run("sell", account).returncode == 2
