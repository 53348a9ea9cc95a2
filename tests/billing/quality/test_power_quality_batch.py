"""check_batch at scale: a batch's meters, their live values and every threshold row that applies
come in one join, the open alarms in a second query — a fixed number of statements per batch
whatever the number of meters; a meter without a limit raises nothing; limits merge per meter."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import event

from billing.power_quality import check_batch, verdict, worst
from billing.quality_thresholds import Limits, set_thresholds
from models.archive import Meter, MeterTag, Reading, Tag

AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def _meters(db, n: int, values: dict[str, str], tagged: int = 0) -> list[int]:
    with db.write() as s:
        tag = Tag(kind="line", name="L1")
        s.add(tag)
        s.flush()
        meters = [Meter(number=f"E{i:05d}", protocol="dlt645-2007", address=f"{i:012d}",
                        last_values=json.dumps({**values, "units": {"voltage": "V"}})) for i in range(n)]
        s.add_all(meters)
        s.flush()
        s.add_all([MeterTag(meter_id=m.id, tag_id=tag.id) for m in meters[:tagged]])
        readings = [Reading(meter_id=m.id, at=AT, energy_milli=1000) for m in meters]
        s.add_all(readings)
        s.flush()
        return [r.id for r in readings]


def test_fixed_statements_per_batch(db, superadmin):
    ids = _meters(db, 120, {"voltage": "245.1", "voltage_b": "230.0", "current": "12.5", "power": "2.9"}, tagged=20)
    set_thresholds(db, superadmin, "all", Limits(over_voltage=Decimal("253")))
    set_thresholds(db, superadmin, "tag:line:L1", Limits(over_voltage=Decimal("240"), overload=Decimal("2.5")))
    first = check_batch(db, ids, now=AT)
    assert sorted({k for _m, k in first.raised}) == ["over_voltage", "overload"]
    assert len(first.raised) == 40                                      # the 20 tagged meters, twice
    statements: list[str] = []
    listener = lambda *a: statements.append(a[2])                       # noqa: E731
    event.listen(db.writer, "before_cursor_execute", listener)
    try:
        again = check_batch(db, ids, now=AT)
    finally:
        event.remove(db.writer, "before_cursor_execute", listener)
    assert again.raised == [] and again.cleared == []
    selects = [st for st in statements if st.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2, selects


def test_no_limits_nothing_raised_and_nothing_queried_per_meter(db, superadmin):
    ids = _meters(db, 50, {"voltage": "400"})
    assert check_batch(db, ids, now=AT).raised == []


def test_worst_phase_and_hysteresis():
    values = {"voltage": "231.0", "voltage_b": "259.9", "voltage_c": "187.5", "current": "x"}
    assert worst("over_voltage", values) == (Decimal("259.9"), "voltage_b")
    assert worst("under_voltage", values) == (Decimal("187.5"), "voltage_c")
    assert worst("over_current", values) is None
    L = Decimal(253)
    assert verdict("over_voltage", Decimal("253.1"), L, False) == "raise"
    assert verdict("over_voltage", Decimal("253.0"), L, False) == "keep"
    assert verdict("over_voltage", Decimal("248"), L, True) == "keep"          # inside, not by 2 %
    assert verdict("over_voltage", Decimal("247.94"), L, True) == "clear"
    assert verdict("under_voltage", Decimal("199"), Decimal(198), True) == "keep"
    assert verdict("under_voltage", Decimal("201.96"), Decimal(198), True) == "clear"
    assert verdict("overload", Decimal("9.5"), Decimal(10), True) == "clear"  # 5 % for power
    assert verdict("overload", None, Decimal(10), True) == "keep"              # not read: unchanged
    assert verdict("overload", Decimal(50), None, True) == "clear"             # limit removed

