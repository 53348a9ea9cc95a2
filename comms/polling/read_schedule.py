"""What the poller reads, when: per-meter plans and the per-link schedule (pure, no I/O).

Rules:
- Each meter has an interval (default 30 min). A successful read schedules the next one an
  interval later. A read that timed out is not retried before the next regular read.
- A failed read that cost no timeout (garbled, refused) is retried later (补抄) with back-off:
  retry_base × 2^(n-1) seconds after the n-th failure in a row, never later than the next
  regular read.
- After `lost_after` failures in a row the meter is lost (失联): no more retries within a cycle,
  one attempt per interval — a dead meter costs its link at most one timeout per cycle.
- Commands (relay, recharge...) are not scheduled here: they jump the queue in the worker.
"""
from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass, field

from comms.interfaces import MeterConfig

DEFAULT_INTERVAL = 30 * 60.0


@dataclass
class MeterPlan:
    meter_id: int
    number: str
    config: MeterConfig
    quantities: tuple[str, ...] = ("energy",)
    interval: float = DEFAULT_INTERVAL
    # state kept by the schedule
    fail_streak: int = 0
    lost: bool = False


@dataclass
class LinkPlan:
    link_id: int
    name: str
    url: str
    meters: list[MeterPlan] = field(default_factory=list)
    timeout: float | None = None        # per-exchange reply timeout (None: the driver's default)
    retries: int | None = None


# A due read in a link's heap: (at, seq, meter_id, retry), ordered by (at, seq) (seq is unique).
# A plain tuple of numbers, not an object: one lives per meter for as long as the program polls,
# and such a tuple is invisible to Python's cyclic garbage collector once it has seen it (a
# dataclass instance would stay on the list the GUI thread's full collection walks).
_Due = tuple[float, int, int, bool]
_AT, _METER, _RETRY = 0, 2, 3


class LinkSchedule:
    """Min-heap of due reads for one link."""

    def __init__(self, meters: Sequence[MeterPlan], *, now: float, lost_after: int = 3,
                 retry_base: float = 30.0, spread: bool = False) -> None:
        self.meters = {m.meter_id: m for m in meters}
        self.lost_after = lost_after
        self.retry_base = retry_base
        self._heap: list[_Due] = []
        self._seq = 0
        self._regular: dict[int, float] = {}
        self._retries: dict[int, int] = {}      # meter id -> retries queued (skip needless rebuilds)
        for i, m in enumerate(meters):
            offset = (m.interval * i / max(len(meters), 1)) if spread else 0.0
            self._push(m.meter_id, now + offset)

    def _push(self, meter_id: int, at: float, retry: bool = False) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (at, self._seq, meter_id, retry))
        if retry:
            self._retries[meter_id] = self._retries.get(meter_id, 0) + 1
        else:
            self._regular[meter_id] = at

    def next_due(self) -> float | None:
        while self._heap and self._heap[0][_METER] not in self.meters:
            heapq.heappop(self._heap)
        return self._heap[0][_AT] if self._heap else None

    def pop_due(self, now: float) -> MeterPlan | None:
        """The next meter whose read is due at `now`, or None."""
        due = self.next_due()
        if due is None or due > now:
            return None
        _at, _seq, meter_id, retry = heapq.heappop(self._heap)
        if not retry:
            self._regular.pop(meter_id, None)
        elif self._retries.get(meter_id, 0) > 1:
            # a retry that overtook nothing: fine; if a regular read is also queued, keep it
            self._retries[meter_id] -= 1
        else:
            self._retries.pop(meter_id, None)
        return self.meters[meter_id]

    def succeeded(self, plan: MeterPlan, now: float) -> bool:
        """Record a good read; True if the meter came back from lost."""
        came_back = plan.lost
        plan.fail_streak, plan.lost = 0, False
        if plan.meter_id in self._retries:          # the usual case: none queued, no call
            self._drop_retries(plan.meter_id)
        if plan.meter_id not in self._regular:
            self._push(plan.meter_id, now + plan.interval)
        return came_back

    def failed(self, plan: MeterPlan, now: float, *, silent: bool = False) -> bool:
        """Record a failed read; True if the meter just became lost. A silent meter (the read
        timed out) gets no retry before its next regular read: one timeout per interval."""
        plan.fail_streak += 1
        became_lost = not plan.lost and plan.fail_streak >= self.lost_after
        plan.lost = plan.lost or became_lost
        regular = self._regular.get(plan.meter_id)
        if regular is None:
            regular = now + plan.interval
            self._push(plan.meter_id, regular)
        if not plan.lost and not silent:
            retry_at = now + self.retry_base * (2 ** (plan.fail_streak - 1))
            if retry_at < regular:
                self._push(plan.meter_id, retry_at, retry=True)
        return became_lost

    def _drop_retries(self, meter_id: int) -> None:
        if not self._retries.pop(meter_id, 0):      # the usual case: O(1), not a heap rebuild per read
            return
        self._heap = [d for d in self._heap if not (d[_RETRY] and d[_METER] == meter_id)]
        heapq.heapify(self._heap)

    def requeue(self, plan: MeterPlan, now: float) -> None:
        """Put back a meter whose read could not happen (its link was down): due at `now`,
        its streak untouched."""
        if plan.meter_id not in self._regular:
            self._push(plan.meter_id, now)

    def add(self, plan: MeterPlan, now: float) -> None:
        self.meters[plan.meter_id] = plan
        self._push(plan.meter_id, now)

    def read_now(self, meter_id: int, now: float) -> None:
        """点抄: put a meter at the front of the queue."""
        if meter_id in self.meters:
            self._push(meter_id, now - 1e6, retry=True)
