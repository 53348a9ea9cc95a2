"""The monitor board read by the runtime child (issue 12): while a real child polls, the meters
and control pages get their rows from it (station/runtime_child.board_rows) and the window's
process runs no monitor_rows; an operator limited to some buildings gets only theirs through it;
the rows come in chunks and equal what monitor_rows gives in the window."""
from __future__ import annotations

import io

from access import login as auth
from access import operators as operator_service
from billing.control import offered_map
from billing.monitor_query import monitor_rows, row_from_values
from models.rights import Actor
from station import runtime_child as rc
from tests.ui.meters import board_site
from tests.ui.runtime import test_runtime_process as rp
from ui import board_source, tasks
from ui.bridge import RuntimeHost
from ui.session import StationSession

ADDRS = rp.ADDRS
sim, station = rp.sim, rp.station                   # the fixtures


def _local_reads(monkeypatch) -> list:
    """The calls of monitor_rows in the window's process (the board read here, not by the child)."""
    here: list = []
    real = board_source.monitor_rows
    monkeypatch.setattr(board_source, "monitor_rows", lambda *a, **kw: here.append(kw) or real(*a, **kw))
    return here


def test_pages_read_the_board_in_the_child_not_in_the_window(qtbot, monkeypatch, station):
    from ui.pages.control_page import ControlPage
    from ui.pages.meters_page import MetersPage

    here = _local_reads(monkeypatch)
    monkeypatch.setattr(board_source, "offered_map", lambda db: here.append("offered") or offered_map(db))
    host = RuntimeHost(station, run_jobs=False)
    try:
        host.start()
        qtbot.waitUntil(lambda: getattr(station.services.get("runtime"), "running", False), timeout=30_000)
        before = board_source.by_child
        board = MetersPage(station)
        qtbot.addWidget(board)
        board.reload()
        qtbot.waitUntil(lambda: not board._loading and len(board.model.rows) == len(ADDRS), timeout=10_000)
        assert [r.number for r in board.model.rows] == ["E0", "E1", "E2"]
        board._dirty = {board.model.rows[1].meter_id}           # a few meters changed: read again
        board.reload_some()
        qtbot.waitUntil(lambda: not board._loading, timeout=10_000)
        control = ControlPage(station)
        qtbot.addWidget(control)
        control.refresh(force=True)
        qtbot.waitUntil(lambda: len(control.meters.rows) == len(ADDRS) and not control._loading, timeout=10_000)
        assert here == [] and board_source.by_child == before + 3     # the window read nothing itself
        assert control.offered == offered_map(station.db) and control.offered   # the child's answer too
        # an operator who may see no building gets no row through the child either
        scoped = Actor(name="b", role="custom", rights=station.actor.rights, station="T", all_areas=False)
        narrow = MetersPage(StationSession(station.db, scoped, "T", services=station.services))
        qtbot.addWidget(narrow)
        narrow.reload()
        qtbot.waitUntil(lambda: not narrow._loading and not narrow.fresh.never, timeout=10_000)
        assert narrow.model.rows == [] and here == [] and board_source.by_child == before + 4
    finally:
        host.stop()
        tasks.wait_idle()
    board.reload()                      # no child now: the window reads the board itself
    qtbot.waitUntil(lambda: not board._loading and bool(here), timeout=10_000)
    assert len(board.model.rows) == len(ADDRS)


def test_the_rows_are_made_on_the_gui_thread_not_the_reader(qtbot, monkeypatch, station):
    """The runtime's reader thread only unpickles the child's frames; the rows are made on the
    GUI thread a few chunks a turn: made on the reader (36-46 ms of Python for 10,000 rows) they
    held the interpreter lock while the GUI thread painted a switch (bench_gui)."""
    import threading

    from billing.monitor_query import MonitorRow
    from ui.pages.meters_page import MetersPage

    made: list[str] = []
    real = MonitorRow.__init__

    def spy(self, *a, **kw):
        made.append(threading.current_thread().name)
        real(self, *a, **kw)
    monkeypatch.setattr(MonitorRow, "__init__", spy)
    here = _local_reads(monkeypatch)
    host = RuntimeHost(station, run_jobs=False)
    try:
        host.start()
        qtbot.waitUntil(lambda: getattr(station.services.get("runtime"), "running", False), timeout=30_000)
        board = MetersPage(station)
        qtbot.addWidget(board)
        made.clear()
        board.reload()
        qtbot.waitUntil(lambda: not board._loading and len(board.model.rows) == len(ADDRS), timeout=10_000)
        assert here == [] and len(made) >= len(ADDRS)
        assert set(made) == {threading.main_thread().name}
    finally:
        host.stop()
        tasks.wait_idle()


