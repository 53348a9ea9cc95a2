"""The board's Qt model with 10,000 generated rows (no database): load and filter times, sort,
in-place updates (dataChanged on the changed rows only, no reset), state counts."""
from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt

from billing.monitor_query import BOARD_STATES, MonitorRow
from ui.item_models.meter_table import ROW_ROLE, MeterFilter, MeterTableModel

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
# the states a reloaded row can have: "unknown" is the model's own (nobody reads the meter, the
# bridge says so), never monitor_rows()'s
STATES = tuple(s for s in BOARD_STATES if s != "unknown")


def make_rows(n: int) -> list[MonitorRow]:
    rows = []
    for i in range(n):
        state = STATES[i % len(STATES)]
        opened = state != "not_opened"
        rows.append(MonitorRow(
            meter_id=i + 1, number=f"M{i:06d}", kind="electricity", protocol="dlt645-2007", link=f"link{i % 40}",
            building_id=i % 5 + 1, building=f"Building {i % 5 + 1}", floor=f"{i % 7 + 1}F", room=f"R{i:05d}",
            tags=(f"line:L{i % 12}",), account_id=i + 1 if opened else None, account=f"A{i:06d}" if opened else "",
            customer=f"Customer {i}" if opened else "", mode="station-prepaid" if opened else "",
            account_state="open" if opened else "", balance_fen=(i * 37) % 50000 if opened else None,
            alarm_level="normal" if opened else "", comm_state=state if state in ("lost", "unreachable") else "online",
            relay_state="open" if state == "tripped" else "closed", keep_power=state == "keep_power",
            energy_milli=i * 1234, read_at=NOW - timedelta(minutes=i % 90),
            last_values={"voltage": "220.5", "current": f"{i % 30}.2", "power": "1.25"},
            last_read_at=NOW - timedelta(minutes=i % 90), state=state))
    return rows


def test_ten_thousand_rows_load_filter_sort(qtbot):
    rows = make_rows(10_000)
    model = MeterTableModel()
    proxy = MeterFilter()
    proxy.setSourceModel(model)
    t0 = time.perf_counter()
    model.load(rows)
    load = time.perf_counter() - t0
    assert proxy.rowCount() == 10_000
    per_state = 10_000 // len(STATES) + (1 if 10_000 % len(STATES) > STATES.index("tripped") else 0)
    assert model.counts["tripped"] == per_state and sum(model.counts.values()) == 10_000
    t0 = time.perf_counter()
    proxy.set_filters(state="arrears")
    by_state = time.perf_counter() - t0
    assert proxy.rowCount() == sum(1 for r in rows if r.state == "arrears")
    t0 = time.perf_counter()
    proxy.set_filters(building=2, floor="3F", text="customer 1")
    combined = time.perf_counter() - t0
    assert all(proxy.data(proxy.index(r, 0), ROW_ROLE).building_id == 2 for r in range(proxy.rowCount()))
    t0 = time.perf_counter()
    proxy.set_filters(text="m00999")
    text = time.perf_counter() - t0
    assert proxy.rowCount() == 10                      # M009990..M009999
    proxy.set_filters(tag="line:L3")
    assert proxy.rowCount() == 10_000 // 12 + (1 if 3 < 10_000 % 12 else 0)
    proxy.set_filters()
    t0 = time.perf_counter()
    proxy.sort(model.columns.index("balance"), Qt.SortOrder.DescendingOrder)
    sort = time.perf_counter() - t0
    top = proxy.data(proxy.index(0, 0), ROW_ROLE)
    assert top.balance_fen == max(r.balance_fen for r in rows if r.balance_fen is not None)
    import dataclasses
    reloaded = make_rows(10_000)                     # a reload: in number order, 50 meters changed
    for i in range(0, 10_000, 200):
        reloaded[i] = dataclasses.replace(reloaded[i], balance_fen=7)
    resets = []
    model.modelReset.connect(lambda: resets.append(1))
    t0 = time.perf_counter()
    assert model.merge(reloaded) == 50
    merge = time.perf_counter() - t0
    assert not resets and proxy.data(proxy.index(0, 0), ROW_ROLE).balance_fen == top.balance_fen   # still sorted
    print(f"\n10,000 meters: load {load * 1000:.1f} ms, filter by state {by_state * 1000:.1f} ms, "
          f"building+floor+text {combined * 1000:.1f} ms, text {text * 1000:.1f} ms, sort {sort * 1000:.1f} ms, "
          f"merge of a reload {merge * 1000:.1f} ms")
    assert load < 1.0 and by_state < 1.0 and combined < 1.0 and text < 1.0 and sort < 3.0 and merge < 1.0


