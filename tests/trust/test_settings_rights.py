"""Problem 2: every setting needs its right and is logged, station-local ones included; the
database location is chosen by who starts the program; an absent or empty database is created
only by `db upgrade` — everywhere else a clear "no station database at ..." line."""
from __future__ import annotations

import json

import pytest

from models import oplog, settings
from models.errors import InvalidInput
from tests.trust.conftest import Cli, one_error

ADMIN = ("root", "secret-1")


def _log(db, action):
    with db.read() as s:
        return [(e.operator, e.target, json.loads(e.details)) for e in oplog.search(s, action=action)]


def _local(cli):
    path = cli.tmp / "cfg" / "settings.json"
    return json.loads(path.read_text()) if path.exists() else {}


@pytest.mark.parametrize("key,value", [("station.db_url", "sqlite:///evil.db"), ("station.name", "EVIL"),
                                       ("backup.folder", "/tmp/elsewhere"), ("station.printer", "x")])
def test_cashier_cannot_change_station_settings(cli, db, key, value):
    assert "no right" in one_error(cli("settings", "set", key, value))
    assert key not in _local(cli)
    assert any(t == key and d["action"] == "setting.change" for _o, t, d in _log(db, "denied"))


def test_local_settings_need_their_right_and_are_logged(cli, db, root):
    from access import operators as operator_service

    operator_service.add_operator(db, root, "adm", "pass-123", "admin")
    adm = ("adm", "pass-123")
    assert "no right" in one_error(cli("settings", "set", "station.db_url", "sqlite:///x.db", who=adm))
    r = cli("settings", "set", "backup.keep", "7", who=adm)
    assert r.returncode == 0, r.stderr
    r = cli("settings", "set", "station.name", "Counter 2", who=ADMIN)
    assert r.returncode == 0, r.stderr
    assert _local(cli)["backup.keep"] == 7 and _local(cli)["station.name"] == "Counter 2"
    changes = {(o, t): d for o, t, d in _log(db, "setting.change")}
    assert changes[("adm", "backup.keep")] == {"old": 14, "new": 7, "local": True}
    assert changes[("root", "station.name")]["new"] == "Counter 2"
    with pytest.raises(InvalidInput):
        settings.put(db, root, "backup.keep", "0")           # validated as well


def test_environment_beats_the_station_config(cli, db, tmp_path):
    settings_dir = tmp_path / "cfg"
    settings_dir.mkdir(exist_ok=True)
    (settings_dir / "settings.json").write_text(json.dumps({"station.db_url": f"sqlite:///{tmp_path}/other.db"}))
    env_cli = Cli(db.url, tmp_path)
    env_cli.env["METERSTATION_DB"] = db.url
    r = env_cli("operator", "list", "--json", who=("root", "secret-1"), db=False)
    assert r.returncode == 0, r.stderr
    assert "cas" in r.stdout and not (tmp_path / "other.db").exists()


def test_absent_or_empty_database_is_not_created(db_url, tmp_path):
    c = Cli(db_url, tmp_path)
    looks = (("db", "status"),) if db_url.startswith("sqlite") else ()   # a server: status shows "-"
    for cmd in (("account", "show", "1"), ("operator", "list"), *looks,
                ("operator", "add", "x", "--role", "super-admin")):
        assert "There is no station database at" in one_error(c(*cmd, who=None, stdin="secret-12\n")), cmd
    if db_url.startswith("sqlite"):
        path = tmp_path / "station.db"
        assert not path.exists()
        path.write_bytes(b"")
        assert "There is no station database at" in one_error(c("operator", "list", who=None))
        assert path.stat().st_size == 0
        typo = Cli(f"sqlite:///{tmp_path / 'statoin.db'}", tmp_path)
        assert "There is no station database at" in one_error(typo("account", "show", "1", who=None))
        assert not (tmp_path / "statoin.db").exists()
    r = c("db", "upgrade", who=None)
    assert r.returncode == 0, r.stderr
    r = c("operator", "add", "root", "--role", "super-admin", who=None, stdin="secret-12\n")
    assert r.returncode == 0, r.stderr
