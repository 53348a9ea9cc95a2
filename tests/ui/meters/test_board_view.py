"""The monitor board's two views offscreen: full meter numbers, units, red negative balances,
the alarm marker, state chips that filter (and keep their counts), the floor plan (tile view)
beside the table with the same filters and one selection, and its cost with 10,000 meters."""
from __future__ import annotations

import dataclasses
import time

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QFontMetrics

from access import login as auth
from access import operators as operator_service
from tests.ui.meters import board_site
from tests.ui.meters.test_meter_model import make_rows
from ui import tasks
from ui.item_models.meter_table import MeterFilter, MeterTableModel
from ui.pages.meters_page import MetersPage, make_meter_view
from ui.session import StationSession
from ui.widgets.meter_tiles import MeterTiles


def _page(qtbot, db, meters=60):
    operator_service.create_first_operator(db, "root", "secret-1", "T")
    root = auth.login(db, "root", "secret-1", "T")
    site = board_site.build(db, meters=meters, buildings=2,
                            addresses=[f"{24010000000000 + i:014d}" for i in range(meters)])
    page = MetersPage(StationSession(db, root, "T"))
    qtbot.addWidget(page)
    page.resize(1300, 700)
    page.show()
    page.refresh()
    qtbot.waitUntil(lambda: page.model.rowCount() == meters, timeout=5000)
    return page, site


def test_cells_say_everything_in_full(qtbot):
    rows = make_rows(16)
    rows[0] = dataclasses.replace(rows[0], number="24010000000001", kind="water", balance_fen=-1234,
                                  open_alarms=2, last_values={"units": {"volume": "m3"}})
    model, proxy = MeterTableModel(), MeterFilter()
    model.load(rows)
    view = make_meter_view(model, proxy)
    qtbot.addWidget(view)
    col = {c: model.columns.index(c) for c in model.columns}
    assert view.columnWidth(col["number"]) > QFontMetrics(view.font()).horizontalAdvance("24010000000001") + 16
    assert model.data(model.index(0, col["number"])) == "24010000000001"
    assert model.data(model.index(0, col["reading"])).endswith(" m³")
    assert model.data(model.index(1, col["reading"])).endswith(" kWh")
    assert model.data(model.index(0, col["balance"])) == "-12.34"
    assert model.data(model.index(0, col["balance"]), Qt.ItemDataRole.ForegroundRole).color().name() == "#c62828"
    positive = next(r for r, row in enumerate(rows) if row.balance_fen and row.balance_fen > 0)
    assert model.data(model.index(positive, col["balance"]), Qt.ItemDataRole.ForegroundRole) is None
    assert model.data(model.index(0, col["number"]), Qt.ItemDataRole.DecorationRole) is not None
    assert "2" in model.data(model.index(0, col["number"]), Qt.ItemDataRole.ToolTipRole)
    assert model.data(model.index(1, col["number"]), Qt.ItemDataRole.DecorationRole) is None
    assert model.data(model.index(3, col["voltage"])) == "220.5"
    # a live reading keeps the unit it came with
    from decimal import Decimal

    from comms.interfaces import Reading
    model.apply_reading(rows[0].meter_id, {"volume": Reading("volume", Decimal("3.5"), "m3")})
    assert model.data(model.index(0, col["reading"])) == "3.500 m³"


def test_state_chips_filter_and_keep_counts(qtbot, sqlite_db):  # noqa: F811 - the fixture
    page, site = _page(qtbot, sqlite_db)
    board_site.set_meter(sqlite_db, site.meters[0], relay_state="open")
    board_site.set_meter(sqlite_db, site.meters[2], relay_state="open")
    page.reload()
    qtbot.waitUntil(lambda: page.model.counts["tripped"] == 2, timeout=5000)
    chip = page.summary["tripped"]
    assert chip.isCheckable() and chip.text() == "Tripped 2"
    qtbot.mouseClick(chip, Qt.MouseButton.LeftButton)
    assert chip.isChecked() and page.state.currentData() == "tripped"
    assert sorted(page.proxy.visible_ids()) == sorted(site.meters[i] for i in (0, 2))
    assert page.summary["not_opened"].text() == "Not opened 30"            # the other counts stay
    qtbot.mouseClick(page.summary["not_opened"], Qt.MouseButton.LeftButton)  # another chip: that state
    assert not chip.isChecked() and page.proxy.rowCount() == 30
    qtbot.mouseClick(page.summary["not_opened"], Qt.MouseButton.LeftButton)  # again: everything
    assert page.state.currentData() is None and page.proxy.rowCount() == 60
    assert not any(c.isChecked() for c in page.summary.values())
    page.state.setCurrentIndex(page.state.findData("tripped"))               # the combo moves the chip
    assert chip.isChecked()
    page.state.setCurrentIndex(0)
    tasks.wait_idle()


