"""The receipt printer is chosen in the window (Settings → 站点), found in the real-window walk:
the overview listed 票据打印机 but no editor had it, so printing to the counter's printer needed
`meterstation settings set station.printer NAME` at a command line. Saved like the tab's other
settings (settings_edit, logged as a station-local change)."""
from __future__ import annotations

import sqlalchemy as sa

from models import settings
from models.oplog import OpLogEntry
from tests.billing.reports.test_settings import _saved, _tab


def test_the_station_tab_sets_the_receipt_printer(qtbot, gui_db, gui_root):
    from ui.pages.settings_station_tab import StationEditTab

    st = _tab(qtbot, StationEditTab, gui_db, gui_root)
    field = st.fields["station.printer"]
    field.setText("MeterStation-counter")
    st.submit()
    _saved(qtbot, st)
    assert settings.get_local("station.printer") == "MeterStation-counter"
    with gui_db.read() as s:
        targets = s.execute(sa.select(OpLogEntry.target).where(OpLogEntry.action == "setting.change")).scalars()
        assert "station.printer" in list(targets)
    st.refresh()
    qtbot.waitUntil(lambda: field.text() == "MeterStation-counter", timeout=5000)
