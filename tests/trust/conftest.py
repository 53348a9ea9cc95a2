"""Trust fixtures: a super admin and a cashier on a migrated database (SQLite and PostgreSQL),
and a CLI runner that runs the real program as a subprocess."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def root(superadmin):
    return superadmin


@pytest.fixture
def cashier(db, superadmin):
    from access import login as auth
    from access import operators as operator_service

    operator_service.add_operator(db, superadmin, "cas", "pass-123", "cashier")
    return auth.login(db, "cas", "pass-123", "TEST")


class Cli:
    """`meterstation --db URL ...` as a subprocess, acting as an operator (cashier by default)."""

    def __init__(self, url: str, tmp_path: Path) -> None:
        self.url, self.tmp = url, tmp_path
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("METERSTATION_")}
        self.env.update(METERSTATION_CONFIG_DIR=str(tmp_path / "cfg"), METERSTATION_TEST_MODE="1",
                        HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"),
                        XDG_STATE_HOME=str(tmp_path / "state"), XDG_CACHE_HOME=str(tmp_path / "cache"),
                        METERSTATION_RECEIPT_DIR=str(tmp_path / "receipts"))

    def __call__(self, *args, who=("cas", "pass-123"), stdin="", db=True):
        env = dict(self.env)
        if who:
            env.update(METERSTATION_OPERATOR=who[0], METERSTATION_PASSWORD=who[1])
        pre = ["--db", self.url] if db else []
        return subprocess.run([sys.executable, str(ROOT / "app.py"), "--lang", "en", *pre, *args],
                              input=stdin, capture_output=True, text=True, env=env, cwd=self.tmp, timeout=120)


@pytest.fixture
def cli(db, cashier, tmp_path):
    """A CLI on the test database (both backends) with operators root (super admin) and cas (cashier)."""
    return Cli(db.url, tmp_path)


def one_error(r) -> str:
    """The single clear line of a refused command (exit 1, no traceback)."""
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert r.returncode == 1 and len(lines) == 1 and "Traceback" not in r.stderr \
        and "internal error" not in r.stderr, (r.returncode, r.stderr)
    return lines[0]
