"""Static checks in the suite: ruff's pyflakes and syntax rules (undefined names, unused
imports and variables, syntax errors) over every source folder."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ruff_finds_no_errors():
    out = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "F,E9", "--quiet",
                          "app.py", "ui", "models", "billing", "comms", "station", "printing", "tests"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
