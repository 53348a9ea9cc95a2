"""A test that outlives its timeout and swallows the timeout's exception ends its process with
every thread's stack in a file (tests/backstop.py), instead of holding the run until CI's limit."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

HANGS = '''
import time

def test_swallows_its_timeout():
    while True:
        try:
            time.sleep(5)
        except BaseException:
            pass
'''


def test_a_hang_past_the_timeout_ends_with_its_stacks(tmp_path):
    (tmp_path / "test_hangs.py").write_text(HANGS, encoding="utf-8")
    hangs = tmp_path / "hangs"
    hangs.mkdir()
    env = dict(os.environ, PYTHONPATH=str(ROOT), METERSTATION_HANG_DIR=str(hangs),
               METERSTATION_HANG_MARGIN_S="1")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.backstop", "-p", "no:cacheprovider",
         "-o", "timeout=1", "--rootdir", str(tmp_path), str(tmp_path / "test_hangs.py")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    [stacks] = list(hangs.iterdir())
    text = stacks.read_text(encoding="utf-8")
    assert "test_hangs.py::test_swallows_its_timeout still ran 2 s" in text
    assert "in test_swallows_its_timeout" in text          # where it hung, in faulthandler's dump


def test_a_test_that_ends_in_time_leaves_no_file(tmp_path):
    (tmp_path / "test_quick.py").write_text("def test_quick():\n    pass\n", encoding="utf-8")
    hangs = tmp_path / "hangs"
    hangs.mkdir()
    env = dict(os.environ, PYTHONPATH=str(ROOT), METERSTATION_HANG_DIR=str(hangs))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.backstop", "-p", "no:cacheprovider",
         "-o", "timeout=30", "--rootdir", str(tmp_path), str(tmp_path / "test_quick.py")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout
    assert list(hangs.iterdir()) == []
