"""The window's process and its children leave a trace: window.log (warnings and errors of the
logging tree) and crash.log (every thread's Python stack when a process dies of a native crash),
in the log folder. The children are the real ones (`python -m app --runtime-child` /
`--simulator-process`), killed with SIGSEGV as a crash in Qt or a C extension would kill them."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from models import program_log

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGSEGV sent by os.kill: POSIX")


def _crash_log_after_segv(tmp_path: Path, flag: str, name: str) -> str:
    env = dict(os.environ, METERSTATION_LOG_DIR=str(tmp_path / "log"), PYTHONPATH=str(ROOT),
               METERSTATION_TEST_MODE="1")
    proc = subprocess.Popen([sys.executable, "-m", "app", flag], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    crash = tmp_path / "log" / program_log.CRASH_LOG
    try:
        end = time.monotonic() + 60
        while f"--- {name} pid {proc.pid}" not in (crash.read_text() if crash.exists() else ""):
            assert proc.poll() is None and time.monotonic() < end, "the child never started its crash trace"
            time.sleep(0.05)
        time.sleep(0.5)                                   # into its first read of stdin
        os.kill(proc.pid, signal.SIGSEGV)
        assert proc.wait(timeout=30) == -signal.SIGSEGV
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            stream.close()
    return crash.read_text()


def test_the_runtime_child_leaves_its_stacks_when_it_crashes(tmp_path):
    text = _crash_log_after_segv(tmp_path, "--runtime-child", "runtime")
    assert "Fatal Python error: Segmentation fault" in text
    assert "runtime_child.py" in text and "in main" in text          # where it was: its first read


def test_the_simulators_child_leaves_its_stacks_when_it_crashes(tmp_path):
    text = _crash_log_after_segv(tmp_path, "--simulator-process", "simulators")
    assert "Fatal Python error: Segmentation fault" in text and "process.py" in text and "in serve" in text


def test_the_window_log_keeps_warnings_and_the_undo_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("METERSTATION_LOG_DIR", str(tmp_path / "log"))
    root = logging.getLogger()
    handlers = list(root.handlers)
    undo = program_log.start("window")
    try:
        logging.getLogger("ui.tasks").warning("background failure: %s", "数据库忙")
        logging.getLogger("ui.tasks").info("not kept")
    finally:
        undo()
    assert root.handlers == handlers
    text = (tmp_path / "log" / program_log.WINDOW_LOG).read_text(encoding="utf-8")
    assert "WARNING ui.tasks: background failure: 数据库忙" in text and "not kept" not in text
    if os.name == "posix":
        assert (tmp_path / "log" / program_log.WINDOW_LOG).stat().st_mode & 0o077 == 0     # private
        assert (tmp_path / "log" / program_log.CRASH_LOG).stat().st_mode & 0o077 == 0