def test_a_board_asked_while_the_first_child_starts_waits_for_it(qtbot, monkeypatch, station):
    """The meters page visited in the first seconds (the child spawned, not yet polling) used to
    read its rows in the window: bench_gui's two longest stalls at 10,000 meters."""
    from ui.pages.meters_page import MetersPage

    here = _local_reads(monkeypatch)
    host = RuntimeHost(station, run_jobs=False)
    try:
        host.start()
        assert station.services.get("runtime") is None        # spawned, not polling yet
        waited, before = board_source.waited, board_source.by_child
        board = MetersPage(station)
        qtbot.addWidget(board)
        board.reload()
        assert board_source.waited == waited + 1
        qtbot.waitUntil(lambda: not board._loading and len(board.model.rows) == len(ADDRS), timeout=30_000)
        assert here == [] and board_source.by_child == before + 1
    finally:
        host.stop()
        tasks.wait_idle()


def test_a_board_waiting_for_a_child_that_fails_reads_here(qtbot, monkeypatch, station):
    from ui.pages.meters_page import MetersPage

    here = _local_reads(monkeypatch)
    host = RuntimeHost(station, run_jobs=False)
    try:
        host.start()
        board = MetersPage(station)
        qtbot.addWidget(board)
        board.reload()
        host.bridge.runtime_lost.emit("the child could not start")      # as RuntimeHost._child_problem
        qtbot.waitUntil(lambda: not board._loading and len(board.model.rows) == len(ADDRS), timeout=10_000)
        assert len(here) == 1
    finally:
        host.stop()
        tasks.wait_idle()


def _frames(data: bytes) -> list:
    stream, out = io.BytesIO(data), []
    while (frame := rc.read_frame(stream)) is not None:
        out.append(frame)
    return out


def test_board_rows_in_chunks_for_the_buildings_asked(sqlite_db, monkeypatch):
    operator_service.create_first_operator(sqlite_db, "root", "secret-1", "T")
    root = auth.login(sqlite_db, "root", "secret-1", "T")
    site = board_site.build(sqlite_db, meters=12, buildings=2)
    b1 = site.buildings[0]
    monkeypatch.setattr(rc, "BOARD_CHUNK", 4)
    out = io.BytesIO()
    rc.board_rows(sqlite_db, rc.Pump(out), {"cmd": "board", "id": 7, "buildings": [b1], "meter_ids": None})
    frames = _frames(out.getvalue())
    scoped = Actor(name="b", role="custom", rights=root.rights, station="T", all_areas=False, areas=frozenset({b1}))
    want = monitor_rows(sqlite_db, scoped)
    assert 0 < len(want) < 12
    assert [k for k, _p in frames] == ["rows"] * -(-len(want) // 4) + ["reply"]
    assert [row_from_values(r) for _k, p in frames[:-1] for r in p["rows"]] == want   # equal, field by field
    assert all(p["id"] == 7 for _k, p in frames) and frames[-1][1] == {"cmd": "board", "id": 7, "result": len(want)}
    out = io.BytesIO()                  # everything, a few meters, and a fault said in one line
    rc.board_rows(sqlite_db, rc.Pump(out), {"id": 8, "buildings": None, "meter_ids": site.meters[:3]})
    assert [r[0] for _k, p in _frames(out.getvalue())[:-1] for r in p["rows"]] == site.meters[:3]
    out = io.BytesIO()
    rc.board_rows(sqlite_db, rc.Pump(out), {"id": 9, "buildings": ["x"], "meter_ids": None})
    fault = "an unexpected fault; the details are in the station's log"
    assert _frames(out.getvalue()) == [("reply", {"cmd": "board", "id": 9, "error": fault})]


def test_rows_from_the_pipe_keep_their_units_out_of_the_collectors_sight():
    """A row's last_values holding a units tuple unpickled just now would stay tracked by the
    garbage collector (one more object per row to walk on each board); row_from_values swaps in
    the shared tuple (billing.monitor_query.flat_units), so the dict is not tracked."""
    import gc
    import pickle

    from billing.monitor_query import flat_units, row_values

    units = flat_units({"energy": "kWh", "power": "kW"})
    gc.collect()                                  # the shared tuple is old: untracked
    row = _row(units)
    for _ in range(2):
        back = row_from_values(pickle.loads(pickle.dumps(row_values(row), protocol=pickle.HIGHEST_PROTOCOL)))
        assert back == row and back.last_values["units"] is units
        assert not gc.is_tracked(back.last_values)


def _row(units):
    from datetime import UTC, datetime

    from billing.monitor_query import MonitorRow

    at = datetime(2026, 12, 1, tzinfo=UTC)
    return MonitorRow(7, "000000000007", "electricity", "dlt645-2007", "bus1", 1, "B1", "F1", "101", ("line:L1",),
                      3, "A3", "Wang", "prepaid", "open", 100, "normal", "online", "closed", False, 1234, at,
                      {"energy": 1.234, "units": units}, at, "normal", 1, 0)
