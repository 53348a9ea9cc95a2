"""A page shown again reloads its rows; the same rows again must cost the window nothing (no
model reset: no relayout, no repaint of the whole table), changed cells of the same records only
their rows, with the selection kept on the same records (bench_gui: each visit reset every table).
"""
from __future__ import annotations

from datetime import UTC, datetime

from access import login as auth
from access import operators as operator_service
from billing.alarm_log import AlarmRow
from ui.pages.alarms_page import AlarmsPage
from ui.pages.base import make_table
from ui.session import StationSession

ROWS = [["000001", "王伟", 12.5], ["000002", "李娜", -3], ["000003", "张敏", 0]]


class Signals:
    def __init__(self, model) -> None:
        self.resets, self.changed = 0, []
        model.modelReset.connect(self._reset)
        model.dataChanged.connect(lambda a, b, *_r: self.changed.append((a.row(), b.row())))

    def _reset(self) -> None:
        self.resets += 1


def test_same_rows_again_signal_nothing(qtbot):
    view, model = make_table(["No", "Name", "Balance"])
    qtbot.addWidget(view)
    assert model.set_rows(ROWS) is True
    seen = Signals(model)
    assert model.set_rows([list(r) for r in ROWS]) is False
    assert seen.resets == 0 and seen.changed == []


def test_changed_cells_of_the_same_records_keep_the_selection(qtbot):
    view, model = make_table(["No", "Name", "Balance"])
    qtbot.addWidget(view)
    model.set_rows(ROWS)
    view.selectRow(1)
    seen = Signals(model)
    assert model.set_rows([ROWS[0], ["000002", "李娜", 47], ROWS[2]]) is True
    assert seen.resets == 0 and seen.changed == [(1, 1)]
    assert model.item(1, 2).text() == "47"
    assert [i.row() for i in view.selectionModel().selectedRows()] == [1]


def test_other_records_reset_the_model(qtbot):
    view, model = make_table(["No", "Name", "Balance"])
    qtbot.addWidget(view)
    model.set_rows(ROWS)
    view.selectRow(1)
    seen = Signals(model)
    assert model.set_rows([ROWS[0], ROWS[2], ["000004", "赵强", 1]]) is True   # a row went, one came
    assert seen.resets == 1
    assert view.selectionModel().selectedRows() == []     # never left on another record
    assert model.set_rows(ROWS[:2]) is True
    assert seen.resets == 2


def _alarm(i: int, state: str = "open") -> AlarmRow:
    return AlarmRow(id=i, kind="arrears", title="Arrears", state=state,
                    raised_at=datetime(2026, 11, 30, 8, i, tzinfo=UTC), message=f"m{i}",
                    account=f"00000{i}", customer="王伟", meter=f"10000{i}", link="A", building="A栋",
                    acked_by="", acked_at=None, cleared_at=None, details={})


def test_alarms_tree_kept_when_the_same_alarms_come_back(qtbot, sqlite_db):
    operator_service.create_first_operator(sqlite_db, "root", "secret-1", "T")
    root = auth.login(sqlite_db, "root", "secret-1", "T")
    page = AlarmsPage(StationSession(sqlite_db, root, "T"))
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.last_id is not None, timeout=5000)    # the page's own first look
    page._show_open([_alarm(1), _alarm(2)])
    top = page.tree.topLevelItem(0)
    assert "(2, 2 new)" in top.text(0)
    page._show_open([_alarm(1), _alarm(2)])
    assert page.tree.topLevelItem(0) is top                               # not rebuilt
    assert "2 open alarms" in page.open_status.text()
    page._show_open([_alarm(1), _alarm(2, "acknowledged")])
    assert "(2, 1 new)" in page.tree.topLevelItem(0).text(0)              # a change is shown
