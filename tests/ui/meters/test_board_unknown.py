"""Meters nobody reads: when the runtime that polled them ends, the bridge says "unknown" for
every meter it watched (ui/bridge.py mark_unknown) and the board shows those rows in the state
"unknown" (its own colour, chip filter and title) - not the last "online" colour beside a growing
age - over every reload of the database's stale rows too, until a reading or a runtime's state
brings each row back. A runtime's end at 10,000 meters is marked SLICE_ROWS rows a turn of the
event loop. Counted, not timed."""
from __future__ import annotations

from PySide6.QtCore import Qt

from comms.interfaces import Reading
from tests.ui.meters.test_meter_model import NOW, make_rows
from ui.item_models.meter_table import SLICE_ROWS, STATE_TITLES, MeterFilter, MeterTableModel
from ui.theme import STATE_COLOURS


def _state(model: MeterTableModel, meter_id: int) -> str:
    return model.rows[model.row_of(meter_id)].state


def test_unknown_rows_stay_unknown_over_reloads_until_read_again(qtbot):
    model = MeterTableModel()
    proxy = MeterFilter()
    proxy.setSourceModel(model)
    rows = make_rows(90)
    model.load(rows)
    before = {r.meter_id: r.state for r in rows}
    marked = [r.meter_id for r in rows[:30]]                  # every kind of state, lost and tripped too
    assert {"lost", "unreachable", "tripped", "normal", "not_opened"} <= {before[m] for m in marked}
    signalled: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda a, b, *_: signalled.append((a.row(), b.row())))
    assert model.apply_batch((), dict.fromkeys(marked, "unknown")) == 30
    assert signalled and all(_state(model, m) == "unknown" for m in marked)
    assert model.counts["unknown"] == 30 and sum(model.counts.values()) == 90
    state = model.columns.index("state")
    row = model.row_of(marked[0])
    assert model.data(model.index(row, state)) == "Unknown"      # the cell's short word (the chip's is long:
    assert STATE_TITLES["unknown"] == "Unknown (not read)"        # "未知（未在抄…" was cut in the column)
    bg = model.data(model.index(row, state), Qt.ItemDataRole.BackgroundRole).color().name()
    assert bg == STATE_COLOURS["unknown"][0]
    proxy.set_filters(state="unknown")                        # its chip / filter
    assert sorted(proxy.visible_ids()) == sorted(marked)
    # said again: nothing moves, nothing is rebuilt
    signalled.clear()
    assert model.apply_batch((), dict.fromkeys(marked, "unknown")) == 0 and not signalled
    # the page's reloads bring the database's rows, which still say what the dead runtime wrote
    # ("online"): the rows stay unknown - merged in place, patched, or after a reset
    model.merge(model.prepare(make_rows(90), model.sort_order()))
    assert all(_state(model, m) == "unknown" for m in marked)
    assert model.patch(make_rows(90)[:10]) == 0
    model.merge(make_rows(91))                                # another meter: a reset
    assert all(_state(model, m) == "unknown" for m in marked) and model.counts["unknown"] == 30
    # a runtime reads them again: a reading, an online / lost state brings each row back
    a, b, c = marked[0], marked[1], marked[7]
    assert before[c] == "lost"
    model.apply_batch([{"meter_id": a, "values": {"voltage": Reading("voltage", "230.1", "V")}, "at": NOW}],
                      {b: "online", c: "lost"})
    assert _state(model, a) == before[a] and _state(model, b) == before[b] and _state(model, c) == "lost"
    assert not model.rows[model.row_of(a)].unwatched and model.counts["unknown"] == 27
    model.merge(make_rows(91))                                # and stay back over the next reload
    assert _state(model, a) == before[a] and _state(model, b) == before[b]
    qtbot.waitUntil(lambda: sorted(proxy.visible_ids()) == sorted(set(marked) - {a, b, c}),
                    timeout=5000)                         # the filter's next pass (MeterFilter.REFILTER_MS)


def test_a_meter_marked_before_its_board_loaded_is_unknown_when_it_loads(qtbot):
    """A page built after the runtime ended (pages are built on their first visit) is told the
    unread meters first and loads its rows after: the reading worker's prepare() marks them, and
    the merge sets right a meter read again meanwhile."""
    model = MeterTableModel()
    assert model.apply_batch((), {5: "unknown", 6: "unknown", 7: "unknown"}) == 0
    prepared = model.prepare(make_rows(20), None)            # on the reading worker
    assert [r.state for r in prepared.rows if r.meter_id in (5, 6, 7)] == ["unknown"] * 3
    assert prepared.counts["unknown"] == 3
    model.apply_batch((), {7: "online"})                      # read again before the load is merged
    model.merge(prepared)                                     # a reset
    assert _state(model, 5) == _state(model, 6) == "unknown" and _state(model, 7) != "unknown"
    assert model.counts["unknown"] == 2 and sum(model.counts.values()) == 20
    prepared = model.prepare(make_rows(20), None)             # the next reload: merged in place
    model.apply_batch((), {6: "online"})
    assert model.merge(prepared) == 0
    assert _state(model, 5) == "unknown" and _state(model, 6) != "unknown" and model.counts["unknown"] == 1


def test_every_meter_marked_at_once_is_sliced(qtbot):
    """A runtime's end marks every meter: 3,000 rows at once are marked SLICE_ROWS a turn of the
    event loop (a dataclasses.replace each), not in one go; a reading meanwhile wins."""
    n = 3000
    model = MeterTableModel()
    model.load(make_rows(n))
    spans: list[int] = []
    model.dataChanged.connect(lambda a, b, *_: spans.append(b.row() - a.row() + 1))
    ids = [r.meter_id for r in model.rows]
    model.apply_batch((), dict.fromkeys(ids, "unknown"))
    assert model.merging() and sum(spans) <= SLICE_ROWS
    live = ids[-1]                                            # in the last slice: read meanwhile
    model.apply_reading(live, {"voltage": Reading("voltage", "231.0", "V")}, NOW)
    qtbot.waitUntil(lambda: not model.merging(), timeout=5000)
    assert max(spans) <= SLICE_ROWS
    assert model.counts["unknown"] == n - 1 and _state(model, live) != "unknown"
    assert all(r.state == "unknown" and r.unwatched for r in model.rows if r.meter_id != live)
