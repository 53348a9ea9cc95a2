"""A process that imported only some table modules still flushes: Database registers every
table (models.all_tables) before any session runs. `meterstation operator add lim --building 1`
in a fresh CLI process failed with an internal error (NoReferencedTableError: operator_areas ->
buildings) because the CLI's fast path never imported models.areas."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]



def test_the_cli_adds_an_operator_limited_to_a_building(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "METERSTATION_CONFIG_DIR": str(tmp_path / "cfg"),
           "METERSTATION_DATA_DIR": str(tmp_path / "data"), "METERSTATION_LOG_DIR": str(tmp_path / "log"),
           "METERSTATION_OPERATOR": "root", "METERSTATION_PASSWORD": "root-pw-1"}
    url = f"sqlite:///{tmp_path / 's.db'}"

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "app", "--db", url, *args], input=stdin, env=env,
                              capture_output=True, text=True, timeout=120, cwd=ROOT)

    assert run("db", "upgrade").returncode == 0
    assert run("operator", "add", "root", "--role", "super-admin", stdin="root-pw-1\n").returncode == 0
    assert run("building", "add", "A").returncode == 0
    done = run("operator", "add", "lim", "--role", "admin", "--building", "1", stdin="pw-lim-1\n")
    assert done.returncode == 0, done.stderr
    assert "NoReferencedTableError" not in done.stderr and not (tmp_path / "log" / "errors.log").exists()
    listed = run("operator", "list")
    assert "lim" in listed.stdout, listed.stderr
