"""A paint of the board calls less Python per cell with no filter set: the filter's rows are then
the model's in order, so a cell's roles are filled without mapToSource (which called the model's
Python index() once more for every painted cell). What is painted is the right row: unfiltered,
filtered, sorted and cleared again."""
from __future__ import annotations

from PySide6.QtCore import Qt

from tests.ui.meters.test_meter_model import make_rows
from ui.item_models.meter_table import MeterFilter, MeterTableModel
from ui.pages.meters_page import make_meter_view


class Counting(MeterTableModel):
    """The board's model, counting its index() and fill() calls from C++ and the filter."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = {"index": 0, "fill": 0}

    def index(self, *a):
        self.calls["index"] += 1
        return super().index(*a)

    def fill(self, *a) -> None:
        self.calls["fill"] += 1
        super().fill(*a)


def _paint(view, model) -> dict[str, int]:
    model.calls.update(index=0, fill=0)
    view.viewport().grab()                      # a real paint of the visible cells
    return dict(model.calls)


def _shown(proxy) -> list[str]:
    return [proxy.index(i, 0).data() for i in range(min(proxy.rowCount(), 30))]


def test_a_painted_cell_maps_no_index_without_a_filter_and_shows_its_row(qtbot):
    model, proxy = Counting(), MeterFilter()
    view = make_meter_view(model, proxy)
    qtbot.addWidget(view)
    rows = make_rows(2000)
    model.merge(model.prepare(rows, model.sort_order()))
    view.resize(900, 600)
    view.show()
    qtbot.waitExposed(view)
    plain = _paint(view, model)
    assert plain["fill"] > 100
    assert plain["index"] <= plain["fill"]                  # Qt's own, one a cell; two a cell before
    assert _shown(proxy) == [r.number for r in model.rows[:30]]
    state = model.rows[3].state
    proxy.set_filters(state=state)                          # filtered: mapped through the proxy
    assert _shown(proxy) == [r.number for r in model.rows if r.state == state][:30]
    mapped = _paint(view, model)
    assert mapped["index"] >= 2 * mapped["fill"] > 0
    view.sortByColumn(0, Qt.SortOrder.DescendingOrder)      # the model sorts, the proxy keeps it
    proxy.set_filters()
    assert _shown(proxy) == sorted((r.number for r in rows), reverse=True)[:30]
    again = _paint(view, model)
    assert again["index"] <= again["fill"] and again["fill"] > 100
