"""Static checks in the suite: ruff with the project's rule set (pyproject [tool.ruff.lint]: pyflakes,
pycodestyle, bugbear, isort, pyupgrade) over the whole project (installer/ scripts included)."""
from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_rule_set_is_the_projects():
    """The run below takes its rules from pyproject; a narrowed select there would pass silently."""
    lint = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["ruff"]["lint"]
    assert set(lint["select"]) >= {"F", "E", "B", "I", "UP"}
    assert not lint.get("ignore"), "ignore rules per file, with a reason, in per-file-ignores"


def test_ruff_finds_no_errors():
    out = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--quiet", "."],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
