"""The station's time zone (the database setting station.timezone, models/station_time.py): day
boundaries of billing, reports and schedules are the database's, whatever zone the computer (TZ)
is in and whatever a station's own settings file says."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from models import settings, station_time
from models.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[2]

# Day boundaries as each room computes them: reports' periods, the jobs' local days and times,
# the ledger's daily rows, a reading schedule's day, the tariff engine's wall clock.
PROBE = """
import json, os
from datetime import date, datetime, timezone
from models.db import Database
db = Database.open(os.environ["METERSTATION_DB"]) if os.environ.get("METERSTATION_DB") else None
from billing.reports import takings as reports
from billing.automation import calendar, periods
from models import ledger_daily, station_time
from billing.tariffs import engine as tariff_pricing
at = datetime(2026, 11, 30, 17, 30, tzinfo=timezone.utc)     # 01:30 on Dec 1st in Shanghai
lo, hi = reports.utc_bounds(date(2026, 11, 1), date(2026, 11, 30))
print(json.dumps({
    "zone": str(station_time.zone()),
    "report": [lo.isoformat(), hi.isoformat()],
    "job_at": calendar.local_at(date(2026, 12, 1), "02:30").isoformat(),
    "daily": [o.due.isoformat() for o in periods.daily("j", "00:10", at, 2)],
    "ledger_day": ledger_daily.local_day(at).isoformat(),
    "job_day": station_time.day_of(at).isoformat(),
    "wall": tariff_pricing._local(at, "t").isoformat(),
}))
"""


def _station(tmp_path: Path, zone: str | None = None) -> str:
    """A station database (SQLite) with its zone set (None: never set, the default)."""
    from tests.zones import open_with_zone

    name = str(zone).replace("/", "-")
    url = f"sqlite:///{tmp_path / f'station-{name}.db'}"
    open_with_zone(url, zone).dispose()
    return url


def _probe(tmp_path: Path, tz: str, url: str | None, file_zone: str | None = None,
           stderr: list[str] | None = None) -> dict[str, object]:
    """The probe's days in a process of its own under TZ=tz on the database url (None: none
    opened), whose station settings file names file_zone (the zone's place before 0013)."""
    cfg = tmp_path / f"cfg-{len(list(tmp_path.iterdir()))}"
    cfg.mkdir()
    if file_zone is not None:
        (cfg / "settings.json").write_text(json.dumps({"station.timezone": file_zone}), encoding="utf-8")
    env = dict(os.environ, TZ=tz, METERSTATION_CONFIG_DIR=str(cfg), PYTHONPATH=str(ROOT))
    env.pop("METERSTATION_DB", None)
    if url is not None:
        env["METERSTATION_DB"] = url
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    if stderr is not None:
        stderr.append(out.stderr)
    result: dict[str, object] = json.loads(out.stdout)
    return result


def test_the_same_days_under_any_computer_zone(tmp_path):
    url = _station(tmp_path)
    in_utc, in_shanghai = _probe(tmp_path, "UTC", url), _probe(tmp_path, "Asia/Shanghai", url)
    assert in_utc == in_shanghai
    assert in_utc == {
        "zone": "Asia/Shanghai",
        "report": ["2026-10-31T16:00:00+00:00", "2026-11-30T16:00:00+00:00"],
        "job_at": "2026-11-30T18:30:00+00:00",
        "daily": ["2026-11-30T16:10:00+00:00", "2026-11-29T16:10:00+00:00"],
        "ledger_day": "2026-12-01", "job_day": "2026-12-01",
        "wall": "2026-12-01T01:30:00"}


def test_the_databases_zone_moves_the_days_of_every_station_on_it(tmp_path):
    """A database set to UTC draws its days at UTC midnight, whatever TZ says and whatever a
    station's own settings file still says (the zone's place before 0013): one zone for the
    daily totals every station on the database adds to."""
    url = _station(tmp_path, "UTC")
    told: list[str] = []
    in_utc = _probe(tmp_path, "Asia/Shanghai", url, file_zone="Asia/Urumqi", stderr=told)
    assert in_utc["zone"] == "UTC"
    assert in_utc["report"] == ["2026-11-01T00:00:00+00:00", "2026-12-01T00:00:00+00:00"]
    assert in_utc["ledger_day"] == in_utc["job_day"] == "2026-11-30"
    assert "settings file says Asia/Urumqi, ignored" in told[0]
    assert _probe(tmp_path, "UTC", url) == in_utc                      # another station, no file


def test_a_process_without_a_database_says_it_uses_the_default(tmp_path):
    """Without a database the default zone is used (and not remembered), with a warning; a
    process that opens one — models.settings never imported — reads the database's zone."""
    told: list[str] = []
    alone = _probe(tmp_path, "UTC", None, file_zone="UTC", stderr=told)
    assert alone["zone"] == "Asia/Shanghai" and "no station database is open yet" in told[0]
    probe = ("import os, sys\nfrom models.db import Database\nfrom models import ledger_daily, station_time\n"
             "assert station_time.zone().key == 'Asia/Shanghai'\n"
             "db = Database.open(os.environ['METERSTATION_DB'])\n"
             "print(station_time.zone().key, ledger_daily.utc_offset_minutes(), 'models.settings' in sys.modules)")
    env = dict(os.environ, TZ="Asia/Shanghai", PYTHONPATH=str(ROOT), METERSTATION_DB=_station(tmp_path, "UTC"))
    out = subprocess.run([sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["UTC", "0", "False"]


def test_the_zone_setting_is_checked_and_reread(db, superadmin):
    assert settings.get(db, "station.timezone") == "Asia/Shanghai"
    for bad in ("Mars/Olympus", "", "../../etc/passwd", " Asia/Shanghai", "UTC+8"):
        with pytest.raises(InvalidInput):
            settings.coerce("station.timezone", bad)
    with pytest.raises(InvalidInput):                # not a station's: the database's
        settings.set_local("station.timezone", "UTC")
    assert station_time.zone() == ZoneInfo("Asia/Shanghai")
    settings.put(db, superadmin, "station.timezone", "Asia/Urumqi")
    assert station_time.zone() == ZoneInfo("Asia/Urumqi")       # a change is seen at once
    assert station_time.at(date(2026, 1, 1), time(0, 0)) == datetime(2025, 12, 31, 18, tzinfo=UTC)
    assert station_time.now().utcoffset() == station_time.local(datetime.now(UTC)).utcoffset()
    assert station_time.today() == datetime.now(ZoneInfo("Asia/Urumqi")).date()


def test_naive_and_aware_instants():
    shanghai = ZoneInfo("Asia/Shanghai")
    aware = datetime(2026, 6, 1, 16, 0, tzinfo=UTC)
    assert station_time.local(aware) == datetime(2026, 6, 2, 0, 0, tzinfo=shanghai)
    assert station_time.wall(aware) == datetime(2026, 6, 2, 0, 0)
    assert station_time.wall(datetime(2026, 6, 2, 0, 0)) == datetime(2026, 6, 2, 0, 0)   # already local
    assert station_time.utc(datetime(2026, 6, 2, 0, 0)) == aware
    assert station_time.day_of(aware) == date(2026, 6, 2)
    assert station_time.utc_offset_minutes(aware) == 480
