"""The boards after the runtime child is killed -9, with a real child, a real simulator and the
real bridge (the fixtures of test_runtime_process.py): the child's end (ev.RUNTIME_LOST, then
mark_unknown) turns every row of the meters page and the control page "unknown" - a reload of
the database's rows (still "online", as the dead child wrote them) and a page built only now
included - and the new child's "online" states bring the rows back."""
from __future__ import annotations

import os
import signal

from tests.ui.runtime import test_runtime_process as rp
from ui import tasks
from ui.bridge import RuntimeHost

ADDRS = rp.ADDRS
sim, station = rp.sim, rp.station                   # the fixtures


def _states(page_model) -> set[str]:
    return {r.state for r in page_model.rows}


def test_boards_show_unknown_while_nobody_reads_and_come_back(qtbot, monkeypatch, station):
    from ui.main_window import MainWindow
    from ui.runtime_process import RuntimeProcess

    # the restart waits 3 s, not 1: what is asserted between the death and the restart is not a race
    monkeypatch.setitem(RuntimeProcess.__init__.__kwdefaults__, "backoff_first", 3.0)
    host = RuntimeHost(station, run_jobs=False)
    bridge = host.bridge
    try:
        window = MainWindow(station)
        qtbot.addWidget(window)
        host.start()
        qtbot.waitUntil(lambda: [s for s in bridge.meters.values() if s == "online"] == ["online"] * len(ADDRS),
                        timeout=30_000)
        board = window.page("meters")

        def read_online() -> bool:    # the child may say "online" before its store has written it
            if len(board.model.rows) == len(ADDRS) and all(r.comm_state == "online" for r in board.model.rows):
                return True
            if not board._loading:
                board.reload()
            return False

        qtbot.waitUntil(read_online, timeout=10_000)
        assert _states(board.model) == {"not_opened"}             # no accounts: read, not opened
        first = station.services["runtime"].pid
        os.kill(first, signal.SIGKILL)
        qtbot.waitUntil(lambda: "runtime" not in station.services, timeout=10_000)     # the death is seen
        qtbot.waitUntil(lambda: _states(board.model) == {"unknown"}, timeout=5_000)
        assert board.model.counts["unknown"] == len(ADDRS)
        assert board.summary["unknown"].text().endswith(f" {len(ADDRS)}")          # its chip counts them
        board.reload()                       # the database still says "online": the rows stay unknown
        qtbot.waitUntil(lambda: not board._loading, timeout=10_000)
        assert _states(board.model) == {"unknown"}
        control = window.page("control")     # built only now, after the death
        control.refresh(force=True)
        qtbot.waitUntil(lambda: len(control.meters.rows) == len(ADDRS), timeout=10_000)
        assert _states(control.meters) == {"unknown"}
        assert "runtime" not in station.services                  # all of it before the restart
        # the new child reads them: its "online" states bring every row back, on both pages
        qtbot.waitUntil(lambda: "runtime" in station.services and station.services["runtime"].pid != first,
                        timeout=20_000)
        qtbot.waitUntil(lambda: _states(board.model) == {"not_opened"} and _states(control.meters) == {"not_opened"},
                        timeout=30_000)
        assert board.model.counts["unknown"] == 0 and not board.model.unwatched and not bridge.unread
        board.reload()
        qtbot.waitUntil(lambda: not board._loading, timeout=10_000)
        assert _states(board.model) == {"not_opened"}
    finally:
        host.stop()
        tasks.wait_idle()
