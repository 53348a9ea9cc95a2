"""LinkSchedule bookkeeping (pure): retries queued on failure and dropped on success, and a
good read costs no heap rebuild (the poller's CPU per read stays flat with meters per link)."""
from __future__ import annotations

from comms.interfaces import MeterConfig
from comms.polling.read_schedule import LinkSchedule, MeterPlan


def _plans(n):
    return [MeterPlan(i, f"{i:012d}", MeterConfig("dlt645-2007", f"{i:012d}"), interval=100.0)
            for i in range(1, n + 1)]


def test_retry_then_success_then_lost():
    plans = _plans(3)
    s = LinkSchedule(plans, now=0.0, lost_after=2, retry_base=10.0)
    assert [s.pop_due(0.0).meter_id for _ in range(3)] == [1, 2, 3] and s.pop_due(0.0) is None
    assert s.failed(plans[0], 0.0) is False
    assert s.next_due() == 10.0 and s.pop_due(10.0).meter_id == 1            # 补抄 at retry_base
    assert s.failed(plans[0], 10.0) is True and plans[0].lost                # 2nd failure: lost
    s.failed(plans[1], 10.0)
    assert s.succeeded(plans[1], 11.0) is False                               # its retry is dropped
    assert all(not (retry and meter_id == 2) for _at, _seq, meter_id, retry in s._heap)
    assert s.succeeded(plans[0], 12.0) is True and not plans[0].lost         # back from lost


def test_success_does_not_rebuild_the_heap():
    plans = _plans(200)
    s = LinkSchedule(plans, now=0.0)
    heap = s._heap
    for p in plans:
        assert s.pop_due(0.0) is p
        s.succeeded(p, 1.0)
    assert s._heap is heap and len(heap) == 200 and s.next_due() == 101.0


def test_due_reads_invisible_to_the_cyclic_collector():
    """One due read per meter lives in the heap as long as the program polls: plain tuples of
    numbers, which the collector stops tracking once it has seen them (a dataclass per entry
    was 10,000 more objects for the GUI thread's full collection to walk at 10,000 meters)."""
    import gc

    plans = _plans(50)
    s = LinkSchedule(plans, now=0.0)
    for p in plans[:10]:
        assert s.pop_due(0.0) is p
        s.failed(p, 0.0)                                  # a retry queued beside its next regular read
    gc.collect()
    assert len(s._heap) == 60 and not any(gc.is_tracked(d) for d in s._heap)
