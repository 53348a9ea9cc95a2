"""The windows draw the station's days, not the PC's: the same date filters (operation log,
alarm history, reports), the same searched bounds, the same default tariff start, the same
times in tables and on the status bar, whatever zone the computer (TZ) is in. Each run is a
process of its own (Qt and the C library read TZ once); the station's zone is the database's
(default Asia/Shanghai). Besides UTC and Asia/Shanghai, a third zone is chosen whose day is not
the station's at this moment, so the comparison has a different PC day to catch whenever it runs."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[3]
STATION = ZoneInfo("Asia/Shanghai")

PROBE = r'''
import json, os, sys
from datetime import UTC, datetime
from PySide6.QtWidgets import QApplication
app = QApplication([])
from access import login as auth
from billing import alarm_log
from comms import events as ev
from models.db import Database
from printing import formatting
from ui import tasks
from ui.bridge import EventBridge
from ui.pages.alarms_page import AlarmsPage
from ui.pages.log_tab import LogTab
from ui.pages.report_table import cell_text
from ui.pages.reports_page import ReportsPage
from ui.pages.settings_tariffs_tab import VersionDialog
from ui.session import StationSession

db = Database.open(os.environ["METERSTATION_DB"])
session = StationSession(db, auth.login(db, "root", "secret-1", "T"), "T")
day = lambda q: q.toPython().isoformat()
log = LogTab(session)
f = log._filters()
rows = log._query(f, 500)
alarms = AlarmsPage(session)
searched = []
from billing import alarm_pages
alarm_pages.open_window = lambda db, actor, f: searched.append({"since": f.since, "until": f.until}) or \
    alarm_pages.Window(f, None, 0, 0)
alarms.search_history()
tasks.wait_idle()
reports = ReportsPage(session)
tariffs = VersionDialog(["flat"])
bus = ev.EventBus()
bridge = EventBridge(bus, None, flush_ms=10_000)
bus.publish(ev.READING, meter_id=1, values={})
bridge.flush()
at = datetime(2026, 11, 30, 17, 30, 5, tzinfo=UTC)          # 01:30:05 on Dec 1st in Shanghai
print(json.dumps({
    "log": [day(log.since.date()), day(log.until.date()), f["since"].isoformat(), f["until"].isoformat()],
    "log_first_row": [rows[-1][0], rows[-1][1]],
    "alarms": [day(alarms.since.date()), day(alarms.until.date()), searched[0]["since"].isoformat(),
               searched[0]["until"].isoformat()],
    "reports": [day(reports.since.date()), day(reports.until.date())],
    "tariff_start": tariffs.effective.dateTime().toPython().strftime("%Y-%m-%d"),
    "status_hour": bridge.status()["last_reading"][:2],
    "shown": [cell_text(at, "text"), formatting.when(at)],
}))
bridge.close()
tasks.wait_idle()
db.dispose()
'''


def _run(tz: str, url: str, cfg: Path) -> dict:
    env = dict(os.environ, TZ=tz, PYTHONPATH=str(ROOT), METERSTATION_DB=url, METERSTATION_CONFIG_DIR=str(cfg),
               QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=ROOT, capture_output=True, text=True,
                         timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]
    result: dict = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _far_zone() -> str:
    """A zone whose calendar day differs from the station's now (UTC-12 unless the station's
    clock is past 20:00, then UTC+14)."""
    return "Etc/GMT+12" if datetime.now(STATION).hour < 20 else "Pacific/Kiritimati"


def test_the_pages_draw_the_stations_days_under_any_computer_zone(tmp_path):
    from tests.zones import open_with_zone

    url = f"sqlite:///{tmp_path / 'station.db'}"
    db = open_with_zone(url, None)                        # the station's zone: the default
    with db.read() as s:
        from models.oplog import OpLogEntry

        first_at = s.get(OpLogEntry, 1).at                # the first log row (the first operator made)
    db.dispose()
    cfg = Path(os.environ["METERSTATION_CONFIG_DIR"])     # the station key the log is keyed with
    far = _far_zone()
    today = datetime.now(STATION).date()
    assert datetime.now(ZoneInfo(far)).date() != today    # the PC's day is another day there
    runs = {tz: _run(tz, url, cfg) for tz in ("UTC", "Asia/Shanghai", far)}
    if datetime.now(STATION).date() != today:            # the station's midnight passed meanwhile
        today = datetime.now(STATION).date()
        runs = {tz: _run(tz, url, cfg) for tz in ("UTC", "Asia/Shanghai", far)}
    hours = {r.pop("status_hour") for r in runs.values()}
    first, *others = runs.values()
    assert all(r == first for r in others), json.dumps(runs, indent=1)
    month_start = today.replace(day=1)

    def midnight(d: date) -> str:
        return datetime.combine(d, datetime.min.time(), tzinfo=STATION).astimezone(UTC).isoformat()

    assert first["log"] == [(today - timedelta(days=30)).isoformat(), today.isoformat(),
                            midnight(today - timedelta(days=30)), midnight(today + timedelta(days=1))]
    assert first["alarms"] == first["log"]
    assert first["reports"] == [month_start.isoformat(), today.isoformat()]
    assert first["tariff_start"] == (today + timedelta(days=1)).isoformat()
    assert first["shown"] == ["2026-12-01 01:30", "2026-12-01 01:30:05"]
    assert len(hours) == 1 or datetime.now(STATION).minute == 0          # the same clock on the status bar
    assert hours <= {datetime.now(STATION).strftime("%H"), (datetime.now(STATION) - timedelta(minutes=5))
                     .strftime("%H")}
    assert first["log_first_row"] == [1, first_at.astimezone(STATION).strftime("%Y-%m-%d %H:%M:%S")]
