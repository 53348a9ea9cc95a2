"""The board's rows and Python's cyclic garbage collector.

The program runs the collector itself on the GUI thread (ui.gui_main.collect_garbage_on_gui_thread)
and its once-a-minute full collection walks every tracked object made since the startup heap was
frozen: at 10,000 meters, with the meters page and the control page each holding a row per meter
that every reading replaces, what a row leaves tracked is multiplied by 20,000 (bench_gui: 153,000
objects, a 151 ms full collection). A row now leaves one tracked object, the MonitorRow itself:
its look is a flat tuple of strs, ints and a datetime and its last_values a dict of strs and a
shared flat tuple of units, which the collector does not track (or stops tracking the first time a
young collection sees them). This counts the tracked objects, it times nothing."""
from __future__ import annotations

import dataclasses
import gc
from datetime import timedelta

from comms.interfaces import Reading
from tests.ui.meters.test_meter_model import NOW, make_rows
from ui.item_models.meter_table import MeterTableModel

N = 2000


def _batch(second: int) -> list[dict]:
    values = {"energy": Reading("energy", "12.50", "kWh"), "voltage": Reading("voltage", "220.1", "V"),
              "current": Reading("current", "3.2", "A"), "power": Reading("power", "0.70", "kW"),
              "relay": Reading("relay", "closed", None)}
    return [{"meter_id": i, "values": values, "at": NOW + timedelta(seconds=second)} for i in range(1, N + 1)]


def _paint(model: MeterTableModel) -> None:
    """Every row's look worked out, as painting (or scrolling through) the whole board would."""
    for r in range(model.rowCount()):
        model.data(model.index(r, 0))


def _tracked() -> int:
    gc.collect(1)                       # a young collection, as the program runs every 250 ms
    return len(gc.get_objects())


def test_tracked_objects_per_board_row(qtbot):
    enabled = gc.isenabled()
    gc.disable()                        # the program's collector: no automatic collection in between
    try:
        model = MeterTableModel()
        gc.collect()
        before = _tracked()
        model.load(make_rows(N))
        _paint(model)
        loaded = _tracked() - before
        for second in (5, 6, 7):        # live readings replace every row (and its look and values),
            model.apply_batch(_batch(second))       # a young collection between batches as in the program
            _paint(model)
            live = _tracked() - before
    finally:
        if enabled:
            gc.enable()
    assert model.rowCount() == N and model.rows[0].last_values["voltage"] == "220.1"
    assert model.data(model.index(0, model.columns.index("reading"))) == "12.500 kWh"   # the unit kept
    # one tracked object a row (the MonitorRow) and a few shared ones; it was two a row loaded
    # (the look held brushes), three once readings came (their units a nested dict)
    assert loaded <= N * 1.05 + 50, loaded / N
    assert live <= N * 1.05 + 50, live / N
    tracked_values = [r for r in model.rows[:50] if gc.is_tracked(r.last_values)]
    assert None not in model.looks and not tracked_values and not any(gc.is_tracked(look) for look in model.looks)


def test_board_query_rows_keep_no_tracked_values():
    """The same for rows read from the database (a board reload): last_values as stored holds a
    nested dict of units; the row's is a new dict with them flat (one that ever held a dict stays
    tracked), and the unit still shows."""
    from billing.monitor_query import _values

    stored = '{"energy": "12.50", "voltage": "220.1", "units": {"energy": "kWh", "voltage": "V"}}'
    _values(stored)                     # the first: its units' shared tuple is new
    gc.collect(1)
    values = _values(stored)
    assert values["units"] == ("energy", "kWh", "voltage", "V") and not gc.is_tracked(values)
    row = make_rows(1)[0]
    model = MeterTableModel()
    model.load([dataclasses.replace(row, kind="water", last_values=_values(
        '{"volume": "3.5", "units": {"volume": "m3"}}'))])
    assert model.data(model.index(0, model.columns.index("reading"))).endswith(" m³")
