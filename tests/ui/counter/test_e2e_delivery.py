"""End to end with a simulated meter: an account in arrears whose meter's relay is open; the
cashier sells at the counter; the station runtime (station.runtime.StationRuntime,
started by ui.bridge.RuntimeHost as the GUI does: in its child process, and in process) delivers
the relay close through the outbox; the simulated relay closes and the card shows "delivered",
live through the event bridge. Through the child, the sale's wake() is a command line on the
child's stdin and the delivery's events come back over its stdout."""
from __future__ import annotations

import gc
import os
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt

import station.runtime  # noqa: F401 - imported here, not first in a worker thread
from archive import service as svc
from billing.accounts_open import MeterOpening, open_account
from comms.simulator import Bus, TcpSimulator
from comms.simulator.spec import SimulatorSpec
from tests.billing import factories
from tests.ui.counter.test_counter import _find, type_text
from ui import tasks
from ui.bridge import RuntimeHost
from ui.main_window import MainWindow
from ui.session import StationSession

ADDR = "000000000007"


@pytest.fixture(params=["station-prepaid", "meter-prepaid"])
def mode(request):
    return request.param


@pytest.fixture(params=["child", "in-process"])
def where(request):
    return request.param


@pytest.fixture
def sim(mode):
    prepaid = "/prepaid=1/balance=0" if mode == "meter-prepaid" else ""
    server = TcpSimulator(Bus(SimulatorSpec.parse(f"dlt645-2007:{ADDR}{prepaid}/kw=0").build(), baud=19200,
                              latency=0.002))
    yield server
    server.stop()


@pytest.fixture
def arrears_account(station, sim, mode):
    """Meter E7 on bus1 (the simulator), an open account at 0.00 whose relay is open."""
    db, root = station
    svc.add_link(db, root, "bus1", sim.url)
    rooms = factories.place(db)
    svc.add_meter(db, root, "E7", address=ADDR, link="bus1", protocol="dlt645-2007", kind="electricity",
                  profile="meterstation-sim-dlt645" if mode == "meter-prepaid" else "")
    factories.flat_tariff(db, root)
    factories.customer(db, "陈七")
    acc = open_account(db, root, "陈七", [MeterOpening("E7", None)], room=rooms[0],   # first poll's reading
                       mode=mode, tariff="flat")
    meter = sim.bus.meter(ADDR)
    meter.relay_open = meter.command_open = True          # tripped for arrears
    return db, root, acc


def test_sale_closes_the_simulated_relay(qtbot, arrears_account, sim, mode, where):
    db, root, acc = arrears_account
    session = StationSession(db, root, "T")
    host = RuntimeHost(session, run_jobs=False, in_process=where == "in-process",
                       worker_options={"retry_base": 1.0})
    try:
        win = MainWindow(session)
        qtbot.addWidget(win)
        win.show()
        page = win.page("counter")
        page.printer.show_preview = False
        gc.collect()                                  # see conftest: no Qt garbage for a worker to collect
        host.start()
        qtbot.waitUntil(lambda: "runtime" in session.services, timeout=15000)
        if where == "child":                          # the runtime really is another process
            assert session.services["runtime"].pid not in (None, os.getpid())
        _find(qtbot, page, "陈七", acc.number)
        assert page.card.level == "arrears"
        type_text(qtbot, page.sale.amount, "30")
        qtbot.keyClick(page.sale.amount, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: page.sale.confirm_box is not None, timeout=5000)
        qtbot.keyClick(page.sale.confirm_box, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: bool(page.delivery.items), timeout=5000)
        items = list(page.delivery.items)            # station-side: close; meter-side: recharge, close
        assert len(items) == (2 if mode == "meter-prepaid" else 1)
        over = ("done", "failed", "expired")
        qtbot.waitUntil(lambda: all(page.delivery.state_of(i) in over for i in items)
                        or any(page.delivery.state_of(i) in over[1:] for i in items), timeout=20000)
        assert [page.delivery.state_of(i) for i in items] == ["done"] * len(items)
        assert not sim.bus.meter(ADDR).relay_open
        if mode == "meter-prepaid":                  # the purchase is in the meter, applied once
            assert sim.bus.meter(ADDR).balance == Decimal("30") and sim.bus.meter(ADDR).purchase_count == 1
        texts = [page.delivery.list.item(i).text() for i in range(page.delivery.list.count())]
        assert texts and all("delivered" in t for t in texts)
        assert page.delivery.events_seen >= 1                 # live: the bridge told us
        qtbot.waitUntil(lambda: page.card.balance == Decimal("30.00"), timeout=5000)
    finally:
        host.stop()
        tasks.wait_idle()
