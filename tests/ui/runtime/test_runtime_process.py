"""The window's runtime in a child process (ui/runtime_process.py, station/runtime_child.py), with
real child processes, a real simulator on a real socket and no mock of the pipes: readings reach
the EventBridge; kill -9 of the child is seen on the status bar, the child is started again and
readings resume; closing the host leaves no process; the database password is not on the child's
command line; the child ends when its parent is killed -9; a child that cannot open the
database says why on the status bar."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from access import login as auth
from access import operators as operator_service
from archive import service as svc
from comms.simulator import Bus, TcpSimulator
from comms.simulator.spec import SimulatorSpec
from models.db import Database
from ui import tasks
from ui.bridge import RuntimeHost
from ui.runtime_process import RuntimeProxy
from ui.session import StationSession

ADDRS = ["000000000001", "000000000002", "000000000003"]
ROOT = Path(__file__).resolve().parents[3]


def _gone(pid: int) -> bool:
    """No such process, or one that has exited (a zombie whose parent is not ours to reap)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


@pytest.fixture
def sim():
    spec = ",".join(f"dlt645-2007:{a}/kw=1" for a in ADDRS)
    server = TcpSimulator(Bus(SimulatorSpec.parse(spec).build(), baud=19200, latency=0.002))
    yield server
    server.stop()


def _fill(db: Database, sim) -> object:
    operator_service.create_first_operator(db, "root", "secret-1", "T")
    root = auth.login(db, "root", "secret-1", "T")
    svc.add_link(db, root, "bus1", sim.url)
    for i, a in enumerate(ADDRS):
        svc.add_meter(db, root, f"E{i}", address=a, link="bus1", protocol="dlt645-2007", kind="electricity")
    return root


@pytest.fixture
def station(tmp_path, sim):
    db = Database.open(f"sqlite:///{tmp_path / 'st.db'}", upgrade=True)
    root = _fill(db, sim)
    session = StationSession(db, root, "T")
    yield session
    tasks.wait_idle()
    db.dispose()


def test_readings_reach_the_bridge_from_the_child_and_nothing_is_left(qtbot, station):
    host = RuntimeHost(station, run_jobs=False)
    seen: set[int] = set()
    host.bridge.readings.connect(lambda rows: seen.update(r["meter_id"] for r in rows))
    try:
        host.start()
        qtbot.waitUntil(lambda: "runtime" in station.services, timeout=20_000)
        proxy = station.services["runtime"]
        assert isinstance(proxy, RuntimeProxy) and proxy.pid != os.getpid()
        assert proxy.info["meters"] == len(ADDRS) and proxy.info["links"] == 1
        qtbot.waitUntil(lambda: len(seen) == len(ADDRS), timeout=20_000)
        pid = proxy.pid
        assert not _gone(pid)
        assert host.process.events >= len(ADDRS)
        threads = {t.name for t in __import__("threading").enumerate()}
        assert "runtime-child-supervisor" in threads
    finally:
        t0 = time.monotonic()
        host.stop()
        took = time.monotonic() - t0
    assert _gone(pid)                                      # reaped: no zombie, no orphan
    assert took < 10                                       # it stopped when asked; not killed after 10 s
    assert "runtime" not in station.services
    names = {t.name for t in __import__("threading").enumerate()}
    assert not {"runtime-child-supervisor", "runtime-child-writer", "runtime-child-stderr"} & names


