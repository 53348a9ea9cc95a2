"""One event loop thread for every tcp:// link (transparent serial servers).

A hundred links used to be a hundred threads, all runnable at once when the meters answer fast,
and the GUI thread queued behind them for the interpreter lock (issue 12: stalls of 1.3-1.5 s
at 10,000 meters). Here each link is a task - the same steps the blocking worker runs
(comms/steps.py: LinkWorker._cycle_steps, _loop_steps, the drivers' read_steps) - and one
selector thread does the waiting for all of them:

- Exchange: the loop's copy of Channel.exchange (comms/links/transaction.py), on the link's own
  Channel and TcpTransport: the same idle gap before a request (pacing), stale input dropped,
  the same timeout, inter-byte timeout, garbage rule, retries and stats, late input discarded
  after a timeout, and a LinkError for a dropped connection. One frame in flight per link: a
  task is in one exchange at a time.
- Call: blocking work (an outbox command with its read-backs and sleeps, the outbox's database)
  on a small pool of threads; the link's task waits, so the link is still one request at a time
  and a command runs between two reads exactly as in the thread worker.
- Wait: the service loop idles until woken (read_now, a new command, stop) or its time passes.

Connecting is non-blocking (a converter that does not answer costs its own link the connect
timeout, no one else's); a host name that needs resolving is connected on the pool.
Serial ports and Modbus TCP links keep a thread each (comms/polling/poller.py).
"""
from __future__ import annotations

import collections
import heapq
import ipaddress
import itertools
import logging
import math
import os
import select
import socket
import sys
import threading
import time
from collections.abc import Callable, Generator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from comms.errors import LinkError, NoReply, ProtocolError
from comms.links.transaction import Channel, scan_frames
from comms.links.transport import TcpTransport
from comms.steps import Call, Exchange, Steps, Wait
from resources.i18n import _

log = logging.getLogger(__name__)
_monotonic = time.monotonic
_AGAIN = (BlockingIOError, InterruptedError)
_WAKE = b"\xfe" * Channel.WAKE_BYTES      # a request led by these needs only the shorter gap
_POLL = getattr(select, "poll", None)      # not on Windows
_EPOLL = getattr(select, "epoll", None)    # Linux
_EPOLLIN = getattr(select, "EPOLLIN", 1)
_WINDOWS = sys.platform == "win32"

T = TypeVar("T")
# What a task yields to the loop: ("read" | "write", socket, deadline), ("until", when),
# ("send", socket, request, when, channel, timeout) (see Hub._send_due), ("wait", Wait) or
# ("call", Call); it is sent back True/False (ready or timed out) or the call's value, and
# returns T.
_Loop = Generator[tuple[Any, ...], Any, T]


class _Task:
    __slots__ = ("gen", "done", "token", "waiting", "sock", "reg_fd", "send", "deadline", "deadline_token",
                 "timer_at")

    def __init__(self, gen: Any, done: Callable[[Any, BaseException | None], None]) -> None:
        self.gen = gen
        self.done = done
        self.token = 0          # bumped at every wait: a stale timer or event is ignored
        self.waiting: Wait | None = None
        self.sock: socket.socket | None = None      # the socket it waits on now
        self.reg_fd = -1        # the socket number it keeps in the epoll set (_EpollWaits)
        self.send: tuple[Any, ...] | None = None    # a ("send", ...) the loop does when its timer fires
        # the end of its timed wait (Hub._timer), the wait's token (else the wait is over), and
        # when its entry in the loop's timer heap is due (inf: it has none)
        self.deadline = math.inf
        self.deadline_token = -1
        self.timer_at = math.inf


