"""The window's station runtime in a child process (station/runtime_child.py), issue 12: the
poller's loop and store threads run Python in another interpreter, never holding the window's.

    proc = RuntimeProcess(bus, {"url": ..., "station": ..., "run_jobs": True, "options": {}})
    proc.signals.started.connect(...)    # GUI thread: the child polls (its RuntimeProxy)
    proc.signals.problem.connect(...)    # GUI thread: a translated line for the status bar
    proc.start()                         # a supervisor thread starts (and restarts) the child
    proc.stop()                          # shutdown: "stop", ≤ 10 s, then kill; nothing left behind

The supervisor thread starts the child with subprocess.Popen (pipes, Windows too), writes the
start parameters to its stdin (never argv: the URL may hold a password), then reads its stdout
frames: each event of a batch is published on `bus`, so ui.bridge.EventBridge and every page see
the same events as from an in-process runtime. The child's stderr lines go to this log. When
the child ends without being asked (a crash, kill -9) the supervisor says so on the status bar,
logs it and starts it again after 1, 2, 4 ... 60 s (back to 1 s after a child polled a minute).
Commands (wake, read_group, read_now) go through a queue to a writer thread: the GUI thread
never waits on the pipe, and a broken pipe is logged, not raised. read_group and read_now carry
an id; the child's reply (or a refusal: not running, ended before it answered) reaches the
caller's on_done on the GUI thread, exactly once.

The supervisor thread both starts the children and outlives them: on Linux the child asks for
SIGTERM when the thread that started it ends (PR_SET_PDEATHSIG is per thread, not per process),
so a pool thread that may retire must never be the one to call Popen.
"""
from __future__ import annotations

import collections
import itertools
import logging
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from comms import events as ev
from resources.i18n import _
from station import runtime_child as rc

log = logging.getLogger(__name__)
child_log = logging.getLogger("meterstation.runtime_child")

BACKOFF_FIRST, BACKOFF_MAX = 1.0, 60.0
HEALTHY_SECONDS = 60.0           # a child that polled this long: the next restart waits 1 s again
STOP_SECONDS = 10.0


class RuntimeProxy:
    """What session.services["runtime"] is while the child polls: the calls the window makes on a
    runtime, as command lines to the child. Never blocks; returns before the child has acted."""

    remote = True

    def __init__(self, process: RuntimeProcess, info: dict) -> None:
        self._process = process
        self.info = info
        self.pid = info.get("pid")

    @property
    def running(self) -> bool:
        return self._process.alive

    def wake(self) -> None:
        self._process.send("wake")

    def read_group(self, schedule_id: int | None, on_done: Callable[[dict], None] | None = None) -> None:
        """Queue a read of a schedule's meters (None: all). on_done (GUI thread) gets the child's
        answer, {"result": how many it queued} or {"error": a translated line} - also when the
        child is not running or ends before it answers (ui/runtime_commands.py says it)."""
        self._process.request("read_group", on_done, schedule_id=schedule_id)

    def read_now(self, meter_id: int, on_done: Callable[[dict], None] | None = None) -> None:
        self._process.request("read_now", on_done, meter_id=int(meter_id))

    def board(self, buildings: list[int] | None, meter_ids: list[int] | None,
              on_done: Callable[[dict], None], *, offered: bool = False) -> None:
        """The monitor board's rows read by the child (station/runtime_child.board_rows):
        on_done (GUI thread) gets {"values": [[a row's values (row_values), ...], ...]} in the
        chunks they came in (billing.monitor_query.row_from_values makes each a MonitorRow; the
        reader thread does not: ui/board_source.py) and "offered" (the commands per meter,
        billing.control.offered_map, when asked), or {"error": a translated line}."""
        self._process.request("board", on_done, buildings=buildings, meter_ids=meter_ids, offered=offered)

    def reload(self) -> None:
        self._process.send("reload")


class _Signals(QObject):
    """Made on the GUI thread: the supervisor emits from its thread, the slots run on the GUI
    thread (queued: the receiver is this object)."""
    started = Signal(object)       # child's info dict
    problem = Signal(str)          # translated line for the status bar
    _started = Signal(object)
    _problem = Signal(str)
    _answer = Signal(object)       # (callback, reply dict): the callback runs on the GUI thread

    def __init__(self) -> None:
        super().__init__()
        self._started.connect(self._on_started)
        self._problem.connect(self._on_problem)
        self._answer.connect(self._on_answer)

    @Slot(object)
    def _on_answer(self, item) -> None:
        callback, reply = item
        callback(reply)

    @Slot(object)
    def _on_started(self, info) -> None:
        self.started.emit(info)

    @Slot(str)
    def _on_problem(self, text: str) -> None:
        self.problem.emit(text)


