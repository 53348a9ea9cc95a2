"""The polling service's log: one summary line per polling cycle (meters read and failed, commands
delivered, accounts settled, jobs run), and link losses and recoveries as they happen.

The started poller reads each meter on its own schedule, so a "cycle" here is one period of the
routine reading interval (the shortest reading interval of the plans, at least a minute). Lines
go to standard error (the systemd journal on Linux) and, on Windows, where a scheduled task has no
console, also to poll.log in the station's log folder (rotated at 1 MB, 5 files kept).
"""
from __future__ import annotations

import logging
import sys
import threading
from collections import Counter

from comms import events as ev
from resources.i18n import _
from station.runtime import JOBS_RUN, SETTLED

log = logging.getLogger("meterstation.service")


def configure(file_too: bool | None = None) -> None:
    """Send the service's log lines to stderr (and a rotating file on Windows), once."""
    if getattr(log, "_configured", False):
        return
    log.setLevel(logging.INFO)
    log.propagate = False
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    if sys.stderr is not None:
        h = logging.StreamHandler(sys.stderr)
        h.setFormatter(fmt)
        log.addHandler(h)
    if file_too if file_too is not None else sys.platform == "win32":
        from logging.handlers import RotatingFileHandler

        from models.station_paths import log_dir

        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        fh = RotatingFileHandler(folder / "poll.log", maxBytes=1_000_000, backupCount=5, encoding="utf-8")
        fh.setFormatter(fmt)
        log.addHandler(fh)
    log._configured = True  # type: ignore[attr-defined]


class CycleLog:
    """Counts the runtime's events and logs a summary every `period` seconds until stop()."""

    def __init__(self, bus: ev.EventBus, period: float, link_names: dict[int, str]) -> None:
        self.period = max(float(period), 1.0)
        self.link_names = link_names
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._unsubscribe = bus.subscribe(self._on_event)
        self._thread = threading.Thread(target=self._run, name="service-log", daemon=True)
        self._thread.start()

    def _on_event(self, event: ev.Event) -> None:
        d = event.data
        with self._lock:
            if event.name == ev.READING:
                self._counts["ok"] += 1
            elif event.name == ev.READ_FAILED:
                self._counts["failed"] += 1
            elif event.name == ev.COMMAND_DONE:
                self._counts["commands"] += 1
            elif event.name == SETTLED:
                self._counts["settled"] += len(d.get("accounts", ()))
                self._counts["tripped"] += len(d.get("tripped", ()))
            elif event.name == JOBS_RUN:
                self._counts["jobs"] += len(d.get("runs", ()))
        if event.name == ev.LINK_STATE:
            name = self.link_names.get(d.get("link_id"), str(d.get("link_id")))
            if d.get("state") == "lost":
                log.warning(_("link {link} lost").format(link=name))
            else:
                log.info(_("link {link} back online").format(link=name))
        elif event.name == ev.CYCLE_DONE:
            log.info(_("link {link}: {meters} meters, {ok} read, {failed} failed in {seconds} s").format(
                link=self.link_names.get(d.get("link_id"), d.get("link_id")), meters=d.get("meters"),
                ok=d.get("ok"), failed=d.get("failed"), seconds=f"{d.get('seconds', 0):.1f}"))

    def summary(self) -> dict[str, int]:
        """The counts since the last summary, reset."""
        with self._lock:
            out = {k: self._counts[k] for k in ("ok", "failed", "commands", "settled", "tripped", "jobs")}
            self._counts.clear()
        return out

    def log_summary(self) -> None:
        c = self.summary()
        log.info(_("cycle: {ok} readings, {failed} failed, {commands} commands, {settled} accounts settled, "
                   "{tripped} tripped, {jobs} jobs run").format(**c))

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            self.log_summary()

    def stop(self) -> None:
        self._unsubscribe()
        self._stop.set()
        self._thread.join(5)
        self.log_summary()



def cycle_seconds(plans) -> float:
    """The period of the summary lines: METERSTATION_CYCLE_LOG_SECONDS, else the shortest routine
    reading interval of the plans (at least a minute)."""
    import os

    env = os.environ.get("METERSTATION_CYCLE_LOG_SECONDS")
    if env:
        return max(float(env), 1.0)
    return max(60.0, min((m.interval for p in plans for m in p.meters), default=60.0))


__all__ = ["CycleLog", "configure", "cycle_seconds", "log"]