class _SelectorWaits:
    """Waiting on sockets without epoll (Windows, macOS, the BSDs): a socket is in the set for one
    wait only - a select()-based set (Windows) must never hold a socket that may be closed
    meanwhile (a command on the pool may close it while its task waits for the call), so the
    epoll set's fast path (a socket kept from one read to the next, read by the loop without a
    call) is not shared. What is shared is the rest: select.poll where there is one, else
    select.select (Windows: as selectors.SelectSelector, the write set also as the exceptional
    one, where a failed connect shows), straight, without the selectors module's keys and
    lookups - ≈ 12 Python calls a read less than selectors.DefaultSelector (issue 12)."""

    def __init__(self, nudge: socket.socket) -> None:
        self._nudge = nudge
        self._waiters: dict[socket.socket, tuple[_Task, int]] = {}     # socket -> its task, its number
        self._poll = _POLL() if _POLL is not None else None
        self._fds: dict[int, socket.socket] = {}                       # poll: number -> socket
        self._r: dict[socket.socket, None] = {nudge: None}            # select: the read and write sets
        self._w: dict[socket.socket, None] = {}
        if self._poll is not None:
            self._poll.register(nudge.fileno(), select.POLLIN)

    def add(self, task: _Task, sock: socket.socket, write: bool) -> None:
        fd = sock.fileno()
        if fd < 0:
            raise ValueError("the socket is closed")
        if sock in self._waiters or fd in self._fds:
            raise KeyError(f"{sock!r} is waited on already")
        if self._poll is not None:
            self._poll.register(fd, select.POLLOUT if write else select.POLLIN)
            self._fds[fd] = sock
        elif write:
            self._w[sock] = None
        else:
            self._r[sock] = None
        self._waiters[sock] = (task, fd)

    def done(self, task: _Task, sock: socket.socket) -> None:
        """The task's wait on sock ended (ready, or its deadline passed)."""
        entry = self._waiters.pop(sock, None)
        if entry is None:
            return
        if self._poll is not None:
            if self._fds.get(entry[1]) is sock:
                del self._fds[entry[1]]
                try:
                    self._poll.unregister(entry[1])
                except (KeyError, OSError):
                    pass
        else:
            self._r.pop(sock, None)
            self._w.pop(sock, None)

    def drop(self, task: _Task, sock: socket.socket) -> None:
        """sock is ready but its task no longer waits on it (not reached here: done came first)."""
        self.done(task, sock)

    def release(self, task: _Task) -> None:
        """The task ended."""

    def ready(self, timeout: float | None) -> list[tuple[_Task | None, socket.socket | None]]:
        """(task, socket) for each socket ready, (None, None) for the nudge."""
        out: list[tuple[_Task | None, socket.socket | None]] = []
        waiters = self._waiters
        try:
            if self._poll is not None:
                ms = None if timeout is None else math.ceil(max(0.0, timeout) * 1e3)   # at least timeout
                fds = self._fds
                for fd, _events in self._poll.poll(ms):
                    sock = fds.get(fd)
                    if sock is not None:
                        out.append((waiters[sock][0], sock))
                    elif fd == self._nudge.fileno():
                        out.append((None, None))
                return out
            if _WINDOWS:
                r, w, x = select.select(self._r, self._w, self._w, timeout)
                if x:
                    w = list(dict.fromkeys(w + x))
            else:
                r, w, _x = select.select(self._r, self._w, [], timeout)
        except InterruptedError:
            return out
        for sock in r + w:
            entry = waiters.get(sock)
            if entry is not None:
                out.append((entry[0], sock))
            elif sock is self._nudge:
                out.append((None, None))
        return out

    def close(self) -> None:
        self._waiters.clear()
        self._fds.clear()


