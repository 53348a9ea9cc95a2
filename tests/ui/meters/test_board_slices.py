"""A page's periodic reload of a 10,000-meter board is merged SLICE_ROWS rows per turn of the event
loop (merge(sliced=True)), not in one go: 9,000 changed rows replaced at once held the GUI thread
for 140-190 ms of its CPU (bench_gui --stall-profile). No row is lost, and a live reading that
arrives while the slices run is not overwritten by the older reloaded row."""
from __future__ import annotations

import dataclasses
from datetime import timedelta

from comms.interfaces import Reading
from tests.ui.meters.test_meter_model import NOW, make_rows
from ui.item_models.meter_table import SLICE_ROWS, MeterTableModel

N = 3000


def test_reload_merged_in_slices(qtbot):
    model = MeterTableModel()
    model.load(make_rows(N))
    spans: list[int] = []
    model.dataChanged.connect(lambda a, b, *_: spans.append(b.row() - a.row() + 1))
    reloaded = [dataclasses.replace(r, balance_fen=(r.balance_fen or 0) + 100) for r in make_rows(N)]
    live_id = reloaded[-1].meter_id                     # the last slice's: read live meanwhile
    assert model.merge(reloaded, sliced=True) == 0      # a first slice now, the rest on the next turns
    assert model.merging() and sum(spans) <= SLICE_ROWS
    model.apply_reading(live_id, {"voltage": Reading("voltage", "231.0", "V")}, NOW + timedelta(minutes=5))
    qtbot.waitUntil(lambda: not model.merging(), timeout=5000)
    assert len(spans) >= N // SLICE_ROWS and max(spans) <= SLICE_ROWS
    rows = {r.meter_id: r for r in model.rows}
    assert all(rows[r.meter_id] == r for r in reloaded if r.meter_id != live_id)
    assert rows[live_id].last_values["voltage"] == "231.0"         # the live reading stays


def test_reset_or_small_reload_not_sliced(qtbot):
    model = MeterTableModel()
    model.load(make_rows(N))
    few = [dataclasses.replace(r, customer="X") for r in make_rows(SLICE_ROWS)]
    assert model.merge(few + model.rows[SLICE_ROWS:], sliced=True) == 0 and model.merging()
    model.load(make_rows(SLICE_ROWS))                   # a reset drops what was still to merge
    assert not model.merging() and model.rowCount() == SLICE_ROWS
    small = [dataclasses.replace(r, customer="Y") for r in make_rows(SLICE_ROWS)]
    assert model.merge(small, sliced=True) == SLICE_ROWS and not model.merging()   # a small board: at once
    assert all(r.customer == "Y" for r in model.rows)


def test_looks_and_search_texts_only_when_needed(qtbot):
    """A load or a live batch works out no row's look or search text: painting asks for the
    visible rows' looks, a text filter for the search texts."""
    from ui.item_models.meter_table import MeterFilter

    model = MeterTableModel()
    proxy = MeterFilter()
    proxy.setSourceModel(model)
    model.load(make_rows(N))
    assert model.looks.count(None) == N and model.search.count(None) == N
    assert model.data(model.index(7, 0)) == "M000007" and model.looks.count(None) == N - 1
    model.apply_reading(8, {"voltage": Reading("voltage", "230.5", "V")}, NOW)
    assert model.looks[7] is None                       # changed: worked out again when painted
    assert model.data(model.index(7, model.columns.index("voltage"))) == "230.5"
    proxy.set_filters(text="customer 12")
    assert proxy.rowCount() == sum(1 for r in model.rows if "customer 12" in r.customer.lower())
    assert model.search.count(None) == 0


def test_a_live_reading_before_the_reload_arrives_is_not_overwritten(qtbot):
    """A reload's rows are the runtime child's snapshot, which reaches the model a few event-loop
    turns after it was asked for: a meter read live in between keeps its live row (its stale
    "never read" row merged over it stayed until the meter's next scheduled read)."""
    model = MeterTableModel()
    model.load(make_rows(N))
    stale = [dataclasses.replace(r, last_read_at=None, comm_state="unknown") for r in make_rows(N)]
    live_id = stale[7].meter_id
    model.reload_started()                              # the page asks the child for the board ...
    model.apply_reading(live_id, {"voltage": Reading("voltage", "229.0", "V")}, NOW + timedelta(minutes=5))
    model.merge(stale, sliced=True)                     # ... and its older rows arrive afterwards
    qtbot.waitUntil(lambda: not model.merging(), timeout=5000)
    live = model.rows[model.row_of(live_id)]
    assert live.comm_state == "online" and live.last_values["voltage"] == "229.0"
    assert model.rows[model.row_of(stale[8].meter_id)].comm_state == "unknown"     # the others: reloaded
    model.merge(stale, sliced=True)                     # a later reload (none asked since): taken whole
    qtbot.waitUntil(lambda: not model.merging(), timeout=5000)
    assert model.rows[model.row_of(live_id)].comm_state == "unknown"