def test_kill_9_restarts_the_child_and_readings_resume(qtbot, station):
    from ui.main_window import MainWindow

    host = RuntimeHost(station, run_jobs=False)
    seen: list[int] = []
    host.bridge.readings.connect(lambda rows: seen.extend(r["meter_id"] for r in rows))
    pids = []
    try:
        window = MainWindow(station)
        qtbot.addWidget(window)
        window.show()
        host.start()
        qtbot.waitUntil(lambda: "runtime" in station.services, timeout=20_000)
        qtbot.waitUntil(lambda: len(set(seen)) == len(ADDRS), timeout=20_000)
        first = station.services["runtime"].pid
        pids.append(first)
        os.kill(first, signal.SIGKILL)
        qtbot.waitUntil(lambda: "stopped unexpectedly" in window.problem.text(), timeout=10_000)
        assert "-9" in window.problem.text()               # the exit status is said
        assert window.problems >= 1
        seen.clear()
        qtbot.waitUntil(lambda: "runtime" in station.services and station.services["runtime"].pid != first,
                        timeout=20_000)
        pids.append(station.services["runtime"].pid)
        assert host.process.starts == 2 and host.process.deaths == 1
        station.services["runtime"].read_group(None)        # "read all now", through the new child
        qtbot.waitUntil(lambda: len(set(seen)) == len(ADDRS), timeout=20_000)
    finally:
        host.stop()
    assert all(_gone(p) for p in pids)


def test_a_child_that_cannot_open_the_database_says_why(qtbot, tmp_path, sim):
    folder = tmp_path / "dbdir"
    folder.mkdir()
    db = Database.open(f"sqlite:///{folder / 'st.db'}", upgrade=True)
    root = _fill(db, sim)
    session = StationSession(db, root, "T")
    said: list[str] = []
    drop = tasks.add_background_sink(said.append)
    host = RuntimeHost(session, run_jobs=False)
    try:
        db.dispose()
        folder.rename(tmp_path / "moved")                  # the database is gone
        host.start()
        qtbot.waitUntil(lambda: bool(said), timeout=20_000)
        assert "could not start" in said[0] and "does not exist" in said[0], said
        assert "runtime" not in session.services
    finally:
        host.stop()
        drop()
        tasks.wait_idle()


@pytest.mark.postgres
def test_the_password_is_not_on_the_childs_command_line(qtbot, tmp_path, sim):
    from tests.dbs import make_url

    url, cleanup = make_url("postgres", tmp_path)
    secret = "pw-Not-In-Argv-7731"
    url = url.replace("postgres@", f"postgres:{secret}@")   # trust auth: any password is taken
    db = Database.open(url, upgrade=True)
    host = None
    try:
        session = StationSession(db, _fill(db, sim), "T")
        host = RuntimeHost(session, run_jobs=False)
        host.start()
        qtbot.waitUntil(lambda: "runtime" in session.services, timeout=30_000)
        pid = session.services["runtime"].pid
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        assert b"--runtime-child" in cmdline
        assert secret.encode() not in cmdline
        assert secret.encode() not in Path(f"/proc/{pid}/environ").read_bytes()
    finally:
        if host is not None:
            host.stop()
        tasks.wait_idle()
        db.dispose()
        cleanup.drop()


PARENT = textwrap.dedent("""
    import os, signal, sys, time, types
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from models.db import Database
    from ui.bridge import RuntimeHost
    db = Database.open(sys.argv[1])
    session = types.SimpleNamespace(db=db, station="T", services={})
    host = RuntimeHost(session, run_jobs=False)
    host.start()
    deadline = time.monotonic() + 30
    while "runtime" not in session.services and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)
    print(session.services["runtime"].pid, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
""")


