"""A power-quality alarm names the meter's account (number and customer), as the other alarms
do: the simulated DL/T 645 meters are polled over a real TCP socket, the batch hook raises the
alarms, and the alarms page shows the account and the customer of the meter that has one."""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from billing import alarm_log
from billing.quality_thresholds import Limits, set_thresholds
from models.automation import Alarm
from tests.billing.automation.conftest import (
    Clock,
    add_link,
    add_meter,
    local,
    open_prepaid,
    runtime,
)
from tests.billing.automation.timed_helpers import tag_meters
from ui import tasks
from ui.pages.alarms_page import AlarmsPage
from ui.session import StationSession

A1, A2 = "000000000001", "000000000002"
LIVE = ("energy", "relay", "voltage", "current", "power")


def test_power_quality_alarm_names_the_account(qtbot, db, superadmin, bus_sim, sim_clock):
    server = bus_sim(f"dlt645-2007:{A1}-{A2}/kw=1")
    link = add_link(db, server.url)
    m1, m2 = add_meter(db, link, A1), add_meter(db, link, A2)
    account = open_prepaid(db, superadmin, [m1], name="王伟", arrears="never")   # m2: a vacant room
    tag_meters(db, "area:一号楼", [m1, m2])
    set_thresholds(db, superadmin, "tag:area:一号楼", Limits(over_voltage=Decimal("253")))
    server.bus.meter(A1).voltage = Decimal("258.3")
    server.bus.meter(A2).voltage = Decimal("260.0")
    rt = runtime(db, Clock(local(2026, 11, 20, 10, 0)), quantities=LIVE)
    try:
        sim_clock.advance(600)
        rt.run_once()
    finally:
        rt.stop()
    with db.read() as s:
        raised = s.execute(sa.select(Alarm.kind, Alarm.account_id).where(Alarm.kind == "over_voltage")).all()
    assert len(raised) == 2 and sorted(a is not None for _k, a in raised) == [False, True]
    rows = {r.meter: r for r in alarm_log.list_alarms(db, superadmin, open_only=True) if r.kind == "over_voltage"}
    assert (rows[m1].account, rows[m1].customer) == (account, "王伟")
    assert (rows[m2].account, rows[m2].customer) == ("", "")
    page = AlarmsPage(StationSession(db, superadmin, "T"))
    qtbot.addWidget(page)
    page.refresh()
    qtbot.waitUntil(lambda: page.tree.topLevelItemCount() > 0, timeout=5000)
    shown = {}
    for t in range(page.tree.topLevelItemCount()):
        top = page.tree.topLevelItem(t)
        for i in range(top.childCount()):
            child = top.child(i)
            shown[(child.text(5), child.text(1))] = (child.text(3), child.text(4))
    over = alarm_log.KIND_TITLES["over_voltage"]
    assert shown[(m1, over)] == (account, "王伟")
    assert shown[(m2, over)] == ("", "")
    tasks.wait_idle()
