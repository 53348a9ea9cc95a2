"""The control page: pick meters, trip them (with a confirmation naming the count), the real
poller delivers the commands to simulated meters, and the progress view shows each result;
a cashier's send button is disabled and the service refuses anyway."""
from __future__ import annotations

import pytest

from access import login as auth
from access import operators as operator_service
from billing.monitor_query import monitor_rows
from comms.polling.archive_plans import load_plans
from comms.polling.outbox_source import OutboxSource
from comms.polling.poller import LinkWorker
from comms.simulator import start_simulator
from tests.ui.meters import board_site
from ui import tasks
from ui.pages.control_page import ControlPage
from ui.session import StationSession

ADDRS = [f"{i:012d}" for i in range(1, 5)]


class _Sink:
    def reading(self, *a): ...
    def failure(self, *a): ...
    def meter_state(self, *a): ...
    def link_state(self, *a): ...


@pytest.fixture
def sim():
    s = start_simulator(f"dlt645-2007:{ADDRS[0]}-{ADDRS[-1]}", baud=9600, latency=0.005)
    yield s
    s.stop()


def _root(db):
    operator_service.create_first_operator(db, "root", "secret-1", "T")
    return auth.login(db, "root", "secret-1", "T")


def test_trip_selected_meters_and_watch_results(qtbot, sqlite_db, sim):
    root = _root(sqlite_db)
    site = board_site.build(sqlite_db, meters=4, opened_every=1, link_url=sim.url, addresses=ADDRS)
    page = ControlPage(StationSession(sqlite_db, root, "T"))
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    qtbot.waitUntil(lambda: page.meters.rowCount() == 4, timeout=5000)
    asked = []
    page.confirm = lambda text: asked.append(text) or True
    page.select_meters(site.meters[1:3])
    assert page.selected_ids() == site.meters[1:3] and page.send_button.isEnabled()
    page.action.setCurrentIndex(page.action.findData("trip"))
    page.send()
    assert asked and "2" in asked[0]
    qtbot.waitUntil(lambda: page.progress.rowCount() == 2, timeout=5000)
    assert set(page.progress.counts()) == {"pending"}
    assert "0 done" in page.result.text()
    # the poller's link worker delivers the queued commands to the simulated meters
    plan = load_plans(sqlite_db)[0]
    source = OutboxSource(sqlite_db, {m.meter_id: plan.link_id for m in plan.meters}, station="T")
    worker = LinkWorker(plan, _Sink(), commands=source)
    try:
        worker.cycle_once()
    finally:
        worker.session.close()
    assert sim.bus.meter(ADDRS[1]).relay_open and sim.bus.meter(ADDRS[2]).relay_open
    assert not sim.bus.meter(ADDRS[0]).relay_open
    qtbot.waitUntil(lambda: page.progress.counts().get("done") == 2, timeout=5000)
    assert "2 done, 0 failed, 0 pending" in page.result.text()
    assert page.progress.data(page.progress.index(0, 0)) == site.numbers[1]
    qtbot.waitUntil(lambda: not page.poll_timer.isActive(), timeout=5000)
    tasks.wait_idle()


def test_failed_command_shows_its_error(qtbot, sqlite_db):
    root = _root(sqlite_db)
    site = board_site.build(sqlite_db, meters=2)
    page = ControlPage(StationSession(sqlite_db, root, "T"))
    qtbot.addWidget(page)
    page.refresh()
    qtbot.waitUntil(lambda: page.meters.rowCount() == 2, timeout=5000)
    page.select_meters(site.meters[:1])
    page.action.setCurrentIndex(page.action.findData("settings"))
    page.send()
    qtbot.waitUntil(lambda: page.progress.rowCount() == 1, timeout=5000)
    import sqlalchemy as sa

    from models.archive import Meter
    with sqlite_db.write() as s:                      # the meter was re-archived as a 1997 meter meanwhile
        s.execute(sa.update(Meter).where(Meter.id == site.meters[0]).values(protocol="dlt645-1997"))
    OutboxSource(sqlite_db, {site.meters[0]: site.link_id}, station="T").refresh()
    qtbot.waitUntil(lambda: not page.progress.unfinished(), timeout=5000)
    assert page.progress.items[0][3] == "failed"      # refused before sending, with the model's reason
    assert "dlt645-1997" in page.progress.items[0][5]
    assert "1 failed" in page.result.text()
    tasks.wait_idle()


def test_cashier_cannot_trip(qtbot, sqlite_db):
    root = _root(sqlite_db)
    operator_service.add_operator(sqlite_db, root, "cas", "pass-123", "cashier")
    cas = auth.login(sqlite_db, "cas", "pass-123", "T")
    site = board_site.build(sqlite_db, meters=2)
    page = ControlPage(StationSession(sqlite_db, cas, "T"))
    qtbot.addWidget(page)
    page.refresh()
    qtbot.waitUntil(lambda: page.meters.rowCount() == 2, timeout=5000)
    page.select_meters(site.meters)
    page.action.setCurrentIndex(page.action.findData("trip"))
    assert not page.send_button.isEnabled()
    page.action.setCurrentIndex(page.action.findData("read"))
    assert page.send_button.isEnabled()                    # cashiers read meters
    page.action.setCurrentIndex(page.action.findData("trip"))
    errors = []
    page.confirm = lambda text: True
    page.report_error = errors.append
    page.send()                                            # forced: the service refuses
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert "no right" in str(errors[0]) and page.progress.rowCount() == 0
    assert len(monitor_rows(sqlite_db, cas)) == 2
    tasks.wait_idle()


def test_page_offers_only_what_the_meter_model_declares(qtbot, sqlite_db):
    import sqlalchemy as sa

    from models.archive import Meter

    root = _root(sqlite_db)
    site = board_site.build(sqlite_db, meters=2)
    with sqlite_db.write() as s:                      # the second meter is a CJ/T 188 water meter
        s.execute(sa.update(Meter).where(Meter.id == site.meters[1]).values(protocol="cjt188", kind="water"))
    page = ControlPage(StationSession(sqlite_db, root, "T"))
    qtbot.addWidget(page)
    page.refresh()
    qtbot.waitUntil(lambda: page.meters.rowCount() == 2 and page.offered is not None, timeout=5000)

    def enabled(action):
        return page.action.model().item(page.action.findData(action)).isEnabled()

    page.select_meters(site.meters[1:])
    page.action.setCurrentIndex(page.action.findData("trip"))
    assert not enabled("trip") and not enabled("sync_clock") and not enabled("price")
    assert enabled("valve-close") and enabled("read")
    assert not page.send_button.isEnabled()
    page.select_meters(site.meters[:1])
    assert enabled("trip") and enabled("price") and enabled("sync_clock") and not enabled("valve-close")
    assert page.send_button.isEnabled()
    tasks.wait_idle()
