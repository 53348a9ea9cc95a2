"""When a page's big list must be read again on a visit: one rule for the meters board, the
control page's list and the accounts list (issue 12).

    self.fresh = Freshness()
    if self.fresh.stale(BRIDGED_STALE_S): reload()       # a visit
    stamp = self.fresh.stamp()                          # when the load starts
    ... on_done: self.fresh.loaded(stamp)               # the list is as of its start

Stale: never loaded, the windows wrote to the database since the load started (a sale, an
opening, a move, an archive edit: ui.tasks.writes_done), or older than the page's limit (what
the window did not write itself: the runtime's charges, another station's sales). Reloading a
10,000-row list on every visit cost the window a query's worth of the interpreter lock while
the switch painted; a list the window itself has changed is never shown as it was.
"""
from __future__ import annotations

import time

from ui import tasks


class Freshness:
    __slots__ = ("at", "writes")

    def __init__(self) -> None:
        self.at: float | None = None     # time.monotonic() when the shown list's load started
        self.writes = -1                 # tasks.writes_done() then

    @staticmethod
    def stamp() -> tuple[float, int]:
        """The moment a load starts: pass it to loaded() when its rows are shown."""
        return time.monotonic(), tasks.writes_done()

    def loaded(self, stamp: tuple[float, int] | None = None) -> None:
        """The list shown is as of stamp (default: now)."""
        self.at, self.writes = stamp if stamp is not None else self.stamp()

    def forget(self) -> None:
        """The list is not what the database holds (a patch missed a meter): the next visit reloads."""
        self.at = None

    @property
    def never(self) -> bool:
        return self.at is None

    def age(self) -> float:
        return float("inf") if self.at is None else time.monotonic() - self.at

    def stale(self, max_age_s: float) -> bool:
        return self.at is None or tasks.writes_done() != self.writes or self.age() >= max_age_s
