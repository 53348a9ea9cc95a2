"""The runtime child restarted after kill -9, with real child processes and a real simulator (the
fixtures of test_runtime_process.py): the window shows no stale "online" while polling is down
and the new child says every state again; the status bar's failure line is replaced once the
new child polls."""
from __future__ import annotations

import os
import signal

import pytest
import sqlalchemy as sa

from archive import service as svc
from models.archive import Meter
from tests.ui.runtime import test_runtime_process as rp
from ui import tasks
from ui.bridge import RuntimeHost

ADDRS = rp.ADDRS
sim, station = rp.sim, rp.station                   # the fixtures

GHOST = "000000000099"                 # no such meter on the simulated bus: it never answers


@pytest.fixture
def with_ghost(station):
    """A fourth meter on the bus that never answers, lost in the archive from an earlier run."""
    root = station.actor
    svc.add_meter(station.db, root, "E9", address=GHOST, link="bus1", protocol="dlt645-2007", kind="electricity")
    with station.db.write() as s:
        s.execute(sa.update(Meter).where(Meter.number == "E9").values(comm_state="lost"))
        ghost = s.execute(sa.select(Meter.id).where(Meter.number == "E9")).scalar_one()
    return ghost


def test_after_a_restart_no_state_is_shown_as_fresh_until_the_new_child_says_it(qtbot, monkeypatch, station,
                                                                                 with_ghost):
    from ui.runtime_process import RuntimeProcess

    # the restart waits 3 s, not 1: what is asserted between the death and the restart is not a race
    monkeypatch.setitem(RuntimeProcess.__init__.__kwdefaults__, "backoff_first", 3.0)
    from ui.main_window import MainWindow

    ghost = with_ghost
    host = RuntimeHost(station, run_jobs=False)
    bridge = host.bridge
    statuses: list[dict] = []
    bridge.status_changed.connect(statuses.append)
    try:
        window = MainWindow(station)
        qtbot.addWidget(window)
        host.start()
        online = lambda: [m for m, st in bridge.meters.items() if st == "online"]  # noqa: E731
        qtbot.waitUntil(lambda: len(online()) == len(ADDRS) and bridge.meters.get(ghost) == "lost", timeout=30_000)
        first = station.services["runtime"].pid
        os.kill(first, signal.SIGKILL)
        qtbot.waitUntil(lambda: "runtime" not in station.services, timeout=10_000)     # the death is seen
        # nobody watches the meters now: nothing is shown online (or lost) as if it were fresh
        assert set(bridge.meters.values()) == {"unknown"} and set(bridge.links.values()) == {"unknown"}
        st = statuses[-1]
        assert (st["meters_online"], st["meters_lost"], st["meters_unknown"], st["polling"]) == (0, 0, 4, False)
        assert window.comm_status.text().startswith("Meters: not polling"), window.comm_status.text()
        qtbot.waitUntil(lambda: "runtime" in station.services and station.services["runtime"].pid != first,
                        timeout=20_000)
        # the new child says every state again as it reads: the three that answer online, the
        # one the archive had lost (and still silent) lost - none stays "unknown"
        qtbot.waitUntil(lambda: len(online()) == len(ADDRS) and bridge.meters.get(ghost) == "lost", timeout=30_000)
        assert bridge.links == {next(iter(bridge.links)): "online"}
        assert statuses[-1]["polling"] and statuses[-1]["meters_unknown"] == 0
        assert "not polling" not in window.comm_status.text()
    finally:
        host.stop()
        tasks.wait_idle()


def test_the_failure_line_is_replaced_once_the_new_child_polls(qtbot, station):
    from ui.main_window import MainWindow

    host = RuntimeHost(station, run_jobs=False)
    try:
        window = MainWindow(station)
        qtbot.addWidget(window)
        host.start()
        qtbot.waitUntil(lambda: "runtime" in station.services, timeout=20_000)
        first = station.services["runtime"].pid
        os.kill(first, signal.SIGKILL)
        qtbot.waitUntil(lambda: "stopped unexpectedly" in window.problem.text(), timeout=10_000)
        assert "#b00020" in window.problem.styleSheet()
        qtbot.waitUntil(lambda: "runtime" in station.services and station.services["runtime"].pid != first,
                        timeout=20_000)
        assert window.problem.text() == "Background: meter polling is running again"
        assert "#b00020" not in window.problem.styleSheet() and window.problem.toolTip() == ""
        # a failure of something else, shown after the child's, is not wiped by the next restart
        os.kill(station.services["runtime"].pid, signal.SIGKILL)
        qtbot.waitUntil(lambda: "stopped unexpectedly" in window.problem.text(), timeout=10_000)
        tasks.report_background("the printer is out of paper")
        second = host.process.starts
        qtbot.waitUntil(lambda: host.process.starts > second and "runtime" in station.services, timeout=20_000)
        assert "out of paper" in window.problem.text()
    finally:
        host.stop()
        tasks.wait_idle()