def test_floor_plan_beside_the_table(qtbot, sqlite_db):  # noqa: F811 - the fixture
    page, site = _page(qtbot, sqlite_db)
    qtbot.mouseClick(page.as_plan, Qt.MouseButton.LeftButton)
    tiles = page.tiles
    assert page.views.currentWidget() is tiles and tiles.isVisible()
    qtbot.waitUntil(lambda: len(tiles._ids) == 60, timeout=2000)
    headers = [h.text for h in tiles._headers if h.building]
    assert len(headers) == 2 and all(h.startswith("B") for h in headers)
    assert sum(1 for h in tiles._headers if not h.building) == 6               # 2 buildings × 3 floors
    # a click on a cell selects that meter on the board (and in the table)
    target = site.meters[7]
    rect = tiles.cell_rect(target)
    assert rect is not None
    qtbot.mouseClick(tiles.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert tiles.selected == target and page.selected_meter_ids() == [target]
    # filters apply to both views
    page.text.setText(site.numbers[7])
    qtbot.waitUntil(lambda: tiles._ids == [target], timeout=3000)
    page.text.clear()
    qtbot.waitUntil(lambda: len(tiles._ids) == 60, timeout=3000)
    # the table's selection shows on the plan
    qtbot.mouseClick(page.as_table, Qt.MouseButton.LeftButton)
    assert page.choose_meter(site.meters[3]) and tiles.selected == site.meters[3]
    # cells paint (an image of the plan is not blank and shows the selected cell's border)
    qtbot.mouseClick(page.as_plan, Qt.MouseButton.LeftButton)
    image = tiles.viewport().grab().toImage()
    rect = tiles.cell_rect(site.meters[3])
    assert image.pixelColor(rect.topLeft() + QPoint(1, 1)).name() == "#1f5fbf"
    tasks.wait_idle()


@pytest.mark.serial          # times the layout and paint: alone on the machine
def test_floor_plan_with_ten_thousand_meters(qtbot):
    rows = make_rows(10_000)
    rows = [dataclasses.replace(r, floor_level=int(r.floor[:-1])) for r in rows]
    model, proxy = MeterTableModel(), MeterFilter()
    proxy.setSourceModel(model)
    model.load(rows)
    painted = []

    class Counted(MeterTiles):                      # the figures must be of real paints
        def paintEvent(self, event):  # noqa: N802
            painted.append(1)
            super().paintEvent(event)
    tiles = Counted(model, proxy)
    qtbot.addWidget(tiles)
    tiles.resize(1100, 560)
    tiles.show()
    qtbot.waitExposed(tiles)
    painted.clear()
    t0 = time.perf_counter()
    tiles.relayout()
    build = time.perf_counter() - t0
    assert len(tiles._ids) == 10_000
    t0 = time.perf_counter()
    tiles.viewport().grab()
    paint = time.perf_counter() - t0
    bar = tiles.verticalScrollBar()
    t0 = time.perf_counter()
    for value in range(0, bar.maximum(), bar.maximum() // 20):       # 20 scroll steps across the plan
        bar.setValue(value)
        tiles.viewport().grab()
    scroll = (time.perf_counter() - t0) / 20
    t0 = time.perf_counter()
    model.apply_batch([{"meter_id": r.meter_id, "balance_fen": -1, "values": {"voltage": "231.0"}}
                       for r in rows[:2000]])
    applied = time.perf_counter() - t0
    tiles.viewport().grab()
    live = time.perf_counter() - t0 - applied
    proxy.set_filters(state="arrears")
    t0 = time.perf_counter()
    tiles.relayout()
    filtered = time.perf_counter() - t0
    assert 0 < len(tiles._ids) < 10_000
    print(f"\ntile view, 10,000 meters: layout {build * 1000:.0f} ms, first paint {paint * 1000:.0f} ms, "
          f"paint per scroll step {scroll * 1000:.1f} ms, repaint after 2,000 live rows {live * 1000:.0f} ms, "
          f"layout of one state {filtered * 1000:.0f} ms")
    assert len(painted) >= 22
    assert build < 1.5 and paint < 0.5 and scroll < 0.2
