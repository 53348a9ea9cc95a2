"""Simulated links in a child process (comms/simulator/process.py): the child, started through the
program's own entry point (`python -m app --simulator-process`), serves the plans' meters in the
state the plans give them (purchase count, keep-power, relay, a silent meter); stop() ends and
reaps it; a parent killed with SIGKILL leaves no child (stdin's end of file; PR_SET_PDEATHSIG
when started from the main thread, and not tied to a worker thread that ends); a child that
cannot start gives one LinkError; it refuses to run outside test or demo mode."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from decimal import Decimal

import pytest

from comms.errors import LinkError, NoReply
from comms.simulator import process as simproc
from comms.simulator.plan import LinkPlan
from comms.simulator.process import SimulatorProcess
from models.errors import InvalidInput

E1, E2, E3 = "000000000001", "000000000002", "000000000003"
W1 = "00000000000001"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _plans() -> list[LinkPlan]:
    return [LinkPlan(f"dlt645-2007:{E1}-{E3}/energy=123.4/prepaid=1/balance=5", 9600, 0.005,
                     state={E1: {"purchase_count": 7, "relay_open": True, "command_open": True},
                            E2: {"keep_power": True}},
                     faults={E3: "silent"}),
            LinkPlan(f"cjt188:{W1}/volume=45.6", 2400, 0.005)]


def test_child_serves_the_plans_and_stops(connect):
    child = SimulatorProcess()
    try:
        urls = child.start(_plans())
        assert len(urls) == 2 and all(u.startswith("tcp://127.0.0.1:") for u in urls)
        assert not [t for t in threading.enumerate() if t.name.startswith("sim-")]   # not in this process
        m1 = connect(urls[0], "dlt645-2007", E1)
        got = m1.read(("energy", "relay", "purchase_count"))
        assert Decimal("123.4") <= got["energy"].value < Decimal("123.5")
        assert got["relay"].value == "open" and got["purchase_count"].value == 7
        assert connect(urls[0], "dlt645-2007", E2).read(("relay",))["relay"].value == "closed"
        with pytest.raises(NoReply):                                # the silent meter stays silent
            connect(urls[0], "dlt645-2007", E3).read(("energy",))
        assert Decimal("45.6") <= connect(urls[1], "cjt188", W1).read(("volume",))["volume"].value
        assert child.alive()
    finally:
        t0 = time.monotonic()
        child.stop()
    assert time.monotonic() - t0 < simproc.STOP_TIMEOUT and child.proc.returncode == 0    # ended and reaped
    child.stop()                                                   # idempotent


def test_plan_travels_as_json_and_bad_plans_are_refused():
    plan = _plans()[0]
    assert LinkPlan.from_json(json.loads(json.dumps(plan.to_json()))) == plan
    for bad in ({"spec": "x"}, {**plan.to_json(), "state": {E1: {"balance": 5}}},
                {**plan.to_json(), "state": {E1: {"relay_open": "yes"}}},
                {**plan.to_json(), "faults": {E1: "on fire"}}):
        with pytest.raises(InvalidInput):
            LinkPlan.from_json(bad)


def test_a_plan_the_child_cannot_serve_is_one_error_and_no_process():
    child = SimulatorProcess()
    with pytest.raises(LinkError, match="did not start: The simulator plan names meter 000000000009"):
        child.start([LinkPlan(f"dlt645-2007:{E1}", faults={"000000000009": "silent"})])
    assert child.proc.returncode is not None


def test_refused_outside_test_and_demo_mode(monkeypatch):
    monkeypatch.delenv("METERSTATION_TEST_MODE")
    monkeypatch.delenv("METERSTATION_DEMO", raising=False)
    child = SimulatorProcess()
    with pytest.raises(LinkError, match="runs only in test or demo mode"):
        child.start(_plans())
    assert child.proc.returncode == 1


def test_a_child_that_dies_or_hangs_at_start_is_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(simproc, "child_command",
                        lambda: [sys.executable, "-c", "import sys; sys.stderr.write('no Qt here\\n'); sys.exit(3)"])
    child = SimulatorProcess(log=tmp_path / "sim.log")
    with pytest.raises(LinkError, match="did not start: no Qt here$"):
        child.start(_plans())
    assert child.proc.returncode == 3
    monkeypatch.setattr(simproc, "child_command", lambda: [sys.executable, "-c", "import time; time.sleep(60)"])
    child = SimulatorProcess()
    t0 = time.monotonic()
    with pytest.raises(LinkError, match="did not start within 1 s"):
        child.start(_plans(), timeout=1)
    assert time.monotonic() - t0 < 1 + simproc.STOP_TIMEOUT + 2 and child.proc.returncode is not None


def test_stop_kills_a_child_that_does_not_end(monkeypatch):
    deaf = "import sys, time; sys.stdin.readline(); print('{\"urls\": []}', flush=True); time.sleep(60)"
    monkeypatch.setattr(simproc, "child_command", lambda: [sys.executable, "-c", deaf])
    child = SimulatorProcess()
    assert child.start([]) == []
    t0 = time.monotonic()
    child.stop(timeout=0.5)
    assert time.monotonic() - t0 < 3 and child.proc.returncode is not None


def test_frozen_program_runs_itself_with_the_hidden_argument(monkeypatch):
    assert simproc.child_command() == [sys.executable, "-m", "app", "--simulator-process"]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert simproc.child_command() == [sys.executable, "--simulator-process"]


# A grandparent that is the subreaper of what it starts: it runs the parent, which starts the
# child (from its main thread, or from a worker thread that then ends), kills the parent with
# SIGKILL and reports whether the child, reparented to it, exits (and is reaped) in time.
GRANDPARENT = textwrap.dedent("""
    import ctypes, json, os, signal, subprocess, sys, time
    ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)              # PR_SET_CHILD_SUBREAPER
    parent = subprocess.Popen([sys.executable, "-c", sys.argv[1]], stdout=subprocess.PIPE, text=True)
    try:
        child = int(parent.stdout.readline())
        time.sleep(0.5)                                  # a worker thread that started it has ended
        with open(f"/proc/{child}/stat") as stat:        # still serving, not a zombie
            assert stat.read().rsplit(")", 1)[1].split()[0] not in "ZX"
    finally:
        parent.kill()                                    # SIGKILL
        parent.wait()
    end, reaped = time.monotonic() + 5, False
    while not reaped and time.monotonic() < end:
        try:
            reaped = os.waitpid(child, os.WNOHANG)[0] == child
        except ChildProcessError:                        # not reparented to us yet
            pass
        time.sleep(0.02)
    if not reaped:
        os.kill(child, signal.SIGKILL)
    print(json.dumps({"reaped": reaped}))
