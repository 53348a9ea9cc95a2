""""Read this group now" from the window: one answer, whichever way the runtime runs.

    from ui.runtime_commands import read_group
    read_group(session, schedule_id, on_done)     # GUI thread; never waits
    # later, on the GUI thread: on_done(ReadGroupAnswer(queued=12, text="已排队抄读 12 块表"))
    #                       or on_done(ReadGroupAnswer(queued=None, text=<a translated refusal>))

The in-process runtime (station.runtime.StationRuntime.read_group) returns how many meters it
queued, but it reads the schedule's tag from the database, so it runs on a worker here; the
child's RuntimeProxy sends the command and the child's reply carries the count back
(ui/runtime_process.py). Refused, in both cases the same way: an operator without the meter_read
right (the refusal is logged, as every refusal is), no runtime polling (its child is being
restarted), a child that ended before it answered, or a failure inside the runtime.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from models.errors import StationError
from resources.i18n import N_, _
from ui import tasks

log = logging.getLogger(__name__)
NOT_RUNNING = N_("Meter polling is not running; try again when it has restarted")


@dataclass(frozen=True)
class ReadGroupAnswer:
    queued: int | None          # meters queued for reading; None: refused
    text: str                   # translated, for the person who asked

    @property
    def refused(self) -> bool:
        return self.queued is None


def queued_text(count: int) -> str:
    if count == 0:
        return _("No meter of this group is polled; nothing was queued")
    return _("{count} meters queued for reading").format(count=count)


def answer_of(reply: dict) -> ReadGroupAnswer:
    """The child's reply ({"result": n} or {"error": text}) as an answer."""
    if "error" in reply:
        return ReadGroupAnswer(None, str(reply["error"]))
    count = int(reply.get("result") or 0)
    return ReadGroupAnswer(count, queued_text(count))


def read_group(session, schedule_id: int | None, on_done: Callable[[ReadGroupAnswer], None]) -> None:
    """Queue a read of a reading schedule's meters now (None: every meter); on_done gets the
    answer on the GUI thread, exactly once. The right is checked and the request logged by the
    service (billing.control.authorize_group_read, on the writer) before the runtime is asked."""
    from billing import control

    runtime = session.services.get("runtime")
    if runtime is None and session.actor.can("meter_read"):
        on_done(ReadGroupAnswer(None, _(NOT_RUNNING)))
        return

    def authorized(_none: object) -> None:
        runtime = session.services.get("runtime")      # again: the child may have ended meanwhile
        if runtime is None:
            on_done(ReadGroupAnswer(None, _(NOT_RUNNING)))
        elif getattr(runtime, "remote", False):
            runtime.read_group(schedule_id, on_done=lambda reply: on_done(answer_of(reply)))
        else:
            tasks.read(None, lambda: runtime.read_group(schedule_id),
                       on_done=lambda n: on_done(ReadGroupAnswer(int(n), queued_text(int(n)))),
                       on_error=lambda e: on_done(ReadGroupAnswer(None, failure_text(e))))
    tasks.write(None, lambda: control.authorize_group_read(session.db, session.actor, schedule_id),
                on_done=authorized, on_error=lambda e: on_done(ReadGroupAnswer(None, tasks.error_text(e))),
                user=False)


def failure_text(error: BaseException) -> str:
    """What the child says of a failed command (station/runtime_child.py), said in process too."""
    if isinstance(error, StationError):
        return str(error)
    log.error("read_group failed", exc_info=error)
    return _("an unexpected fault; the details are in the station's log")
