"""The station runtime in a process of its own, started by the window (ui/runtime_process.py),
so the poller's threads never hold the window's interpreter lock (issue 12).

    meterstation --runtime-child          # frozen: the program itself with a hidden argument
    python -m app --runtime-child         # from the sources

The parent writes one JSON line of start parameters to the child's stdin (never argv: a
PostgreSQL / SQL Server URL may hold a password, and `ps` shows argv):

    {"url": ..., "station": ..., "run_jobs": true, "options": {...}, "lang": "zh_CN", "parent": PID}

then one JSON line per command: {"cmd": "wake"}, {"cmd": "read_group", "schedule_id": null, "id": 1},
{"cmd": "read_now", "meter_id": 7, "id": 2},
{"cmd": "board", "buildings": null, "meter_ids": null, "offered": false, "id": 3},
{"cmd": "reload"}, {"cmd": "stop"}. End of stdin means the
parent is gone: the runtime is stopped and the child exits 0 (on Linux the kernel also sends
SIGTERM when the parent dies, PR_SET_PDEATHSIG).

The child answers on stdout in frames: a 4-byte big-endian length, then a pickled (kind,
payload): ("started", {"pid", "meters", "links", "runs_jobs"}), ("failed", message) - it could
not start, the message is the StationError's (translated) text - ("events", [(name, data), ...])
every FLUSH_SECONDS while there are events, one write per batch, ("reply", {"cmd", "id", "result"})
or ("reply", {"cmd", "id", "error"}) - a translated line - to read_group / read_now / board,
("rows", {"id", "rows": [row_values(MonitorRow), ...]}) - the board's rows for a "board" command, in
chunks of BOARD_CHUNK before its reply (board_rows below) - ("stopped", None). Nothing else ever
reaches stdout: fd 1 is pointed at stderr at start, and the child's log lines go to stderr (the
parent logs them). The streams are fds 0, 1 and 2 (the window's pipes), never sys.stdin /
sys.stdout: the frozen windowed program may have those None.
"""
from __future__ import annotations

import json
import logging
import os
import pickle
import signal
import struct
import sys
import threading
from pathlib import Path
from typing import Any, BinaryIO

log = logging.getLogger(__name__)

CHILD_FLAG = "--runtime-child"
HEADER = struct.Struct(">I")
FLUSH_SECONDS = 0.1
COMMANDS = ("wake", "read_group", "read_now", "board", "reload", "stop")
BOARD_CHUNK = 250            # rows a "rows" frame carries: 1-2 ms of the window's reader thread
EXIT_FAILED = 3              # could not start (the "failed" frame says why)


# --- the pipe's two formats (both sides) -----------------------------------------------------
def encode_frame(kind: str, payload: Any) -> bytes:
    data = pickle.dumps((kind, payload), protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(data)) + data


def read_frame(stream: BinaryIO) -> tuple[str, Any] | None:
    """The next frame, or None at end of stream (a frame cut short is the end too)."""
    head = stream.read(HEADER.size)
    if len(head) < HEADER.size:
        return None
    (size,) = HEADER.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        return None
    kind, payload = pickle.loads(data)      # noqa: S301 - our own child, over its own pipe
    return kind, payload


def command_line(cmd: str, **args: Any) -> bytes:
    if cmd not in COMMANDS:
        raise ValueError(f"unknown runtime command {cmd!r}")
    return (json.dumps({"cmd": cmd, **args}) + "\n").encode()


def child_command() -> tuple[list[str], dict[str, str]]:
    """How to start the child: the same entry point as this program (frozen: the executable with
    the hidden argument; from the sources: `python -m app`, with the sources' folder on the path)."""
    env = dict(os.environ)
    if getattr(sys, "frozen", False):
        return [sys.executable, CHILD_FLAG], env
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    return [sys.executable, "-m", "app", CHILD_FLAG], env


# --- the child --------------------------------------------------------------------------------
CHILD_NICE = 5


