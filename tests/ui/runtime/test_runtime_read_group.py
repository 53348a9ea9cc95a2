""""Read this group now" through the runtime's real child process and in process (the fixtures of
test_runtime_process.py: a real simulator on a real socket): both answer how many meters were
queued, or a translated refusal - no right (logged), polling not running, a child that died
before it answered - exactly once, on the GUI thread."""
from __future__ import annotations

import os
import signal

import pytest
import sqlalchemy as sa

from access import login as auth
from access import operators as operator_service
from models.oplog import OpLogEntry
from tests.ui.runtime import test_runtime_process as rp
from ui.bridge import RuntimeHost
from ui.runtime_commands import NOT_RUNNING, ReadGroupAnswer, queued_text, read_group
from ui.session import StationSession

ADDRS, _gone = rp.ADDRS, rp._gone
sim, station = rp.sim, rp.station                   # the fixtures


def _ask(qtbot, session, schedule_id=None) -> ReadGroupAnswer:
    answers: list[ReadGroupAnswer] = []
    read_group(session, schedule_id, answers.append)
    qtbot.waitUntil(lambda: bool(answers), timeout=20_000)
    qtbot.wait(50)
    assert len(answers) == 1, answers                    # exactly once
    return answers[0]


@pytest.mark.parametrize("in_process", [False, True], ids=["child", "in-process"])
def test_read_group_says_how_many_meters_were_queued(qtbot, station, in_process):
    host = RuntimeHost(station, run_jobs=False, in_process=in_process)
    try:
        host.start()
        qtbot.waitUntil(lambda: "runtime" in station.services, timeout=20_000)
        assert _ask(qtbot, station) == ReadGroupAnswer(len(ADDRS), "3 meters queued for reading")
        with station.db.read() as s:                       # the request is logged by the service
            asked = s.execute(sa.select(OpLogEntry).where(OpLogEntry.action == "meter.read_group")).scalars().all()
        assert [(r.operator, r.target) for r in asked] == [(station.actor.name, "all")]
        assert _ask(qtbot, station, 999) == ReadGroupAnswer(0, queued_text(0))   # no such schedule
        from resources import i18n

        i18n.set_language("zh_CN")
        assert _ask(qtbot, station).text == "已排队抄读 3 块表"
        i18n.set_language("en")
        # an operator without the meter_read right: refused in words, and the refusal is logged
        operator_service.add_operator(station.db, station.actor, "look", "look-pass-1", "viewer")
        viewer = StationSession(station.db, auth.login(station.db, "look", "look-pass-1", "T"), "T",
                                services=station.services)
        no = _ask(qtbot, viewer)
        assert no.refused and "look" in no.text and "Read meters on demand" in no.text, no
        with station.db.read() as s:
            row = s.execute(sa.select(OpLogEntry).where(OpLogEntry.action == "denied")
                            .order_by(OpLogEntry.seq.desc())).scalars().first()
        assert row is not None and row.operator == "look" and row.target == "all"
    finally:
        host.stop()
    # polling stopped: a refusal, never silence
    assert _ask(qtbot, station) == ReadGroupAnswer(None, NOT_RUNNING)


def test_read_group_to_a_child_that_dies_is_refused_not_lost(qtbot, monkeypatch, station):
    from ui.runtime_process import RuntimeProcess

    # the restart waits 3 s, not 1: what is asserted between the death and the restart is not a race
    monkeypatch.setitem(RuntimeProcess.__init__.__kwdefaults__, "backoff_first", 3.0)
    host = RuntimeHost(station, run_jobs=False)
    try:
        host.start()
        qtbot.waitUntil(lambda: "runtime" in station.services, timeout=20_000)
        pid = station.services["runtime"].pid
        os.kill(pid, signal.SIGSTOP)                     # it will never answer
        answers: list[ReadGroupAnswer] = []
        read_group(station, None, answers.append)
        qtbot.wait(300)
        assert answers == []
        os.kill(pid, signal.SIGKILL)
        qtbot.waitUntil(lambda: bool(answers), timeout=10_000)
        assert answers[0].refused and "Meter polling" in answers[0].text, answers
        # while it is being restarted: refused at once
        assert _ask(qtbot, station) == ReadGroupAnswer(None, NOT_RUNNING)
    finally:
        host.stop()
    assert _gone(pid)


def test_the_schedules_tab_reads_the_selected_group_now(qtbot, station):
    """Settings → Reading schedules: "Read this group now" on the selected schedule says how many
    meters were queued; without a selection it asks for one and queues nothing."""
    from billing import settings_service as schedules
    from ui.pages.settings_schedules_tab import SchedulesTab

    schedules.add_schedule(station.db, station.actor, schedules.ScheduleSpec(name="all", kind="daily", at_time="06:30"))
    host = RuntimeHost(station, run_jobs=False, in_process=True)
    try:
        host.start()
        qtbot.waitUntil(lambda: "runtime" in station.services, timeout=20_000)
        tab = SchedulesTab(station)
        qtbot.addWidget(tab)
        tab.refresh()
        qtbot.waitUntil(lambda: tab.model.rowCount() == 1, timeout=10_000)
        assert tab.read_button.isEnabled()
        tab.read_button.click()
        assert tab.status.text() == "Select a schedule first"
        tab.view.selectRow(0)
        tab.read_button.click()
        qtbot.waitUntil(lambda: "queued" in tab.status.text(), timeout=20_000)
        assert tab.status.text() == "all: 3 meters queued for reading"
        assert tab.read_button.isEnabled()
    finally:
        host.stop()