def test_the_child_ends_when_its_parent_is_killed(station, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    parent = subprocess.run([sys.executable, "-c", PARENT, station.db.url], env=env, capture_output=True,
                            timeout=60, cwd=tmp_path)
    assert parent.returncode == -signal.SIGKILL, parent.stderr.decode()[-2000:]
    child = int(parent.stdout.split()[-1])
    deadline = time.monotonic() + 15
    while not _gone(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gone(child)


def drive_child(argv: list[str], env: dict[str, str], params: dict, cwd) -> tuple[list, int, bytes]:
    """Start a runtime child as the window does, wait for its "started" (or "failed") frame, ask
    it to read every meter, then close its stdin (the parent gone): (frames, exit code, stderr)."""
    import json

    from station import runtime_child as rc

    child = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=env, cwd=cwd)
    frames: list = []
    try:
        child.stdin.write((json.dumps(params) + "\n").encode())
        child.stdin.flush()
        first = rc.read_frame(child.stdout)
        frames.append(first)
        if first is not None and first[0] == "started":
            child.stdin.write(rc.command_line("read_group", schedule_id=None, id=7))
            child.stdin.flush()
            deadline = time.monotonic() + 30
            read: set[int] = set()
            while time.monotonic() < deadline and len(read) < params.get("expect", 0):
                frame = rc.read_frame(child.stdout)
                assert frame is not None, child.stderr.read().decode()[-2000:]
                frames.append(frame)
                if frame[0] == "events":
                    read.update(d["meter_id"] for name, d in frame[1] if name == "reading")
        child.stdin.close()
        while (frame := rc.read_frame(child.stdout)) is not None:
            frames.append(frame)
        code = child.wait(30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        err = child.stderr.read()
        for stream in (child.stdin, child.stdout, child.stderr):
            stream.close()
    return frames, code, err


def test_the_child_speaks_only_frames(tmp_path, station):
    from station import runtime_child as rc

    argv, env = rc.child_command()
    assert argv[-1] == rc.CHILD_FLAG and not any("sqlite" in a for a in argv)
    params = {"url": station.db.url, "station": "T", "run_jobs": False, "options": {}, "expect": len(ADDRS),
              "lang": "en"}
    frames, code, err = drive_child(argv, env, params, tmp_path)
    kinds = [f[0] for f in frames]
    assert code == 0, err.decode()[-2000:]
    assert kinds[0] == "started" and kinds[-1] == "stopped", kinds
    assert {"reply", "events"} <= set(kinds)
    assert {"cmd": "read_group", "id": 7, "result": len(ADDRS)} in [f[1] for f in frames if f[0] == "reply"]
    readings = {d["meter_id"] for f in frames if f[0] == "events" for name, d in f[1] if name == "reading"}
    assert len(readings) == len(ADDRS)
    # the database gone: one "failed" frame with the station's message, exit 3
    params["url"] = f"sqlite:///{tmp_path / 'nowhere' / 'st.db'}"
    frames, code, err = drive_child(argv, env, params, tmp_path)
    assert code == rc.EXIT_FAILED and [f[0] for f in frames] == ["failed"], (frames, err)
    assert "does not exist" in frames[0][1]                # in the window's language
    frames, _code, _err = drive_child(argv, env, {**params, "lang": "zh_CN"}, tmp_path)
    assert "不存在" in frames[0][1]
    # a fault that is not the station's (here: an option the runtime does not know): one translated
    # line for the status bar, never the exception's name or text; the traceback goes to stderr (the log)
    frames, code, err = drive_child(argv, env, {**params, "url": station.db.url, "lang": "zh_CN",
                                                "options": {"no_such_option": 1}}, tmp_path)
    assert code == rc.EXIT_FAILED and frames == [("failed", "意外故障；详情见站点日志")], (frames, err)
    assert b"no_such_option" in err and b"Traceback" in err
    # stdin closed before the parameters: the parent is gone, nothing to say
    r = subprocess.run(argv, input=b"", env=env, capture_output=True, timeout=60, cwd=tmp_path)
    assert r.returncode == 0 and r.stdout == b""


def test_a_child_that_does_not_stop_is_killed(qtbot, station):
    host = RuntimeHost(station, run_jobs=False)
    try:
        host.start()
        qtbot.waitUntil(lambda: "runtime" in station.services, timeout=20_000)
        pid = station.services["runtime"].pid
        host.process.stop_seconds = 1.0
        os.kill(pid, signal.SIGSTOP)                       # hung: it will never read "stop"
        t0 = time.monotonic()
    finally:
        host.stop()
    assert 1.0 <= time.monotonic() - t0 < 10
    assert _gone(pid)