def below_the_window() -> None:
    """The child runs at a lower CPU priority than the window (nice +5 on POSIX; on Windows the
    window starts it BELOW_NORMAL_PRIORITY_CLASS, ui/runtime_process.py): on a station PC with
    2 cores, 10,000 meters' polling (the child) and the window wanted a core at the same moments,
    and the window's 20 ms of work on a page switch waited 30-60 ms for one (bench_gui --stacks:
    no other thread of the window ran Python then). Polling waits on the line, not the CPU."""
    if hasattr(os, "nice"):
        try:
            os.nice(CHILD_NICE)
        except OSError:
            pass


class _Stop(BaseException):
    """SIGTERM (the parent died, or was asked to end us): leave the command loop."""


class Pump:
    """Collects the runtime's events (any thread) and writes them as one frame per FLUSH_SECONDS;
    every frame goes out under one lock, so frames never interleave."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._pending: list[tuple[str, dict]] = []
        self._stop = threading.Event()
        self.broken = False
        self._thread = threading.Thread(target=self._run, name="runtime-child-pump", daemon=True)

    def listen(self, event) -> None:
        with self._lock:
            self._pending.append((event.name, event.data))

    def send(self, kind: str, payload: Any) -> None:
        try:
            frame = encode_frame(kind, payload)
        except Exception:  # noqa: BLE001 - one event that does not pickle must not cost the batch
            if kind != "events":
                raise
            log.exception("an event batch did not pickle; sending its events one by one")
            for item in payload:
                try:
                    pickle.dumps(item)
                except Exception:  # noqa: BLE001
                    log.error("event %s dropped: its data does not pickle", item[0])
                    continue
                self.send(kind, [item])
            return
        with self._write_lock:
            if self.broken:
                return
            try:
                self.out.write(frame)
                self.out.flush()
            except (BrokenPipeError, OSError, ValueError):
                self.broken = True                       # the parent is gone; stdin ends too
                log.warning("the window's pipe is closed")

    def flush(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, []
        if batch:
            self.send("events", batch)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(FLUSH_SECONDS):
            self.flush()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self.flush()


def _fd_ok(fd: int) -> bool:
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


def _claim_stdio() -> tuple[BinaryIO, BinaryIO]:
    """The protocol's two streams, from the file descriptors the window's pipes are on (0 and 1),
    never from sys.stdin / sys.stdout: the frozen windowed program (Windows, console=False) may
    have them None even though the pipes are there, as pythonw does. Our copy of fd 1 is
    private; fd 1 and sys.stdout then go to stderr (or nowhere), so a stray print anywhere in the
    station can never corrupt a frame. sys.stderr is made from fd 2 when it is None, so the
    child's log still reaches the window's log."""
    inp = os.fdopen(os.dup(0), "rb")
    out = os.fdopen(os.dup(1), "wb")
    if _fd_ok(2):
        os.dup2(2, 1)
        if sys.stderr is None:
            sys.stderr = open(2, "w", encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
    else:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)
    sys.stdout = sys.stderr
    return inp, out


def _configure_logging() -> None:
    root = logging.getLogger()
    if sys.stderr is not None:
        h = logging.StreamHandler(sys.stderr)
        h.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(h)
    root.setLevel(logging.WARNING)


def _die_with_parent(parent: int | None) -> None:
    """SIGTERM from the kernel when the parent dies (Linux), and a parent already gone: exit."""
    def stop(_sig, _frame) -> None:
        raise _Stop

    signal.signal(signal.SIGTERM, stop)
    if hasattr(signal, "SIGINT"):
        signal.signal(signal.SIGINT, signal.SIG_IGN)     # Ctrl-C in the terminal: the window decides
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
        except (OSError, AttributeError):
            log.warning("PR_SET_PDEATHSIG not available; the child ends at the end of its stdin")
    if parent is not None and hasattr(os, "getppid") and os.getppid() != parent:
        raise _Stop                                       # the parent died before prctl


def _handle(rt, pump: Pump, cmd: dict) -> None:
    """One command; read_group and read_now answer with a "reply" frame that carries the
    command's "id" back (the window's waiting caller), and "error" (one translated line) instead
    of "result" when the runtime refused or failed."""
    name = cmd.get("cmd")
    if name in ("wake", "reload"):
        getattr(rt, name)()
        return
    if name == "board":         # a query of 100-200 ms at 10,000 meters: not on the command loop
        threading.Thread(target=board_rows, args=(rt.db, pump, cmd), name="runtime-child-board",
                         daemon=True).start()
        return
    if name not in ("read_group", "read_now"):
        log.error("unknown command from the window: %r", name)
        return
    reply: dict[str, Any] = {"cmd": name, "id": cmd.get("id")}
    try:
        if name == "read_group":
            reply["result"] = rt.read_group(cmd.get("schedule_id"))
        else:
            reply["result"] = rt.read_now(int(cmd["meter_id"]))
    except Exception as e:  # noqa: BLE001 - said to the window; a failed command must not end the polling
        from models.errors import StationError
        from resources.i18n import _

        if isinstance(e, StationError):
            reply["error"] = str(e)
        else:
            log.exception("runtime command %s failed", name)
            reply["error"] = _("an unexpected fault; the details are in the station's log")
    pump.send("reply", reply)


def board_rows(db, pump: Pump, cmd: dict) -> None:
    """The monitor board's rows (billing.monitor_query.monitor_rows) read here for the window, issue
    12: at 10,000 meters the query and the row building are 110-200 ms of Python, which in the
    window's process held its interpreter lock while the window painted (the GUI thread needs the
    lock for every cell: a 20-30 ms page switch took 60-120 ms). Here they hold only this process's.
    The rows go out in "rows" frames of BOARD_CHUNK, so the window unpickles them in short bites
    between its paints, then the "reply" ({"result": how many rows}, or "error": one line).
    "buildings": the ids the window's operator may see (None: all; the window's Actor decides,
    ui/board_source.py) - this process has no operator of its own."""
    from billing.monitor_query import monitor_rows, row_values
    from models.errors import StationError
    from resources.i18n import _

    rid = cmd.get("id")
    reply: dict[str, Any] = {"cmd": "board", "id": rid}
    try:
        buildings, ids = cmd.get("buildings"), cmd.get("meter_ids")
        rows = monitor_rows(db, buildings=None if buildings is None else {int(b) for b in buildings},
                            meter_ids=None if ids is None else [int(i) for i in ids])
        for at in range(0, len(rows), BOARD_CHUNK):
            pump.send("rows", {"id": rid, "rows": [row_values(r) for r in rows[at:at + BOARD_CHUNK]]})
        reply["result"] = len(rows)
        if cmd.get("offered"):      # the control page's commands per meter (billing.control.offered_map)
            from billing.control import offered_map

            reply["offered"] = offered_map(db)
    except Exception as e:  # noqa: BLE001 - said to the window, which reads the board itself then
        if isinstance(e, StationError):
            reply["error"] = str(e)
        else:
            log.exception("reading the board failed")
            reply["error"] = _("an unexpected fault; the details are in the station's log")
    pump.send("reply", reply)


def _runtime_options(options: dict) -> dict:
    out = dict(options)
    if out.get("link_names") is not None:
        out["link_names"] = set(out["link_names"])
    if out.get("quantities") is not None:
        out["quantities"] = tuple(out["quantities"])
    return out


MAX_LINE = 1 << 20          # a start or command line is a few hundred bytes; longer is not the window


def _line(inp: BinaryIO) -> bytes:
    """The next line of stdin, at most MAX_LINE bytes: a longer one is read to its end and
    dropped (logged), so a stream of garbage cannot fill the child's memory."""
    line = inp.readline(MAX_LINE + 1)
    if len(line) <= MAX_LINE or line.endswith(b"\n"):
        return line
    while line and not line.endswith(b"\n"):
        line = inp.readline(MAX_LINE)
    log.error("a line longer than %d bytes was dropped", MAX_LINE)
    return b"\n" if line else b""