""")
PARENT = textwrap.dedent("""
    import sys, threading, time
    from comms.simulator.plan import LinkPlan
    from comms.simulator.process import SimulatorProcess
    box = []
    def start():
        child = SimulatorProcess()
        child.start([LinkPlan("dlt645-2007:000000000001")])
        box.append(child)
    if sys.argv[1] == "thread":
        worker = threading.Thread(target=start)
        worker.start()
        worker.join()
    else:
        start()
    print(box[0].pid, flush=True)
    time.sleep(60)
""")


@pytest.mark.skipif(sys.platform != "linux", reason="a subreaper (prctl) is Linux's")
@pytest.mark.parametrize("started_from", ["main", "thread"])
def test_parent_killed_leaves_no_child(started_from):
    parent = f"import sys; sys.argv[1:] = [{started_from!r}]\n" + PARENT
    env = dict(os.environ, PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, "-c", GRANDPARENT, parent], env=env, capture_output=True,
                         text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"reaped": True}


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="Linux scheduling classes")
def test_simulators_stay_below_the_window_and_take_only_idle_cores_when_asked():
    """nice +5 by default (the demo, the suite); with IDLE_ENV=1 (bench_gui) the idle class."""
    from comms.simulator.process import IDLE_ENV

    code = ("import os; from comms.simulator.process import below_the_window; n = os.nice(0); "
            "below_the_window(); print(os.sched_getscheduler(0) == os.SCHED_IDLE, os.nice(0) - n)")
    for flag, want in (("", "False 5"), ("1", "True 0")):
        env = {**os.environ, IDLE_ENV: flag}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
        assert out.stdout.split() == want.split(), out.stderr
