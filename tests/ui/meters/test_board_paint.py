"""The board's table paints from looks computed when a row changes, a cell's roles handed over in
one call (multiData): the picture must be the one Qt paints asking role by role, and a paint
must cost few calls into Python (each takes the GIL the poller's threads hold in turn)."""
from __future__ import annotations

import dataclasses

from PySide6.QtCore import QSortFilterProxyModel, Qt

from tests.ui.meters.test_meter_model import NOW, make_rows
from ui.item_models.meter_table import MeterFilter, MeterTableModel
from ui.pages.base import make_table
from ui.pages.meters_page import make_meter_view


def board_rows(n: int = 20):
    rows = make_rows(n)
    rows[1] = dataclasses.replace(rows[1], balance_fen=-1234)                  # red balance
    rows[2] = dataclasses.replace(rows[2], open_alarms=2)                      # alarm marker, tooltip
    rows[3] = dataclasses.replace(rows[3], last_values={"voltage": "231.5", "units": {"energy": "m³"}})
    return rows


class RoleByRole(QSortFilterProxyModel):
    """What Qt does without multiData: data() for each role of each cell."""


class Counting(MeterTableModel):
    calls = 0

    def index(self, *args):
        Counting.calls += 1
        return super().index(*args)

    def data(self, *args):
        Counting.calls += 1
        return super().data(*args)

    def fill(self, *args):
        Counting.calls += 1
        return super().fill(*args)

    def rowCount(self, *args):  # noqa: N802
        Counting.calls += 1
        return super().rowCount(*args)

    def columnCount(self, *args):  # noqa: N802
        Counting.calls += 1
        return super().columnCount(*args)


def _view(qtbot, model, proxy):
    view = make_meter_view(model, proxy)
    qtbot.addWidget(view)
    view.resize(1100, 560)
    view.show()
    qtbot.waitExposed(view)
    return view


def test_same_picture_as_role_by_role(qtbot):
    model = MeterTableModel()
    model.load(board_rows())
    model.tick(NOW)
    fast, slow = _view(qtbot, model, MeterFilter()), _view(qtbot, model, RoleByRole())
    for view in (fast, slow):
        view.setColumnWidth(0, 140)
    a, b = fast.viewport().grab().toImage(), slow.viewport().grab().toImage()
    assert a.size() == b.size() and a == b
    # a changed row: its new look, not the old one
    model.update_row(model.rows[0].meter_id, balance_fen=-5, comm_state="lost")
    a, b = fast.viewport().grab().toImage(), slow.viewport().grab().toImage()
    assert a == b
    balance = model.columns.index("balance")
    assert model.data(model.index(0, balance), Qt.ItemDataRole.ForegroundRole).color().name() == "#c62828"
    assert model.data(model.index(0, balance)) == "-0.05"


def test_roles_of_a_cell():
    model = MeterTableModel()
    model.load(board_rows())
    model.tick(NOW)
    cols = model.columns
    number, balance, voltage, age = (cols.index(c) for c in ("number", "balance", "voltage", "age"))
    assert model.data(model.index(2, number), Qt.ItemDataRole.ToolTipRole) == "2 open alarm(s)"
    assert not model.data(model.index(2, number), Qt.ItemDataRole.DecorationRole).isNull()
    assert model.data(model.index(0, number), Qt.ItemDataRole.DecorationRole) is None
    assert model.data(model.index(1, balance), Qt.ItemDataRole.ForegroundRole).color().name() == "#c62828"
    assert model.data(model.index(4, balance), Qt.ItemDataRole.ForegroundRole) is None
    assert model.data(model.index(3, voltage)) == "231.5"
    assert model.data(model.index(3, voltage), Qt.ItemDataRole.TextAlignmentRole) is not None
    assert model.data(model.index(3, number), Qt.ItemDataRole.TextAlignmentRole) is None
    assert model.data(model.index(5, age)) == "5 min"
    model.tick(NOW.replace(hour=13))                                   # the clock moved: ages follow
    assert model.data(model.index(5, age)) == "1 h"


def test_a_paint_costs_few_calls_into_python(qtbot):
    model = Counting()
    model.load(make_rows(200))
    view = _view(qtbot, model, MeterFilter())
    view.viewport().grab()
    Counting.calls = 0
    view.viewport().grab()
    first, last = view.rowAt(0), view.rowAt(view.viewport().height() - 1)
    cells = (last - first + 1) * model.columnCount()
    print(f"\n{Counting.calls} calls into the model for {cells} visible cells")
    # role by role it was about 24 a cell (7 roles, each mapped through the proxy: index,
    # rowCount, columnCount); now the cell's flags and its roles: about 3
    assert 0 < Counting.calls <= 4 * cells


def test_page_tables_same_picture_as_role_by_role(qtbot):
    """ui/pages/base.RowsModel and the reports' table hand a cell's roles over in one call too."""
    from datetime import date
    from decimal import Decimal

    from PySide6.QtWidgets import QTableView

    from ui.pages.report_table import ReportTableModel

    _view, rows = make_table(["No", "Name", "Balance"])
    rows.set_rows([["000001", "王伟", 12.5], ["000002", "李娜", -3], ["000003", "", None]])
    report = ReportTableModel()
    report.set_table(["Day", "Sales", "kWh"], ["date", "money", "energy"],
                     [[date(2026, 11, d), Decimal("12.5") * d, Decimal("3.125")] for d in range(1, 6)], [1, 2])
    for model in (rows, report):
        views = []
        for source in (model, RoleByRole()):
            view = QTableView()
            qtbot.addWidget(view)
            if source is not model:
                source.setSourceModel(model)
            view.setModel(source)
            view.resize(500, 300)
            view.show()
            qtbot.waitExposed(view)
            views.append(view)
        a, b = (v.viewport().grab().toImage() for v in views)
        assert a == b