class _EpollWaits:
    """Waiting on sockets on Linux: a socket stays in the epoll set from one wait to the next -
    registering and unregistering it around every wait (selectors) cost more than the rest of the
    loop's work for a read at 10,000 meters. It leaves the set when it turns readable while its
    task does not wait on it (stale input; level-triggered, it would wake the loop at every turn
    - its next wait puts it back), after a write wait (a socket is writable nearly always), when
    its task waits on another socket or ends. The kernel drops a closed socket from the set by
    itself; its number, reused by a new socket, is registered anew."""

    def __init__(self, nudge: socket.socket) -> None:
        assert _EPOLL is not None, "only where select.epoll exists"
        self._ep = _EPOLL()
        self._nudge = nudge.fileno()
        self._ep.register(self._nudge, select.EPOLLIN)
        self._fds: dict[int, tuple[_Task, socket.socket, int]] = {}

    def add(self, task: _Task, sock: socket.socket, write: bool) -> None:
        fd = sock.fileno()
        if fd < 0:
            raise ValueError("the socket is closed")
        mask = select.EPOLLOUT if write else select.EPOLLIN
        known = self._fds.get(fd)
        if known is not None and known[0] is task and known[1] is sock:
            if known[2] != mask:
                self._ep.modify(fd, mask)
                self._fds[fd] = (task, sock, mask)
            return                              # the usual case: still in the set since the last wait
        if task.reg_fd >= 0 and task.reg_fd != fd:
            self.release(task)                  # its socket before a reconnect
        if known is not None:                   # a closed socket's number, reused (or another task's)
            self._drop(fd)
        try:
            self._ep.register(fd, mask)
        except FileExistsError:                 # cannot happen through this class; be safe
            self._ep.modify(fd, mask)
        self._fds[fd] = (task, sock, mask)
        task.reg_fd = fd

    def _drop(self, fd: int) -> None:
        entry = self._fds.pop(fd, None)
        if entry is not None and entry[0].reg_fd == fd:
            entry[0].reg_fd = -1
        try:
            self._ep.unregister(fd)
        except OSError:                         # closed meanwhile: the kernel dropped it already
            pass

    def done(self, task: _Task, sock: socket.socket) -> None:
        known = self._fds.get(task.reg_fd)
        if known is not None and known[1] is sock and known[2] != select.EPOLLIN:
            self._drop(task.reg_fd)             # a write wait: out of the set

    def drop(self, task: _Task, sock: socket.socket) -> None:
        known = self._fds.get(task.reg_fd)
        if known is not None and known[1] is sock:
            self._drop(task.reg_fd)
        else:                                   # not the task's socket any more: look it up
            fd = next((f for f, e in self._fds.items() if e[1] is sock), -1)
            if fd >= 0:
                self._drop(fd)

    def release(self, task: _Task) -> None:
        fd = task.reg_fd
        if fd >= 0:
            known = self._fds.get(fd)
            if known is not None and known[0] is task:
                self._drop(fd)
            task.reg_fd = -1

    def ready(self, timeout: float | None) -> list[tuple[_Task | None, socket.socket | None]]:
        out: list[tuple[_Task | None, socket.socket | None]] = []
        # room for every socket in the set (the nudge's too): a wait reports each ready one - a
        # socket in the set it did not report had nothing to read (Hub._send_due relies on it)
        for fd, _events in self._ep.poll(-1 if timeout is None else max(0.0, timeout), len(self._fds) + 1):
            if fd == self._nudge:
                out.append((None, None))
                continue
            known = self._fds.get(fd)
            if known is None:                   # unregistered after this poll began: nothing to do
                continue
            if known[0].sock is not known[1]:   # readable while its task does not wait on it: stale
                self._drop(fd)                  # input or a hang-up - out of the set (see the class)
                continue
            out.append((known[0], known[1]))
        return out

    def close(self) -> None:
        self._ep.close()


