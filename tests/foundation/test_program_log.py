"""The window's process and its children leave a trace of a native crash: crash.log (every
thread's Python stack when a process dies of SIGSEGV and the like), in the log folder. The
children are the real ones (`python -m app --runtime-child` / `--simulator-process`), killed with
SIGSEGV as a crash in Qt or a C extension would kill them."""
from __future__ import annotations

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


def test_the_crash_trace_is_private_and_its_undo_gives_the_previous_one_back(tmp_path, monkeypatch):
    import faulthandler

    monkeypatch.setenv("METERSTATION_LOG_DIR", str(tmp_path / "log"))
    was = faulthandler.is_enabled()
    undo = program_log.start_crash_trace("window")
    try:
        assert faulthandler.is_enabled()
    finally:
        undo()
    assert faulthandler.is_enabled() == was
    path = tmp_path / "log" / program_log.CRASH_LOG
    assert f"--- window pid {os.getpid()}" in path.read_text()
    if os.name == "posix":
        assert path.stat().st_mode & 0o077 == 0


def test_the_runtime_child_runs_below_the_window(tmp_path):
    """nice +5 (station/runtime_child.below_the_window): on 2 cores the window's page switch
    waited for a core while 10,000 meters were polled."""
    env = dict(os.environ, METERSTATION_LOG_DIR=str(tmp_path / "log"), PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "app", "--runtime-child"], cwd=ROOT, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    crash = tmp_path / "log" / program_log.CRASH_LOG
    try:
        end = time.monotonic() + 60
        while f"--- runtime pid {proc.pid}" not in (crash.read_text() if crash.exists() else ""):
            assert proc.poll() is None and time.monotonic() < end
            time.sleep(0.05)
        time.sleep(0.2)
        assert os.getpriority(os.PRIO_PROCESS, proc.pid) == min(os.getpriority(os.PRIO_PROCESS, 0) + 5, 19)
    finally:
        proc.kill()
        proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            stream.close()
