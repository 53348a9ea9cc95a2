"""The meters and control pages sort, index and count a reloaded board off the GUI thread
(MeterTableModel.prepare on the reading worker): the GUI thread's reset of a new board then
costs only Qt's pass over the rows. At 10,000 meters, sorting them on the GUI thread was 3/4 of
the reset's CPU there (bench_gui --cpu-profile). Counted, not timed: the sort key is asked for
no row on the GUI thread; the rows still come out in the view's order."""
from __future__ import annotations

import threading

from PySide6.QtCore import Qt

from access import login as auth
from access import operators as operator_service
from tests.ui.meters.test_meter_model import make_rows
from ui import board_source
from ui.item_models.meter_table import MeterTableModel
from ui.session import StationSession

N = 3000


def _count_sort_keys(monkeypatch) -> dict[str, int]:
    calls = {"gui": 0, "worker": 0}
    real = MeterTableModel._sort_key

    def counted(self, row, col):
        calls["gui" if threading.current_thread() is threading.main_thread() else "worker"] += 1
        return real(self, row, col)

    monkeypatch.setattr(MeterTableModel, "_sort_key", counted)
    return calls


def _session(db) -> StationSession:
    operator_service.create_first_operator(db, "root", "secret-1", "T")
    return StationSession(db, auth.login(db, "root", "secret-1", "T"), "T")


def test_meters_page_sorts_a_new_board_off_the_gui_thread(qtbot, sqlite_db, monkeypatch):
    import ui.pages.meters_page as meters_page

    rows = make_rows(N)
    monkeypatch.setattr(board_source, "monitor_rows", lambda db, actor=None, **_k: list(reversed(rows)))
    calls = _count_sort_keys(monkeypatch)
    page = meters_page.MetersPage(_session(sqlite_db))
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    qtbot.waitUntil(lambda: page.model.rowCount() == N and not page._loading, timeout=10_000)
    assert calls == {"gui": 0, "worker": N}
    assert [r.number for r in page.model.rows] == sorted(r.number for r in rows)   # the view's order
    assert sum(page.model.counts.values()) == N and page.model.row_of(rows[5].meter_id) == 5
    assert page.summary["tripped"].text().endswith(str(page.model.counts["tripped"]))


def test_control_page_sorts_its_list_off_the_gui_thread(qtbot, sqlite_db, monkeypatch):
    import ui.pages.control_page as control_page

    rows = make_rows(N)
    monkeypatch.setattr(board_source, "monitor_rows", lambda db, actor=None, **_k: list(reversed(rows)))
    calls = _count_sort_keys(monkeypatch)
    page = control_page.ControlPage(_session(sqlite_db))
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    qtbot.waitUntil(lambda: page.meters.rowCount() == N and not page._loading, timeout=10_000)
    assert calls == {"gui": 0, "worker": N}
    assert [r.number for r in page.meters.rows] == sorted(r.number for r in rows)


def test_a_board_prepared_in_another_order_is_sorted_again(qtbot):
    """The person sorted by another column while the reload ran: the model sorts it itself."""
    model = MeterTableModel()
    model.sort(0, Qt.SortOrder.AscendingOrder)
    rows = make_rows(50)
    prepared = model.prepare(rows, model.sort_order())
    model.sort(0, Qt.SortOrder.DescendingOrder)
    assert model.merge(prepared) == 50
    assert [r.number for r in model.rows] == sorted((r.number for r in rows), reverse=True)
    again = model.prepare([r for r in rows if r.meter_id != 7], model.sort_order())
    model.merge(again)                                  # another set of meters, the same order
    assert model.rowCount() == 49 and model.row_of(7) is None
    assert [r.number for r in model.rows] == sorted((r.number for r in rows if r.meter_id != 7), reverse=True)
    assert model.merge(model.prepare(model.rows, model.sort_order())) == 0     # the same rows: nothing