def _params(line: bytes) -> dict[str, Any] | None:
    """The start parameters (a JSON object with url and station), or None (logged)."""
    try:
        params = json.loads(line)
    except ValueError:
        log.error("start parameters that are not JSON: %r", line[:80])
        return None
    if not isinstance(params, dict) or not isinstance(params.get("url"), str) \
            or not isinstance(params.get("station"), str):
        log.error("start parameters without a url and a station: %r", line[:80])
        return None
    return params


def _refuse_missing_file(url: str) -> None:
    """A SQLite file that is not there (in a folder that is: models.db says when the folder is
    missing) is refused before the engine would create it empty."""
    from models.errors import StationError
    from models.station_paths import sqlite_file
    from resources.i18n import _

    path = sqlite_file(url)
    if path is not None and path.parent.is_dir() and not path.exists():
        raise StationError(_("There is no station database at {where}").format(where=path))


def main(stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> int:
    inp, out = (stdin, stdout) if stdin is not None and stdout is not None else _claim_stdio()
    _configure_logging()
    if stdin is None:                                      # the real child (not a test's in-process call)
        from models.program_log import start_crash_trace

        start_crash_trace("runtime")                       # a native crash's stacks to crash.log
        below_the_window()
    pump = Pump(out)
    db = rt = None
    try:
        line = _line(inp)
        if not line:
            return 0                                       # the parent went before saying anything
        from resources import i18n

        params = _params(line)
        if params is None:
            pump.send("failed", i18n._("The meter polling process was started with parameters it cannot use"))
            return EXIT_FAILED
        _die_with_parent(params.get("parent"))

        if params.get("lang") in i18n.LANGS:
            i18n.set_language(params["lang"])
        from comms import events as ev
        from models.db import Database
        from models.errors import StationError
        from station.runtime import StationRuntime

        bus = ev.EventBus()
        bus.subscribe(pump.listen)
        try:
            _refuse_missing_file(params["url"])
            db = Database.open(params["url"])
            rt = StationRuntime(db, station=params["station"], events=bus, run_jobs=bool(params.get("run_jobs", True)),
                                **_runtime_options(params.get("options") or {}))
            rt.start()
        except StationError as e:
            log.error("the station runtime did not start: %s", e)
            pump.send("failed", str(e))
            return EXIT_FAILED
        except Exception:  # noqa: BLE001 - a bug: the traceback to the log, one line to the window
            log.exception("the station runtime did not start")       # the traceback: the log only
            pump.send("failed", i18n._("an unexpected fault; the details are in the station's log"))
            return EXIT_FAILED
        pump.send("started", {"pid": os.getpid(), "meters": sum(len(p.meters) for p in rt.plans),
                              "links": len(rt.plans), "runs_jobs": rt.runs_jobs})
        pump.start()
        for raw in iter(lambda: _line(inp), b""):
            try:
                cmd = json.loads(raw)
            except ValueError:
                log.error("a command line that is not JSON: %r", raw[:80])
                continue
            if not isinstance(cmd, dict):
                log.error("a command line that is not a JSON object: %r", raw[:80])
                continue
            if cmd.get("cmd") == "stop":
                break
            try:
                _handle(rt, pump, cmd)
            except Exception:  # noqa: BLE001 - a failed command must not end the polling
                log.exception("runtime command %s failed", cmd.get("cmd"))
        return 0
    except _Stop:
        return 0
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)      # stopping now: finish it
        if rt is not None:
            try:
                rt.stop()
            except Exception:  # noqa: BLE001
                log.exception("stopping the runtime failed")
        pump.stop()
        if rt is not None:
            pump.send("stopped", None)
        if db is not None:
            db.dispose()
        logging.shutdown()
