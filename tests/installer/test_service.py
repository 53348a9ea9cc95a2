"""`meterstation service`: the systemd unit (checked by systemd-analyze where it exists), the
Windows start-at-boot task (its XML and schtasks command line), `status` naming the job station,
and the headless `meterstation poll` of two stations on one database: both poll and log a summary
per cycle, only the job station runs the scheduled jobs."""
from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import app
from models import station_key

ROOT = Path(__file__).resolve().parents[2]
TASK_NS = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}


@pytest.fixture
def station(tmp_path, station_config, monkeypatch):
    """A migrated database with an administrator; returns a CLI runner (exit code, stdout, stderr)."""
    url = f"sqlite:///{tmp_path / 'my station %1' / 'station.db'}"      # a space and a % on purpose
    (tmp_path / "my station %1").mkdir()
    monkeypatch.setenv("METERSTATION_OPERATOR", "root")
    monkeypatch.setenv("METERSTATION_PASSWORD", "secret-12")

    def cli(*args, capsys=None):
        code = app.main(["--lang", "en", "--db", url, *args])
        return code

    assert cli("db", "upgrade") == 0
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("secret-12\n"))
    assert cli("operator", "add", "root", "--role", "super-admin") == 0
    cli.url = url
    return cli


def _unit(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            out.setdefault(k, []).append(v)
    return out


def test_print_changes_nothing(station, capsys, tmp_path):
    capsys.readouterr()
    assert station("service", "install", "--print", "--unit-dir", str(tmp_path / "units"), "--user", "meter") == 0
    out = capsys.readouterr().out
    unit = _unit(out)
    assert unit["User"] == ["meter"] and unit["Restart"] == ["on-failure"]
    assert unit["StandardOutput"] == ["journal"] and unit["WantedBy"] == ["multi-user.target"]
    assert "systemctl enable --now meterstation-poll.service" in out
    assert not (tmp_path / "units").exists()


def test_unit_runs_this_program_on_this_database(station, capsys, tmp_path, station_config):
    units = tmp_path / "units"
    units.mkdir()
    assert station("service", "install", "--unit-dir", str(units), "--no-enable") == 0
    path = units / "meterstation-poll.service"
    unit = _unit(path.read_text(encoding="utf-8"))
    words = [w.replace("%%", "%") for w in shlex.split(unit["ExecStart"][0])]
    # quoted: the path has a space and a %; it logs in as the service identity, whose secret
    # `service install` made (0600, in the config folder) and the unit names, never holds
    secret = station_config.resolve() / "service.secret"
    assert words[-7:] == ["--db", station.url, "--operator", "service", "poll", "--password-file", str(secret)]
    assert secret.stat().st_mode & 0o777 == 0o600
    assert secret.read_text().strip() not in path.read_text()
    assert os.access(words[0], os.X_OK)
    assert unit["Environment"][0] == f'METERSTATION_CONFIG_DIR="{station_config.resolve()}"'
    verify = shutil.which("systemd-analyze")
    if verify is None:
        pytest.skip("systemd-analyze is not installed (apt-get install systemd)")
    r = subprocess.run([verify, "verify", str(path)], capture_output=True, text=True, timeout=60)
    complaints = [line for line in r.stderr.splitlines() if "ignoring" in line.lower() or "unknown" in line.lower()]
    assert r.returncode == 0 and not complaints, r.stderr
    # and uninstall removes it again, saying the database stays
    capsys.readouterr()
    assert station("service", "uninstall", "--unit-dir", str(units), "--no-enable") == 0
    assert not path.exists() and "database is kept" in capsys.readouterr().out
    assert station("service", "uninstall", "--unit-dir", str(units), "--no-enable") == 1


def test_refuses_a_missing_folder_and_an_empty_user(station, capsys, tmp_path):
    capsys.readouterr()
    assert station("service", "install", "--unit-dir", str(tmp_path / "nope"), "--no-enable") == 1
    assert station("service", "install", "--user", " ", "--print") == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "does not exist" in err[0] and "--user" in err[1]


def test_windows_task(station, capsys, monkeypatch):
    monkeypatch.setenv("METERSTATION_SERVICE_PLATFORM", "windows")
    capsys.readouterr()
    assert station("service", "install", "--print", "--user", "SYSTEM") == 0
    out = capsys.readouterr().out
    xml, _, commands = out.partition("</Task>")
    task = ET.fromstring((xml + "</Task>").strip().encode("utf-16"))
    assert task.find(".//t:BootTrigger/t:Enabled", TASK_NS).text == "true"
    assert task.find(".//t:ExecutionTimeLimit", TASK_NS).text == "PT0S"      # not schtasks' 72 hours
    assert task.find(".//t:RestartOnFailure/t:Count", TASK_NS).text == "999"
    assert task.find(".//t:Principal/t:UserId", TASK_NS).text == "S-1-5-18"
    arguments = task.find(".//t:Exec/t:Arguments", TASK_NS).text
    assert " --operator service poll --password-file " in arguments and f'"{station.url}"' in arguments
    assert arguments.endswith("service.secret")           # the secret's file, never the secret
    lines = commands.strip().splitlines()
    assert lines == [r"schtasks /Create /TN MeterStation\Polling /XML meterstation-task.xml /F",
                     r"schtasks /Run /TN MeterStation\Polling"]
    capsys.readouterr()
    assert station("service", "uninstall", "--print") == 0
    assert capsys.readouterr().out.splitlines() == [r"schtasks /End /TN MeterStation\Polling",
                                                    r"schtasks /Delete /TN MeterStation\Polling /F"]


def _status(station, capsys) -> dict:
    capsys.readouterr()
    assert station("service", "status", "--json") == 0
    return json.loads(capsys.readouterr().out)


def test_status_names_the_job_station(station, capsys, station_config, tmp_path, monkeypatch):
    from models import settings

    settings.set_local("station.name", "A")
    s = _status(station, capsys)
    assert (s["station"], s["job_station"], s["runs_jobs"], s["installed"]) == ("A", "", True, False)
    units = tmp_path / "units"
    units.mkdir()
    assert station("service", "install", "--unit-dir", str(units), "--no-enable", "--jobs") == 0
    assert _status(station, capsys)["job_station"] == "A"
    monkeypatch.setenv("METERSTATION_CONFIG_DIR", str(tmp_path / "cfg-b"))
    settings.set_local("station.name", "B")
    capsys.readouterr()
    assert station("service", "status") == 0
    assert "Scheduled jobs: station A runs them; this station (B) only polls" in capsys.readouterr().out
    assert _status(station, capsys)["runs_jobs"] is False


@pytest.mark.slow
def test_two_stations_poll_one_database(station, capsys, tmp_path):
    """Two headless services on one database: both poll and log each cycle; only A runs jobs."""
    from comms.simulator import start_simulator
    from tests.service_ids import service_env

    sim = start_simulator("dlt645-2007:000000000001-000000000002", host="127.0.0.1", port=0)
    procs = []
    service = service_env(station.url)
    try:
        assert station("link", "add", "bus", sim.url) == 0
        for n in (1, 2):
            assert station("meter", "add", f"M{n}", "--link", "bus", "--protocol", "dlt645-2007",
                           "--address", f"00000000000{n}") == 0
        assert station("settings", "set", "automation.job_station", "A") == 0
        for name in ("A", "B"):
            cfg = tmp_path / f"svc-{name}"
            cfg.mkdir()
            (cfg / "settings.json").write_text(json.dumps({"station.name": name}), encoding="utf-8")
            shutil.copy2(station_key.key_path(), cfg / "station.key")   # stations on one database share the key
            env = {k: v for k, v in os.environ.items() if not k.startswith("METERSTATION_")}
            env.update(METERSTATION_CONFIG_DIR=str(cfg), METERSTATION_CYCLE_LOG_SECONDS="1", HOME=str(tmp_path))
            env.update(service)                 # both act as the station's service identity
            logs = (open(cfg / "out.log", "w"), open(cfg / "err.log", "w"))
            procs.append((subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--lang", "en", "--db", station.url,
                                            "poll"], env=env, cwd=tmp_path, text=True,
                                           stdout=logs[0], stderr=logs[1]), cfg, logs))
        deadline = time.monotonic() + 90        # started, and three summaries each (slow when the machine is busy)
        while time.monotonic() < deadline and not all(
                (cfg / "err.log").read_text().count(" cycle: ") >= 3 for _p, cfg, _l in procs):
            time.sleep(0.5)
    finally:
        outs = []
        for p, cfg, logs in procs:
            p.send_signal(signal.SIGTERM)
            p.wait(timeout=60)
            for f in logs:
                f.close()
            outs.append(((cfg / "out.log").read_text(), (cfg / "err.log").read_text(), p.returncode))
        sim.stop()
    (a_out, a_err, a_rc), (b_out, b_err, b_rc) = outs
    assert a_rc == 0 and b_rc == 0, a_err + b_err
    assert "This station runs the scheduled jobs" in a_out
    assert "This station runs the scheduled jobs" not in b_out
    for err in (a_err, b_err):
        cycles = [line for line in err.splitlines() if " cycle: " in line]
        assert len(cycles) >= 3, err
        assert "Traceback" not in err
    b_jobs = [line.split("tripped, ")[1] for line in b_err.splitlines() if " cycle: " in line]
    assert set(b_jobs) == {"0 jobs run"}, b_err            # B never runs the jobs
    read = sum(int(line.split("cycle: ")[1].split()[0]) for line in a_err.splitlines() + b_err.splitlines()
               if " cycle: " in line)
    assert read >= 2, a_err + b_err       # the meters were read by the services


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root (as under sudo)")
def test_sudo_install_uses_the_accounts_database_not_roots(monkeypatch, capsys, tmp_path):
    """`sudo meterstation service install`: the service is the calling account's, on its database;
    root does not create that database for it."""
    import pwd

    account = pwd.getpwnam("nobody")
    monkeypatch.setenv("SUDO_USER", "nobody")
    monkeypatch.delenv("METERSTATION_CONFIG_DIR")
    monkeypatch.delenv("METERSTATION_DB", raising=False)
    units = tmp_path / "units"
    units.mkdir()
    assert app.main(["--lang", "en", "service", "install", "--unit-dir", str(units), "--no-enable"]) == 1
    err = capsys.readouterr().err
    assert f"sqlite:///{account.pw_dir}/.local/share/MeterStation/station.db does not exist yet" in err
    assert "start the station once as nobody" in err
    assert list(units.iterdir()) == [] and not Path(account.pw_dir, ".local").exists()