def test_incremental_updates_signal_only_changed_rows(qtbot):
    rows = make_rows(1000)
    model = MeterTableModel()
    model.load(rows)
    resets, changed = [], []
    model.modelReset.connect(lambda: resets.append(1))
    model.dataChanged.connect(lambda a, b, roles=None: changed.append((a.row(), b.row())))
    row7 = model.rows[7]
    assert model.apply_reading(row7.meter_id, {"voltage": "230.0", "energy": "12.5", "relay": "open"}, NOW)
    assert changed == [(7, 7)] and not resets
    new = model.rows[7]
    assert new.last_values["voltage"] == "230.0" and new.energy_milli == 12500 and new.relay_state == "open"
    assert new.state == ("tripped" if row7.account_id is not None and row7.comm_state != "lost" else new.state)
    voltage = model.columns.index("voltage")
    assert model.data(model.index(7, voltage)) == "230.0"
    changed.clear()
    before = dict(model.counts)
    model.update_row(rows[9].meter_id, comm_state="lost")
    assert changed == [(9, 9)] and model.rows[9].state == "lost"
    assert model.counts["lost"] == before["lost"] + 1
    changed.clear()
    reloaded = list(model.rows)
    import dataclasses
    for i in (100, 101, 102, 500):
        reloaded[i] = dataclasses.replace(reloaded[i], balance_fen=1)
    assert model.merge(reloaded) == 4
    assert changed == [(100, 102), (500, 500)] and not resets
    assert model.merge(reloaded[:-1]) == 999 and resets == [1]       # a meter went away: reset
    assert not model.apply_reading(999_999, {"voltage": "1"})


def test_state_column_colours_and_age():
    model = MeterTableModel()
    model.load(make_rows(16))
    model.tick(NOW)
    state, age = model.columns.index("state"), model.columns.index("age")
    assert model.data(model.index(0, state)) == "Not opened"
    assert model.data(model.index(0, state), Qt.ItemDataRole.BackgroundRole).color().name() == "#e0e0e0"
    assert model.data(model.index(7, state)) == "Lost"
    assert model.data(model.index(5, age)) == "5 min"


def test_row_replaced_equals_dataclasses_replace():
    """The live feed's cheaper replace (billing.monitor_query.row_replaced) makes the same row as
    dataclasses.replace for any set of fields, and refuses a name that is no field."""
    import dataclasses

    import pytest

    from billing.monitor_query import row_from_values, row_replaced, row_values

    fields = [f.name for f in dataclasses.fields(MonitorRow)]
    rows = make_rows(20)
    rows.append(row_from_values(row_values(rows[3])))            # as it came over the child's pipe
    for n, row in enumerate(rows):
        picked = fields[n % len(fields):][: 1 + n % 5]
        changes = {name: f"x{n}" for name in picked}
        assert row_replaced(row, changes) == dataclasses.replace(row, **changes)
        assert row_values(row_replaced(row, changes)) == row_values(dataclasses.replace(row, **changes))
    assert row_replaced(rows[0], {}) == rows[0]
    with pytest.raises(KeyError):
        row_replaced(rows[0], {"no_such_field": 1})
