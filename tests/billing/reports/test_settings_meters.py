"""Settings → Meters, offscreen: states in words (unreachable too), the options dialog checks
values as the CLI does and saves through the service (password masked, kept unless typed over)."""
from __future__ import annotations

import json

import sqlalchemy as sa

from archive import service as svc
from models.archive import Meter
from tests.billing.reports.test_settings import _saved, _tab


def test_meter_options_dialog_and_states(qtbot, gui_db, gui_root):
    from ui.pages.settings_meters_tab import MetersTab
    from ui.widgets.meter_options_dialog import MeterOptionsDialog

    svc.add_link(gui_db, gui_root, "bus1", "tcp://10.0.0.9:8001")
    svc.add_meter(gui_db, gui_root, "E1", address="1", link="bus1", options={"password": "123456"})
    svc.add_meter(gui_db, gui_root, "G1", address="00000000000011", link="bus1", protocol="cjt188", kind="gas")
    with gui_db.write() as s:
        s.execute(sa.update(Meter).where(Meter.number == "E1").values(comm_state="unreachable"))
    tab = _tab(qtbot, MetersTab, gui_db, gui_root)
    qtbot.waitUntil(lambda: tab.model.rowCount() == 2, timeout=5000)
    cells = [[tab.model.index(r, c).data() for c in range(6)] for r in range(2)]
    assert cells[0][4] == "Unreachable (link lost)" and cells[0][5] == "password=******"
    assert cells[1][4] == "Not read yet"

    dlg = MeterOptionsDialog("G1", "cjt188", {}, tab)
    qtbot.addWidget(dlg)
    assert "password" not in dlg.fields and "meter_type" in dlg.fields       # only what a CJ/T 188 meter takes
    dlg.fields["meter_type"].setText("3")
    assert not dlg.check() and "meter_type=3 is not valid" in dlg.problem.text()
    dlg.fields["meter_type"].setText("30")
    dlg.fields["timeout"].setText("2")
    assert dlg.check() and dlg.changes() == {"meter_type": "30", "timeout": "2"}
    tab.view.selectRow(1)
    tab.edit_options(dlg)
    _saved(qtbot, tab)
    with gui_db.read() as s:
        stored = dict(s.execute(sa.select(Meter.number, Meter.options)).all())
    assert json.loads(stored["G1"]) == {"meter_type": "30", "timeout": "2"}
    assert json.loads(stored["E1"]) == {"password": "123456"}

    e1 = MeterOptionsDialog("E1", "dlt645-2007", {"password": "123456"}, tab)
    qtbot.addWidget(e1)
    e1.fields["operator"].setText("12345678")
    assert e1.changes() == {"operator": "12345678"}                           # the password kept as it is
