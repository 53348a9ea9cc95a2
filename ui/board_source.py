"""Where the window gets the monitor board's rows (the meters and control pages), issue 12.

    board_source.read(page, session, then=lambda rows: model.prepare(rows, order),
                      on_done=page._loaded, on_error=page._failed)
    board_source.read(page, session, meter_ids=[7, 9], on_done=page._patched, on_error=...)

While the window's runtime polls in its child process (ui/runtime_process.py), the child reads
the rows (station/runtime_child.board_rows) with its own database connection and sends them in
chunks: at 10,000 meters monitor_rows is 110-200 ms of Python (the query's rows through
SQLAlchemy, then a MonitorRow each), and run on a window's worker it held the window's
interpreter lock while the GUI thread painted - the GUI thread needs the lock for every cell, so
a 20-30 ms page switch took 60-120 ms (bench_gui: the longest stalls were the GUI thread asleep
right after a board's visit started its reload). The window's part is the unpickling, one chunk
at a time on the runtime's reader thread (≈ 0.5 ms of Python for 10,000 rows' values), the
rows made of them on the GUI thread, CHUNKS_A_TURN chunks an event-loop turn (≈ 1 ms each: a
MonitorRow's frozen __init__ is ≈ 4 µs, 36-46 ms for 10,000 rows, which on the reader thread held
the interpreter lock while the GUI thread painted - a switch's stall was 35-66 ms asleep on it),
and then(rows) (the sort) on a read worker.

While the window's first child is starting (the first seconds after the window shows), a board
waits for it - up to CHILD_WAIT_S - instead of reading here: bench_gui's two longest stalls at
10,000 meters were those two local reads. Without a child (an in-process runtime, none at all,
a first child that failed or is slower than CHILD_WAIT_S, a child that is restarting or answers
with an error) the rows are read here on a read worker, as before: the board always loads.
The rows are the same either way: the child has no operator, so the window sends the buildings
its operator may see (Actor.visible_buildings) and the child's query keeps only those.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import shiboken6

from billing.control import offered_map
from billing.monitor_query import MonitorRow, board_refusal, may_see_board, monitor_rows, row_from_values
from ui import tasks

log = logging.getLogger(__name__)

by_child = 0            # boards the child read (tests: the window's process ran no monitor_rows)
by_window = 0           # ... and read here (no child, or it could not answer; bench_gui prints both)
waited = 0              # boards that waited for the first child to start
CHILD_WAIT_S = 8.0      # the longest a board waits for the first child before it reads here
CHUNKS_A_TURN = 2       # the child's chunks (station.runtime_child.BOARD_CHUNK rows) made rows a turn


def _child_starting(session) -> Any:
    """The RuntimeHost whose first child process is starting (spawned, not yet polling, no
    failure yet), or None: a restart after a death reads here at once, as before."""
    host = session.services.get("runtime_host")
    if host is None or getattr(host, "in_process", True) or getattr(host, "process", None) is None:
        return None
    if getattr(host, "_stopped", False) or host.error is not None or host.runtime is not None:
        return None
    return host


def _after_start(host, widget, go: Callable[[], None], fallback: Callable[[], None]) -> None:
    """go() once the child polls, fallback() if it fails or CHILD_WAIT_S pass first; exactly once."""
    from PySide6.QtCore import QTimer

    global waited
    waited += 1
    bridge = host.bridge
    done = False

    def finish(ok: bool) -> None:
        nonlocal done
        if done:
            return
        done = True
        for signal, slot in ((bridge.runtime_ready, ready), (bridge.runtime_lost, lost)):
            try:
                signal.disconnect(slot)
            except (RuntimeError, TypeError):
                pass
        if widget is not None and not shiboken6.isValid(widget):
            return
        (go if ok else fallback)()

    def ready(_runtime) -> None:
        finish(True)

    def lost(_text) -> None:
        finish(False)

    bridge.runtime_ready.connect(ready)
    bridge.runtime_lost.connect(lost)
    QTimer.singleShot(int(CHILD_WAIT_S * 1000), lambda: finish(False))


def _rows_in_turns(widget, chunks: list, done: Callable[[list[MonitorRow]], None]) -> None:
    """The child's value chunks made MonitorRows on the GUI thread, CHUNKS_A_TURN an event-loop
    turn (the first at once), then done(rows); nothing when the widget went meanwhile."""
    from PySide6.QtCore import QTimer

    rows: list[MonitorRow] = []
    left = iter(chunks)

    def turn() -> None:
        if widget is not None and not shiboken6.isValid(widget):
            return
        for _i in range(CHUNKS_A_TURN):
            chunk = next(left, None)
            if chunk is None:
                done(rows)
                return
            rows.extend(map(row_from_values, chunk))
        QTimer.singleShot(0, turn)

    turn()


def read(widget, session, *, meter_ids: Sequence[int] | None = None, offered: bool = False,
         then: Callable[..., Any] | None = None,
         on_done: Callable[[Any], None], on_error: Callable[[BaseException], None]) -> None:
    """Rows of every meter the session's operator may see (or of meter_ids), then(rows) on a
    read worker, its result to on_done on the GUI thread; a failure of the local read to on_error.
    offered: then(rows, offered) with the commands each meter's model declares
    (billing.control.offered_map: 10,000 meters through SQLAlchemy, read by the child too)."""
    db, actor = session.db, session.actor
    if not may_see_board(actor):            # said on the page, asked of nobody (monitor_rows would log it)
        on_error(board_refusal(actor))
        return
    ids = None if meter_ids is None else [int(i) for i in meter_ids]

    def finish(rows: list[MonitorRow], offered_by: dict | None = None) -> Any:
        if then is None:
            return (rows, offered_by) if offered else rows
        return then(rows, offered_by) if offered else then(rows)

    def here() -> None:
        global by_window
        by_window += 1
        tasks.read(widget, lambda: finish(monitor_rows(db, actor, meter_ids=ids), offered_map(db) if offered else None),
                   on_done=on_done, on_error=on_error)

    runtime = session.services.get("runtime")
    if not getattr(runtime, "remote", False) or not runtime.running:
        host = _child_starting(session)
        if host is None:
            here()
        else:
            _after_start(host, widget, lambda: read(widget, session, meter_ids=meter_ids, offered=offered,
                                                    then=then, on_done=on_done, on_error=on_error), here)
        return

    def answered(reply: dict) -> None:                   # the GUI thread
        global by_child
        if widget is not None and not shiboken6.isValid(widget):
            return
        if "error" in reply:
            log.info("the runtime process did not read the board (%s); reading it here", reply["error"])
            here()
            return
        by_child += 1
        offered_by = reply.get("offered")

        def built(rows: list[MonitorRow]) -> None:
            if then is None:
                on_done(finish(rows, offered_by))
            else:
                tasks.read(widget, lambda: finish(rows, offered_by), on_done=on_done, on_error=on_error)
        _rows_in_turns(widget, reply.get("values") or [], built)

    visible = actor.visible_buildings() if actor is not None else None
    runtime.board(None if visible is None else sorted(visible), ids, answered, offered=offered)
