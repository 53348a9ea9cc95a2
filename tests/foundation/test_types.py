"""Static types in the suite: strict mypy (pyproject [tool.mypy]) over the packages that are clean
so far. A package joins CLEAN once `mypy -p NAME` passes; the goal is every core package
(models, billing, comms, printing) and resources below them."""
from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLEAN = ["resources", "models", "printing", "billing", "archive", "access", "comms"]


def _mypy() -> list[str]:
    try:
        import mypy  # noqa: F401
    except ImportError:
        exe = shutil.which("mypy")
        if exe is None:
            pytest.fail("mypy is not installed: it is in the test extra (pip install -e .[test])")
        return [exe]
    return [sys.executable, "-m", "mypy"]


def test_the_configuration_is_strict():
    """The run below takes its options from pyproject; strict there is what the packages are held to."""
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert conf["strict"] is True
    for override in conf.get("overrides", []):
        relaxed = set(override) - {"module", "ignore_missing_imports"}
        assert not relaxed, f"a per-module relaxation needs a reason and a place in this test: {override}"


@pytest.mark.slow
def test_mypy_strict_on_the_clean_packages():
    args = [a for p in CLEAN for a in ("-p", p)]
    out = subprocess.run([*_mypy(), "--no-incremental", *args], cwd=ROOT, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