class Hub:
    """The event loop. spawn(steps, done) runs a steps generator as a task; done(value, error)
    is called on the loop thread when it ends. The thread starts with the first task and ends
    when the last one has."""

    def __init__(self, call_threads: int = 8) -> None:
        self._lock = threading.Lock()
        self._incoming: collections.deque[_Task] = collections.deque()
        self._finished: collections.deque[tuple[_Task, int, Any, BaseException | None]] = \
            collections.deque()
        self._thread: threading.Thread | None = None
        self._call_threads = call_threads
        self._pool: ThreadPoolExecutor | None = None
        self._nudge_r: socket.socket | None = None      # a socket pair while the thread runs
        self._nudge_w: socket.socket | None = None
        self._seq = itertools.count()
        self._live: set[_Task] = set()
        self._waits: _SelectorWaits | _EpollWaits | None = None
        # socket number -> (socket, a poll object on it): "anything to read?" without a recv that
        # raises BlockingIOError when there is nothing (that exception costs several times more
        # than the question asked with poll(0))
        self._probes: dict[int, tuple[socket.socket, Any]] = {}
        self._fds: dict[int, tuple[_Task, socket.socket, int]] | None = None     # see _loop

    # -- from any thread -----------------------------------------------------------------
    def spawn(self, steps: Steps[Any], done: Callable[[Any, BaseException | None], None]) -> None:
        with self._lock:
            self._incoming.append(_Task(self._drive(steps), done))
            if self._thread is None:
                self._nudge_r, self._nudge_w = socket.socketpair()
                self._nudge_r.setblocking(False)
                self._nudge_w.setblocking(False)
                self._thread = threading.Thread(target=self._run, name="poll-tcp-loop", daemon=True)
                self._thread.start()
        self.nudge()

    def nudge(self) -> None:
        """Make the loop look at its queues and at the events its tasks wait for."""
        w = self._nudge_w
        if w is None:
            return                      # no loop running: nothing waits
        try:
            w.send(b"\0")
        except (BlockingIOError, InterruptedError):
            pass                        # a nudge is pending already
        except OSError:                 # the loop ended meanwhile (its pair is closed)
            pass

    # -- the loop thread -----------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._loop()
        except BaseException as exc:  # noqa: BLE001 - a bug here: every task ends with it, none hangs
            log.exception("the TCP poll loop failed")
            with self._lock:
                self._end()
                orphans = list(self._live) + list(self._incoming)
                self._live.clear()
                self._incoming.clear()
            for task in orphans:
                self._finish(task, None, exc)

    def _end(self) -> None:
        """Under the lock: the thread is leaving; a later spawn starts a new one."""
        self._thread = None
        for sock in (self._nudge_r, self._nudge_w):
            if sock is not None:
                sock.close()
        self._nudge_r = self._nudge_w = None
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False)

    def _loop(self) -> None:
        nudge_r = self._nudge_r
        if nudge_r is None:
            raise RuntimeError("the TCP poll loop started without its nudge socket (spawn makes it)")
        waits: _SelectorWaits | _EpollWaits = \
            _EpollWaits(nudge_r) if _EPOLL is not None else _SelectorWaits(nudge_r)
        timers: list[tuple[float, int, _Task]] = []          # (due, seq, task): Hub._timer
        sends: list[tuple[float, int, _Task, int]] = []        # the requests whose idle gap runs
        waiting: set[_Task] = set()
        live = 0
        self._waits, self._timers, self._sends, self._waiting = waits, timers, sends, waiting
        # the epoll set's table (socket number -> task, socket, mask), read here for its usual
        # case - a read wait on the socket already in the set - without a call (None: selectors)
        fds = self._fds = waits._fds if isinstance(waits, _EpollWaits) else None
        try:
            while True:
                while self._incoming:
                    task = self._incoming.popleft()
                    self._live.add(task)
                    live += 1
                    live -= self._step(task, None, None)
                while self._finished:
                    task, token, value, error = self._finished.popleft()
                    if token == task.token:
                        live -= self._step(task, value, error)
                now = _monotonic()
                while timers and timers[0][0] <= now:
                    when, _n, task = heapq.heappop(timers)
                    if when != task.timer_at:
                        continue                    # an earlier entry took its place (Hub._timer)
                    task.timer_at = math.inf
                    token = task.token
                    if task.deadline_token != token:
                        continue                    # woken before its deadline
                    if task.deadline > now:         # a later deadline set since: its entry now
                        task.timer_at = task.deadline
                        heapq.heappush(timers, (task.deadline, next(self._seq), task))
                        continue
                    wait, task.waiting = task.waiting, None
                    if wait is not None:
                        waiting.discard(task)
                        if wait.clear:
                            wait.event.clear()
                    if task.sock is not None:
                        waits.done(task, task.sock)
                        task.sock = None
                    live -= self._step(task, False, None)
                if live == 0:
                    with self._lock:
                        if not self._incoming and not self._finished:
                            self._end()
                            return
                    continue
                if self._incoming or self._finished:
                    continue
                due = timers[0][0] if timers else math.inf
                if sends and sends[0][0] < due:
                    due = sends[0][0]
                timeout = None if due == math.inf else max(0.0, due - _monotonic())
                nudged = False
                # (the epoll set drops a socket readable while nobody waits on it - stale input, a
                # hang-up - in ready() itself: the sends below trust what it kept)
                events = waits.ready(timeout)
                if sends:
                    # requests whose bus idle gap is over, sent right after the wait: a socket
                    # still in the epoll set was quiet at that wait - no stale-input probe
                    now = _monotonic()
                    while sends and sends[0][0] <= now:
                        _when, _n, task, token = heapq.heappop(sends)
                        if token != task.token or task.send is None:
                            continue
                        what, task.send = task.send, None
                        resume = self._send_due(task, what, token, fds is not None)
                        if resume is not None:
                            live -= self._step(task, *resume)
                for ready, sock in events:
                    if ready is None or sock is None:
                        nudged = True
                        continue
                    if ready.sock is not sock:
                        waits.drop(ready, sock)     # readable while nobody waits on it (stale input)
                        continue
                    known = None if fds is None else fds.get(ready.reg_fd)
                    if known is None or known[1] is not sock or known[2] != _EPOLLIN:
                        waits.done(ready, sock)     # (a read wait's socket stays in the epoll set)
                    ready.sock = None
                    live -= self._step(ready, True, None)
                if nudged:
                    try:
                        while nudge_r.recv(4096):
                            pass
                    except (BlockingIOError, InterruptedError):
                        pass
                    for task in [t for t in waiting if t.waiting is not None and t.waiting.event.is_set()]:
                        wait, task.waiting = task.waiting, None
                        assert wait is not None, "picked above for its waiting event"
                        waiting.discard(task)
                        if wait.clear:
                            wait.event.clear()
                        live -= self._step(task, True, None)
        finally:
            self._waits = None
            self._probes.clear()
            waits.close()
            timers.clear()                  # (the Hub outlives the thread: nothing kept for it)
            sends.clear()
            waiting.clear()

    def _step(self, task: _Task, value: Any, error: BaseException | None) -> int:
        """Resume a task until it waits again; 1 when it ended (done called), else 0."""
        task.token += 1
        try:
            if error is not None:
                what = task.gen.throw(error)
            else:
                what = task.gen.send(value)
        except StopIteration as stop:
            self._finish(task, stop.value, None)
            return 1
        except BaseException as exc:  # noqa: BLE001 - reported to the task's owner
            self._finish(task, None, exc)
            return 1
        kind = what[0]
        token = task.token
        if kind == "read" or kind == "write":
            _k, sock, deadline = what
            waits = self._waits
            assert waits is not None, "set while the loop runs"
            try:
                waits.add(task, sock, kind == "write")
            except (ValueError, KeyError, OSError) as exc:   # a closed socket: the task's own failure
                self._finished.append((task, token, None, OSError(f"cannot wait on {sock!r}: {exc}")))
                return 0
            task.sock = sock
            self._timer(task, deadline, token)
        elif kind == "send":
            if what[3] > _monotonic():              # the bus idle gap first: sent when it is over
                task.send = what
                heapq.heappush(self._sends, (what[3], next(self._seq), task, token))
            else:
                resume = self._send_due(task, what, token, False)
                if resume is not None:
                    self._finished.append((task, token, *resume))
        elif kind == "until":
            self._timer(task, what[1], token)
        elif kind == "wait":
            wait: Wait = what[1]
            if wait.event.is_set():
                if wait.clear:
                    wait.event.clear()
                self._finished.append((task, token, True, None))
            else:
                task.waiting = wait
                self._waiting.add(task)
                self._timer(task, _monotonic() + max(0.0, wait.seconds), token)
        elif kind == "call":
            self._submit(task, token, what[1])
        else:                                       # a bug in this module
            self._finished.append((task, token, None, TypeError(f"unknown wait {what!r}")))
        return 0

    def _send_due(self, task: _Task, what: tuple[Any, ...], token: int, waited: bool
                  ) -> tuple[Any, BaseException | None] | None:
        """A task's ("send", socket, request, when, channel, timeout), its time come: the request
        written and the wait for its reply's first bytes begun here, the task resumed only when
        they are readable (True) or the reply timeout passes (False) - a read's bus idle gap costs
        no trip through the task (issue 12). None when so; else what to resume the task with: None
        when this did not send (stale input waits on the socket, or no probe for it yet: the
        task's own send drops it), the bytes taken when the socket took only part of the request
        (the task writes the rest), or the OSError the send raised.

        waited: the loop's epoll wait has just returned, nothing run since but other sends. A
        socket it found readable while nobody waited on it (stale input, a hang-up) left the set
        then (_loop); one still in the set for this task's read had nothing to read at that wait,
        and nothing has read it since - it stands for the stale-input probe, a system call a
        read less (the probe's own answer is as old as the call: a byte may always come between
        it and the send)."""
        _k, sock, request, _when, ch, timeout = what
        fds = self._fds
        kept = None if fds is None else fds.get(task.reg_fd)
        quiet = waited and kept is not None and kept[0] is task and kept[1] is sock and kept[2] == _EPOLLIN
        if not quiet:
            # the stale-input probe of _send_now: nothing came since the last reply
            known = self._probes.get(sock.fileno())
            if known is None or known[0] is not sock or known[1].poll(0):
                return None, None
        try:
            sent = sock.send(request)
        except _AGAIN:
            return 0, None
        except OSError as exc:
            return None, exc
        if sent < len(request):
            return sent, None
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s > %s", ch.transport.url, request.hex(" ").upper())
        sent_at = ch._sent_at = _monotonic() + len(request) * ch.byte_time
        waits = self._waits
        assert waits is not None, "set while the loop runs"
        if not quiet and (kept is None or kept[0] is not task or kept[1] is not sock or kept[2] != _EPOLLIN):
            try:                                    # (else: in the epoll set since its last read)
                waits.add(task, sock, False)
            except (ValueError, KeyError, OSError) as exc:  # closed meanwhile: the task's own failure
                return None, OSError(f"cannot wait on {sock!r}: {exc}")
        task.sock = sock
        # self._timer(task, sent_at + timeout, token) written out: the reply's deadline
        deadline = task.deadline = sent_at + timeout
        task.deadline_token = token
        if deadline < task.timer_at:
            task.timer_at = deadline
            heapq.heappush(self._timers, (deadline, next(self._seq), task))
        return None

    def _timer(self, task: _Task, when: float, token: int) -> None:
        """The task's wait (its token) ends at `when` unless woken before. A task has one live
        entry in the timer heap (task.timer_at; an entry due at another time is skipped), due no
        later than its deadline: a later deadline (the next read's reply timeout) pushes nothing -
        the entry, when due, is pushed again for the deadline then set (_loop). An entry per wait
        piled up a read's reply timeout, 10,000 a cycle at 10,000 meters, each a tuple for the
        collector to count and the heap to sift."""
        task.deadline = when
        task.deadline_token = token
        if when < task.timer_at:
            task.timer_at = when
            heapq.heappush(self._timers, (when, next(self._seq), task))

    def _finish(self, task: _Task, value: Any, error: BaseException | None) -> None:
        self._live.discard(task)
        if self._waits is not None:
            self._waits.release(task)
        try:
            task.done(value, error)
        except Exception:  # noqa: BLE001
            log.exception("a poll task's completion failed")

    def _submit(self, task: _Task, token: int, call: Call) -> None:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._call_threads, thread_name_prefix="poll-call")

        def work() -> None:
            try:
                result: tuple[Any, BaseException | None] = (call.fn(*call.args), None)
            except BaseException as exc:  # noqa: BLE001 - thrown into the task at its yield
                result = (None, exc)
            self._finished.append((task, token, *result))
            self.nudge()
        self._pool.submit(work)

    # -- steps -> waits ------------------------------------------------------------------
    def _drive(self, steps: Steps[T]) -> _Loop[T]:
        """The task: runs a steps generator, doing each step with the loop's waits."""
        value: Any = None
        error: BaseException | None = None
        while True:
            try:
                step = steps.throw(error) if error is not None else steps.send(value)
            except StopIteration as stop:
                result: T = stop.value      # the steps' return value (StopIteration types it Any)
                return result
            value, error = None, None
            try:
                kind = type(step)
                if kind is Exchange:
                    value = yield from self._exchange(step)
                elif kind is Call:
                    value = yield ("call", step)
                elif kind is Wait:
                    value = yield ("wait", step)
                else:
                    raise TypeError(f"not a step: {step!r}")
            except Exception as exc:  # noqa: BLE001 - thrown back into the steps at their yield
                error = exc

    def _exchange(self, op: Exchange) -> _Loop[bytes]:
        """Channel.exchange on the loop (see the module notes)."""
        ch = op.channel
        tr = ch.transport
        if not isinstance(tr, TcpTransport):        # not a socket: the blocking exchange, off the loop
            reply: bytes = yield ("call", Call(ch.exchange, op.request, op.extractor, op.match, op.timeout,
                                               op.retries))
            return reply
        stats = ch.stats
        stats.exchanges += 1
        error: Exception | None = None
        for attempt in range(op.retries + 1):
            if attempt:
                stats.retries += 1
            try:
                request = op.request
                # the bus idle time before the request (see _send)
                ready_at = ch._last_activity + (ch._wake_gap if request.startswith(_WAKE) else ch.idle_gap)
                sock = tr._sock
                got: bool | int | None = None
                if sock is not None and sock.gettimeout() == 0.0:
                    # the usual case: the loop sends at ready_at and resumes this task at the
                    # reply (Hub._send_due): True/False readable or timed out, None not sent
                    # (nothing sent: done below), an int the bytes a full socket took
                    try:
                        got = yield ("send", sock, request, ready_at, ch, op.timeout)
                    except OSError as exc:
                        raise tr._fail(exc) from None
                if got is None:
                    if ready_at > _monotonic():
                        yield ("until", ready_at)
                    sent = self._send_now(tr, request)
                    if sent < 0:                    # not connected, or it died idle
                        sent_at = yield from self._send(ch, tr, request, sent == -2)
                    else:
                        if sent < len(request):     # the socket's buffer is full: wait to write the rest
                            yield from self._write_rest(tr, request, sent)
                        if log.isEnabledFor(logging.DEBUG):
                            log.debug("%s > %s", tr.url, request.hex(" ").upper())
                        sent_at = _monotonic() + len(request) * ch.byte_time
                    frame = yield from self._receive(ch, tr, sent_at, op)
                elif type(got) is int:              # part of it sent: the rest when the socket has room
                    yield from self._write_rest(tr, request, got)
                    if log.isEnabledFor(logging.DEBUG):
                        log.debug("%s > %s", tr.url, request.hex(" ").upper())
                    frame = yield from self._receive(ch, tr, _monotonic() + len(request) * ch.byte_time, op)
                else:                               # sent by the loop, which waited for the reply
                    frame = yield from self._receive(ch, tr, ch._sent_at, op, got is True)
            except LinkError:
                stats.link_errors += 1
                stats.failed += 1
                ch._last_activity = _monotonic()
                raise
            except NoReply as exc:
                error = exc
                try:
                    self._discard(tr)               # the start of a late reply
                except LinkError:
                    tr.close()                      # the next exchange reconnects
                if not ch.retry_silence:
                    break
                continue
            except ProtocolError as exc:
                error = exc
                continue
            stats.ok += 1
            ch._last_activity = _monotonic()
            return frame
        stats.failed += 1
        assert error is not None
        raise error

    def _send_now(self, tr: TcpTransport, request: bytes) -> int:
        """_send's usual case as a plain call: connected, nonblocking, nothing stale (or stale
        input dropped) - the bytes the socket took (the caller writes the rest, _write_rest);
        -1, nothing sent, when _send must do it: it connects first; -2 when the connection
        died idle (closed): _send reconnects once."""
        sock = tr._sock
        if sock is None or sock.gettimeout() != 0.0:
            return -1
        # _discard's usual case written out: the probe says nothing came since the last reply
        known = self._probes.get(sock.fileno())
        if known is None or known[0] is not sock or known[1].poll(0):
            try:
                self._discard(tr)                   # no probe yet (or none here: Windows), or input
            except LinkError:                       # it died idle (_fail closed it): _send reconnects once
                tr.close()
                return -2
        try:
            sent: int = sock.send(request)
        except _AGAIN:
            return 0
        except OSError as exc:
            raise tr._fail(exc) from None
        return sent

    def _send(self, ch: Channel, tr: TcpTransport, request: bytes, died_idle: bool = False) -> _Loop[float]:
        """Connect if need be, drop stale input, send the request; sent_at. died_idle: _send_now
        found the connection closed while idle (it is closed now): this is the one reconnect."""
        ready_at = ch._last_activity + (ch._wake_gap if request.startswith(_WAKE) else ch.idle_gap)
        if ready_at > _monotonic():
            yield ("until", ready_at)
        sock = tr._sock
        if died_idle:
            tr.close()
            yield from self._connect(tr)
            self._discard(tr)
        else:
            if sock is None:
                yield from self._connect(tr)
            elif sock.gettimeout() != 0.0:          # a worker thread's Call left it blocking
                sock.setblocking(False)
            try:
                self._discard(tr)
            except LinkError:                       # it died idle: reconnect once
                tr.close()
                yield from self._connect(tr)
                self._discard(tr)
        sock = tr._sock
        assert sock is not None
        try:
            sent = sock.send(request)
        except _AGAIN:
            sent = 0
        except OSError as exc:
            raise tr._fail(exc) from None
        if sent < len(request):                     # the socket's buffer is full: wait to write the rest
            yield from self._write_rest(tr, request, sent)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s > %s", tr.url, request.hex(" ").upper())
        return _monotonic() + len(request) * ch.byte_time

    def _write_rest(self, tr: TcpTransport, request: bytes, sent: int) -> _Loop[None]:
        """The request's bytes from `sent` on, each time the socket has room (connect_timeout)."""
        sock = tr._sock
        assert sock is not None
        view = memoryview(request)[sent:]
        deadline = _monotonic() + tr.connect_timeout
        while view:
            if _monotonic() >= deadline:
                raise tr._fail(_("timed out"))
            yield ("write", sock, deadline)
            try:
                sent = sock.send(view)
            except _AGAIN:
                sent = 0
            except OSError as exc:
                raise tr._fail(exc) from None
            view = view[sent:]

    def _connect(self, tr: TcpTransport) -> _Loop[None]:
        host, port = tr.spec.host, tr.spec.tcp_port
        try:
            family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
        except ValueError:                          # a name: resolving blocks, so on the pool
            yield ("call", Call(tr.open))
            _nonblocking(tr)
            return
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        err = sock.connect_ex((host, port))
        if err not in (0, _EINPROGRESS):
            sock.close()
            raise _cannot_connect(tr, OSError(err, os.strerror(err)))
        if err:
            writable = yield ("write", sock, _monotonic() + tr.connect_timeout)
            err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) if writable else -1
            if err:
                sock.close()
                raise _cannot_connect(tr, OSError(err, os.strerror(err)) if err > 0 else
                                      TimeoutError("timed out"))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        tr._sock = sock

    def _receive(self, ch: Channel, tr: TcpTransport, sent_at: float, op: Exchange,
                 readable: bool | None = None) -> _Loop[bytes]:
        """The reply; readable: what the loop's wait for its first bytes gave (Hub._send_due)."""
        extractor, match, timeout = op.extractor, op.match, op.timeout
        buf = b""
        garbage = False
        deadline = sent_at + timeout
        sock = tr._sock
        assert sock is not None
        now = last_rx = _monotonic()
        # the loop said so: recv without asking first. Right after the request nothing has come
        # yet (a meter takes >= 20 ms to answer): no poll(0) probe, straight to the wait - a reply
        # that is there already makes the loop's epoll return at once
        while True:
            if buf:
                deadline = max(deadline, last_rx + min(ch.inter_byte_timeout, timeout))
            if garbage and now - last_rx >= ch.garbage_quiet:
                break
            if now >= deadline:
                break
            chunk: bytes | None = None
            if readable is None:
                readable = yield ("read", sock, deadline)
                now = _monotonic()
                continue
            if readable or not self._quiet(sock):
                try:
                    chunk = sock.recv(4096)
                except _AGAIN:
                    pass
                except OSError as exc:
                    raise tr._fail(exc) from None
            if chunk is None:
                readable = yield ("read", sock, min(deadline, last_rx + ch.garbage_quiet) if garbage else deadline)
                now = _monotonic()
                continue
            if not chunk:
                raise tr._fail(_("closed by the converter"))
            readable = False
            now = last_rx = _monotonic()
            frame, buf, garbage = scan_frames(buf + chunk, extractor, match, garbage)
            if frame is not None:
                return frame
        raise ch.no_frame(buf, garbage, timeout)

    def _quiet(self, sock: socket.socket) -> bool:
        """True when nothing waits on sock - no byte, no hang-up, no error - asked with poll(0)
        (Windows: select() without a wait, _SelectProbe); False when something does (or the
        socket is closed), and the caller's recv finds out."""
        fd = sock.fileno()
        known = self._probes.get(fd)
        if known is None or known[0] is not sock:
            if fd < 0:
                return False
            if _POLL is not None:
                probe: Any = _POLL()
                probe.register(fd, select.POLLIN)
            else:
                probe = _SelectProbe(sock)
            known = self._probes[fd] = (sock, probe)
        return not known[1].poll(0)

    def _discard(self, tr: TcpTransport) -> None:
        """Drop stale input without waiting; a connection closed while idle raises LinkError."""
        sock = tr._sock
        if sock is None:
            raise LinkError(_("Link {url} is not open").format(url=tr.url))
        if self._quiet(sock):
            return                                  # the usual case: nothing came since the last reply
        try:
            while True:
                if not sock.recv(4096):
                    raise tr._fail(_("closed by the converter"))
        except _AGAIN:
            return
        except OSError as exc:
            raise tr._fail(exc) from None


_EINPROGRESS = getattr(__import__("errno"), "EINPROGRESS", 115)


class _SelectProbe:
    """A poll object's poll(0) for one socket where there is no poll (Windows): select() without
    a wait - readable when a byte, a hang-up or a reset waits. With it the loop sends a read's
    request itself there too (Hub._send_due needs the stale-input probe: ≈ 7 calls a read less)."""

    __slots__ = ("_socks",)

    def __init__(self, sock: socket.socket) -> None:
        self._socks = [sock]

    def poll(self, _timeout: int = 0) -> list[socket.socket]:
        try:
            return select.select(self._socks, [], [], 0)[0]
        except (OSError, ValueError):       # closed meanwhile: say "something", the recv finds out
            return self._socks


def _cannot_connect(tr: TcpTransport, exc: BaseException) -> LinkError:
    return LinkError(_("Cannot connect to {host}:{port}: {reason}").format(
        host=tr.spec.host, port=tr.spec.tcp_port, reason=exc))


def _nonblocking(tr: TcpTransport) -> None:
    """A worker thread's Call may have left the socket blocking (TcpTransport.settimeout)."""
    sock = tr._sock
    if sock is not None and sock.gettimeout() != 0.0:
        sock.setblocking(False)