class RuntimeProcess:
    def __init__(self, bus: ev.EventBus, params: dict[str, Any], *, backoff_first: float = BACKOFF_FIRST,
                 backoff_max: float = BACKOFF_MAX, stop_seconds: float = STOP_SECONDS) -> None:
        self.bus = bus
        self.params = dict(params)
        self.backoff_first, self.backoff_max = backoff_first, backoff_max
        self.stop_seconds = stop_seconds
        self.signals = _Signals()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._proc: subprocess.Popen | None = None
        self._commands: queue.SimpleQueue = queue.SimpleQueue()      # (line, request id | None)
        self._waiting: dict[int, Callable[[dict], None]] = {}        # request id -> its caller
        self._rows: dict[Any, list] = {}                             # request id -> "rows" so far
        self._ids = itertools.count(1)
        self._supervisor = threading.Thread(target=self._supervise, name="runtime-child-supervisor", daemon=True)
        self._writer = threading.Thread(target=self._write, name="runtime-child-writer", daemon=True)
        self.starts = 0                   # children started (tests: a restart happened)
        self.deaths = 0                   # children that ended unasked
        self.events = 0                   # events received
        self.alive = False                # a child has reported started and not ended
        self.last_failure = ""

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None else None

    def start(self) -> None:
        self._writer.start()
        self._supervisor.start()

    # --- any thread: commands ----------------------------------------------------------------
    def send(self, cmd: str, **args: Any) -> None:
        self._commands.put((rc.command_line(cmd, **args), None))

    def request(self, cmd: str, on_done: Callable[[dict], None] | None, **args: Any) -> None:
        """A command the child answers: on_done(reply) on the GUI thread, exactly once - the
        child's reply, or a refusal when the command could not reach a running child or the
        child ended before it answered."""
        if on_done is None:
            self.send(cmd, **args)
            return
        rid = next(self._ids)
        with self._lock:
            self._waiting[rid] = on_done
        self._commands.put((rc.command_line(cmd, id=rid, **args), rid))

    def _answer(self, rid: Any, reply: dict) -> None:
        with self._lock:
            callback = self._waiting.pop(rid, None) if isinstance(rid, int) else None
        if callback is not None:
            self.signals._answer.emit((callback, reply))

    def _fail_waiting(self, text: str) -> None:
        with self._lock:
            waiting, self._waiting = self._waiting, {}
        for callback in waiting.values():
            self.signals._answer.emit((callback, {"error": text}))

    def _write(self) -> None:
        while True:
            item = self._commands.get()
            if item is None:
                return
            line, rid = item
            proc = self._proc
            if proc is None or proc.stdin is None or not self.alive:
                log.warning("runtime command dropped, the runtime process is not running: %s", line.strip())
                self._answer(rid, {"error": _("Meter polling is not running; try again when it has restarted")})
                continue
            try:
                proc.stdin.write(line)
                proc.stdin.flush()
            except (BrokenPipeError, OSError, ValueError) as e:
                log.warning("runtime command not sent (%s): %s", e, line.strip())
                self._answer(rid, {"error": _("Meter polling is not running; try again when it has restarted")})

    # --- the supervisor thread ---------------------------------------------------------------------
    def _spawn(self) -> subprocess.Popen:
        import json
        import os

        argv, env = rc.child_command()
        flags = 0
        if sys.platform == "win32":             # no console; below the window (station/runtime_child.py)
            flags = getattr(subprocess, "CREATE_NO_WINDOW", 0) | getattr(subprocess, "BELOW_NORMAL_PRIORITY_CLASS", 0)
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=env, creationflags=flags)
        from resources import i18n

        start = {**self.params, "lang": i18n.language(), "parent": os.getpid()}
        assert proc.stdin is not None
        try:
            proc.stdin.write((json.dumps(start) + "\n").encode())
            proc.stdin.flush()
        except (BrokenPipeError, OSError) as e:
            log.error("the runtime process did not take its start parameters: %s", e)
        return proc

    def _supervise(self) -> None:
        delay = self.backoff_first
        while True:
            with self._lock:
                if self._stopping.is_set():
                    return
                try:
                    proc = self._spawn()
                except OSError as e:
                    proc = None
                    failure = str(e)                # the program file is missing or not executable
                self._proc = proc
            if proc is not None:
                self.starts += 1
                log.info("runtime process %s started", proc.pid)
                failure, polled = self._read(proc)
                code = proc.wait()
                self.alive = False
                _close(proc)
                if self._stopping.is_set():
                    log.info("runtime process %s ended (exit code %s)", proc.pid, code)
                    return
                self.deaths += 1
                if polled >= HEALTHY_SECONDS:
                    delay = self.backoff_first
            seconds = int(delay) if delay >= 1 else delay
            if failure:
                text = _("Meter polling could not start: {error}; trying again in {seconds} s").format(
                    error=failure, seconds=seconds)
            else:
                text = _("Meter polling stopped unexpectedly (exit code {code}); restarting in {seconds} s").format(
                    code=code, seconds=seconds)
            self.last_failure = text
            log.error("%s", text)
            # in the event stream, after the dead child's last event and before the next child's
            # first: the bridge marks every state "unknown" at that point (ui/bridge.py)
            self.bus.publish(ev.RUNTIME_LOST)
            self.signals._problem.emit(text)
            if self._stopping.wait(delay):
                return
            delay = min(delay * 2, self.backoff_max)

    def _read(self, proc: subprocess.Popen) -> tuple[str, float]:
        """Read the child's frames until its stdout ends: (its "failed" message or "", seconds it polled)."""
        assert proc.stdout is not None and proc.stderr is not None
        tail: collections.deque[str] = collections.deque(maxlen=20)
        errs = threading.Thread(target=self._log_stderr, args=(proc, tail), name="runtime-child-stderr", daemon=True)
        errs.start()
        failure, started_at = "", None
        publish = self.bus.publish
        try:
            while (frame := rc.read_frame(proc.stdout)) is not None:
                kind, payload = frame
                if kind == "events":
                    self.events += len(payload)
                    for name, data in payload:
                        publish(name, **data)
                elif kind == "started":
                    started_at = time.monotonic()
                    self.alive = True
                    self.signals._started.emit(payload)
                elif kind == "failed":
                    failure = str(payload)
                elif kind == "rows":           # a "board" answer's chunk, before its reply: kept as
                    # the values it came as - the rows are made on the GUI thread (ui/board_source.py)
                    self._rows.setdefault(payload.get("id"), []).append(payload.get("rows") or [])
                elif kind == "reply":
                    log.debug("runtime process: reply %s %s", payload.get("cmd"), payload.get("id"))
                    if payload.get("cmd") == "board":
                        payload["values"] = self._rows.pop(payload.get("id"), [])
                    self._answer(payload.get("id"), payload)
        except Exception:  # noqa: BLE001 - a broken stream: end this child, the supervisor restarts it
            log.exception("the runtime process's output could not be read; ending it")
            proc.kill()
        self.alive = False
        self._rows.clear()
        self._fail_waiting(_("Meter polling stopped before it answered; try again when it has restarted"))
        errs.join(5)
        return failure, (time.monotonic() - started_at) if started_at is not None else 0.0

    @staticmethod
    def _log_stderr(proc: subprocess.Popen, tail: collections.deque[str]) -> None:
        assert proc.stderr is not None
        for raw in proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            if not line:
                continue
            tail.append(line)
            level = logging.ERROR if line.startswith(("ERROR", "CRITICAL", "Traceback")) else logging.WARNING
            child_log.log(level, "[pid %s] %s", proc.pid, line)

    # --- shutdown ------------------------------------------------------------------------------------
    def stop(self, timeout: float | None = None) -> None:
        """Ask the child to stop, wait ≤ stop_seconds, then kill it; join every thread (idempotent)."""
        timeout = self.stop_seconds if timeout is None else timeout
        with self._lock:
            self._stopping.set()
            proc = self._proc
        if proc is not None and proc.poll() is None and proc.stdin is not None:
            try:
                proc.stdin.write(rc.command_line("stop"))
                proc.stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                pass
            try:
                proc.stdin.close()
            except (BrokenPipeError, OSError, ValueError):
                pass
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log.error("the runtime process %s did not stop within %s s; killing it", proc.pid, timeout)
                proc.kill()
                proc.wait()
        self._commands.put(None)
        self._fail_waiting(_("Meter polling stopped before it answered; try again when it has restarted"))
        for t in (self._supervisor, self._writer):
            if t.is_alive():
                t.join(timeout)
        if proc is not None:
            _close(proc)


def _close(proc: subprocess.Popen) -> None:
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            try:
                stream.close()
            except (BrokenPipeError, OSError, ValueError):
                pass
