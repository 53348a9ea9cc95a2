"""Simulated links in a child process: real meters are not in the station's process, and a
simulator thread per link sharing the station's interpreter lock stalls its window.

    child = SimulatorProcess(log=folder / "simulators.log")    # starts the program (its imports
    urls = child.start([LinkPlan(...), ...])                   # run while the caller works on)
    ...
    child.stop()                                               # <= STOP_TIMEOUT s, then killed

The child is this same program: `meterstation --simulator-process` (app.py hands the hidden
argument to serve() before anything else is imported, so the frozen build runs it too), or
`python -m app --simulator-process` from the source tree. On its stdin it reads one JSON line
(the language, the link plans of comms/simulator/plan.py), answers one JSON line on its stdout
({"urls": [...]} in the plans' order, or {"error": message}) and then serves until its stdin
reaches end of file: the parent's stop(), or the parent's death, whose end of the pipe the
system closes (also after kill -9). On Linux it also asks for SIGKILL when its parent dies
(PR_SET_PDEATHSIG) when it was started from the parent's main thread (the signal follows the
thread that started it). Like every simulator it refuses to run outside test or demo mode.

There is no command channel: what a demo changes on its meters while they run goes through
the meters' own protocols (relay commands, purchases), which cross the process boundary as
they do in the field; a test that needs to poke a meter (a fault, a relay) runs its
simulators in its own process (ui/demo.py simulate="thread", or start_simulator).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any, NoReturn

from comms.errors import LinkError
from comms.simulator.plan import LinkPlan, start_link
from models.errors import StationError
from resources import i18n
from resources.i18n import _

ARG = "--simulator-process"          # app.py's hidden argument
START_TIMEOUT = 60.0                 # seconds for the child to serve every link (10,000 meters: ~2 s)
STOP_TIMEOUT = 5.0
ROOT = Path(__file__).resolve().parents[2]


def child_command() -> list[str]:
    """The command that runs serve(): the program itself when frozen (PyInstaller), else the
    source tree's app module with the interpreter running this one."""
    if getattr(sys, "frozen", False):
        return [sys.executable, ARG]
    return [sys.executable, "-m", "app", ARG]


