"""The runtime child (`python -m app --runtime-child`) given what the window never sends — found
by the hostile-operator walk: start parameters that are not JSON or lack the url, a command that
is not a JSON object, a line of megabytes, a SQLite path that is not there. Each is one logged
line (and a translated "failed" frame where it cannot start), never a traceback, never a crash,
never an empty database file left behind; the polling goes on after a bad command."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from models.db import Database
from station import runtime_child as rc

ROOT = Path(__file__).resolve().parents[3]


def _run(tmp_path: Path, stdin: bytes, timeout: float = 60) -> tuple[int, list[tuple[str, object]], str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), METERSTATION_LOG_DIR=str(tmp_path / "log"))
    r = subprocess.run([sys.executable, "-m", "app", "--runtime-child"], cwd=ROOT, env=env, input=stdin,
                       capture_output=True, timeout=timeout)
    frames, out = [], io.BytesIO(r.stdout)
    while (frame := rc.read_frame(out)) is not None:
        frames.append(frame)
    return r.returncode, frames, r.stderr.decode("utf-8", "replace")


def test_start_parameters_it_cannot_use_are_refused_in_words(tmp_path):
    missing = tmp_path / "nowhere" / "station.db"
    missing.parent.mkdir()
    for line in (b"hello\n", b"[1, 2]\n", b'{"station": "x"}\n',
                 json.dumps({"url": f"sqlite:///{missing}", "station": "x"}).encode() + b"\n"):
        code, frames, err = _run(tmp_path, line)
        assert code == rc.EXIT_FAILED, (line, code, err)
        assert [k for k, _p in frames] == ["failed"], (line, frames)
        assert "Traceback" not in err, (line, err)
    assert not missing.exists()                               # no empty database made


def test_bad_commands_are_dropped_and_the_child_goes_on(tmp_path):
    url = f"sqlite:///{tmp_path / 'station.db'}"
    Database.open(url, upgrade=True).dispose()
    start = json.dumps({"url": url, "station": "x", "run_jobs": False}).encode() + b"\n"
    garbage = b"[1]\n" + b'"stop"\n' + b"x" * (rc.MAX_LINE * 2) + b"\n" + b"null\n"
    code, frames, err = _run(tmp_path, start + garbage + b'{"cmd": "stop"}\n')
    assert code == 0, err
    kinds = [k for k, _p in frames]
    assert kinds[0] == "started" and kinds[-1] == "stopped", kinds
    assert "not a JSON object" in err and "longer than" in err
    assert "Traceback" not in err
