"""The frozen windowed program (Windows, console=False) may have no standard streams: sys.stdin,
sys.stdout and sys.stderr are None there, as under pythonw, though the window's pipes are on fds
0, 1 and 2. The runtime child must speak over those fds, never over sys.stdin / sys.stdout, and
the window must hand it explicit pipes, never its own (absent) handles. Real processes on Linux."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from station import runtime_child as rc
from tests.ui.runtime import test_runtime_process as rp
from ui import runtime_process

ADDRS, ROOT, _gone, drive_child = rp.ADDRS, rp.ROOT, rp._gone, rp.drive_child
sim, station = rp.sim, rp.station                   # the fixtures

WINDOWED_CHILD = textwrap.dedent("""
    import sys
    sys.stdin = sys.stdout = sys.stderr = None          # as the windowed exe / pythonw have them
    import app
    sys.exit(app.main(["--runtime-child"]))
""")


def test_a_child_without_standard_streams_still_speaks_frames(tmp_path, station):
    argv, env = rc.child_command()
    params = {"url": station.db.url, "station": "T", "run_jobs": False, "options": {}, "expect": len(ADDRS),
              "lang": "en"}
    frames, code, err = drive_child([sys.executable, "-c", WINDOWED_CHILD], env, params, tmp_path)
    assert None not in frames, err.decode()[-2000:]          # it said nothing: it died first
    kinds = [f[0] for f in frames]
    assert code == 0, err.decode()[-2000:]
    assert kinds[0] == "started" and kinds[-1] == "stopped", (kinds, err.decode()[-2000:])
    readings = {d["meter_id"] for f in frames if f[0] == "events" for name, d in f[1] if name == "reading"}
    assert len(readings) == len(ADDRS)
    # its log still reaches the window (fd 2): a failure says why there too
    frames, code, err = drive_child([sys.executable, "-c", WINDOWED_CHILD], env,
                                    {**params, "url": f"sqlite:///{tmp_path / 'nowhere' / 'st.db'}"}, tmp_path)
    assert code == rc.EXIT_FAILED and [f[0] for f in frames] == ["failed"], (frames, err)
    assert b"did not start" in err


PARENT = textwrap.dedent("""
    import json, os, sys, time, types
    out = sys.argv[2]
    os.close(0); os.close(1)                  # no standard streams at all, as the windowed exe
    sys.stdin = sys.stdout = None
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from models.db import Database
    from ui.bridge import RuntimeHost
    db = Database.open(sys.argv[1])
    session = types.SimpleNamespace(db=db, station="T", services={})
    host = RuntimeHost(session, run_jobs=False)
    seen = set()
    host.bridge.readings.connect(lambda rows: seen.update(r["meter_id"] for r in rows))
    host.start()
    deadline = time.monotonic() + 40
    while len(seen) < int(sys.argv[3]) and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)
    pid = session.services["runtime"].pid if "runtime" in session.services else None
    host.stop()
    with open(out, "w") as f:
        json.dump({"seen": sorted(seen), "pid": pid}, f)
""")


def test_a_window_without_standard_streams_runs_its_child(tmp_path, station):
    """The parent's fds 0 and 1 closed (its stderr to /dev/null): the child still gets its
    parameters, polls, sends readings and stops when asked."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    out = tmp_path / "result.json"
    parent = subprocess.run([sys.executable, "-c", PARENT, station.db.url, str(out), str(len(ADDRS))], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            timeout=90, cwd=tmp_path)
    assert parent.returncode == 0
    result = json.loads(out.read_text())
    assert len(result["seen"]) == len(ADDRS) and result["pid"] is not None
    assert _gone(result["pid"])


def test_the_child_is_started_with_explicit_pipes(monkeypatch):
    """All three streams are pipes of our own (never inherited handles: a windowed parent has
    none, and Windows then hands the child invalid ones)."""
    seen: dict = {}

    def popen(argv, **kw):
        seen.update(kw)
        raise OSError("not started in this test")

    monkeypatch.setattr(runtime_process.subprocess, "Popen", popen)
    proc = runtime_process.RuntimeProcess.__new__(runtime_process.RuntimeProcess)
    proc.params = {}
    try:
        proc._spawn()
    except OSError:
        pass
    assert (seen["stdin"], seen["stdout"], seen["stderr"]) == (subprocess.PIPE,) * 3
    assert seen.get("close_fds", True) is True