class SimulatorProcess:
    """A child process serving simulated links on loopback ports (the parent's side)."""

    def __init__(self, log: Path | None = None) -> None:
        env = dict(os.environ)
        frozen = getattr(sys, "frozen", False)
        if not frozen:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))
        self._log = log
        self._err: IO[bytes] | None = open(log, "ab") if log is not None else None  # noqa: SIM115 - closed in stop()
        try:
            self.proc = subprocess.Popen(child_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=self._err, env=env, cwd=None if frozen else ROOT)
        except OSError as e:
            self._close_log()
            raise LinkError(_("The simulated meters did not start: {reason}").format(reason=e)) from None
        self.pid = self.proc.pid
        self.urls: list[str] = []

    def start(self, plans: list[LinkPlan], timeout: float = START_TIMEOUT) -> list[str]:
        """Hand the child its links; their URLs (tcp://127.0.0.1:PORT) in the plans' order.
        A child that cannot serve them is stopped and one LinkError says why."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        job = {"lang": i18n.language(), "parent": os.getpid(),
               "pdeathsig": threading.current_thread() is threading.main_thread(),
               "links": [p.to_json() for p in plans]}
        answer: list[bytes] = []
        try:
            self.proc.stdin.write(json.dumps(job).encode() + b"\n")
            self.proc.stdin.flush()
            reader = threading.Thread(target=lambda: answer.append(self.proc.stdout.readline()),  # type: ignore[union-attr]
                                      name="simulator-process-start", daemon=True)
            reader.start()
            reader.join(timeout)
            if reader.is_alive():
                self.stop()                      # killed if need be: the reader then sees the end
                reader.join()
                raise LinkError(_("The simulated meters did not start within {seconds} s")
                                .format(seconds=int(timeout)))
        except OSError:
            answer = [b""]                       # the child is gone already: it says why below
        try:
            reply = json.loads(answer[0]) if answer and answer[0] else {}
        except ValueError:
            reply = {}
        urls = reply.get("urls") if isinstance(reply, dict) else None
        if not isinstance(urls, list) or len(urls) != len(plans):
            self.stop()
            reason = reply.get("error") if isinstance(reply, dict) else None
            raise LinkError(_("The simulated meters did not start: {reason}")
                            .format(reason=reason or self._last_words()))
        self.urls = [str(u) for u in urls]
        return self.urls

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """End the child (idempotent): its stdin closed, then killed after `timeout` s; always
        waited for (no zombie)."""
        if self.proc.poll() is None:
            try:
                if self.proc.stdin is not None:
                    self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass
        self._close_log()

    def _close_log(self) -> None:
        if self._err is not None:
            self._err.close()
            self._err = None

    def _last_words(self) -> str:
        """The last line the child wrote to its log (a traceback's last line), or its exit status."""
        if self._log is not None:
            self._close_log()
            try:
                lines = self._log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
            except OSError:
                lines = []
            if lines:
                return lines[-1]
        return _("the process ended with status {code}").format(code=self.proc.poll())


# --- the child ----------------------------------------------------------------------------------
IDLE_ENV = "METERSTATION_SIMULATOR_IDLE"       # "1": the simulators take only idle cores (benchmarks)


def below_the_window() -> None:
    """The demo's meters below the window: nice +5, as the runtime child (station/runtime_child.py).
    With IDLE_ENV=1 (tests/benchmarks/bench_gui.py sets it) only cores nothing else wants (Linux
    SCHED_IDLE): simulated meters stand for hardware with CPUs of its own, and simulating 10,000
    of them at nice +5 on the 2 cores the window and its runtime child run on made the window's GUI
    thread wait for a core (bench_gui --meters 10000, two runs each, alternated: 99th-percentile
    stall 49 / 47 ms against 74 / 73 ms, the same sweep times). Not the default: under a loaded
    machine (the test suite on every core) an idle-class simulator would barely answer."""
    if os.environ.get(IDLE_ENV) == "1" and hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE"):
        try:
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
            return
        except OSError:
            pass
    if hasattr(os, "nice"):
        os.nice(5)


def serve() -> NoReturn:
    """The child's whole life (never returns): read the plans, serve them, say where, wait for the
    end of stdin, exit. The sockets and threads go with the process, so exit is immediate
    (os._exit): stopping a hundred links one by one would take seconds for nothing."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)          # Ctrl+C in a terminal: the parent decides
    from models.program_log import start_crash_trace

    start_crash_trace("simulators")                       # a native crash's stacks to crash.log
    below_the_window()
    stdin = sys.stdin.buffer if sys.stdin is not None else os.fdopen(0, "rb")
    stdout = sys.stdout.buffer if sys.stdout is not None else os.fdopen(1, "wb")
    # the meters' modules (the Modbus one brings SQLAlchemy through comms.interfaces: ~0.4 s CPU)
    # load while the parent still builds what it will send
    from comms.simulator import cjt188_meter, dlt645_meter, modbus_meter  # noqa: F401
    line = stdin.readline()
    if not line:                                          # the parent went away before the plan
        os._exit(0)
    code = 0
    try:
        job = json.loads(line)
        if job.get("lang") in i18n.LANGS:
            i18n.set_language(job["lang"])
        if job.get("pdeathsig"):
            _die_with_parent(int(job.get("parent", 0)))
        from comms.simulator.base import check_allowed

        check_allowed(demo=os.environ.get("METERSTATION_DEMO") == "1")
        plans = [LinkPlan.from_json(p) for p in job["links"]]
        sims = [start_link(p, demo=True) for p in plans]  # allowed: checked just above
        reply: dict[str, Any] = {"urls": [s.url for s in sims]}
    except StationError as e:
        reply, code = {"error": str(e)}, 1
    except Exception as e:                                 # a bug: the traceback to the log
        import traceback

        traceback.print_exc()
        reply, code = {"error": f"{type(e).__name__}: {e}"}, 1
    try:
        stdout.write(json.dumps(reply, ensure_ascii=False).encode() + b"\n")
        stdout.flush()
        if code == 0:
            while stdin.read(65536):                      # no commands: wait for the end
                pass
    except OSError:
        pass
    if sys.stderr is not None:
        sys.stderr.flush()
    os._exit(code)


def _die_with_parent(parent: int) -> None:
    """Linux: SIGKILL when the parent's starting thread ends; exit now if it has already gone."""
    if sys.platform != "linux":
        return
    import ctypes

    PR_SET_PDEATHSIG = 1
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return                                            # stdin's end of file still ends it
    if parent and os.getppid() != parent:
        os._exit(0)
