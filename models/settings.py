"""Every setting declared once: key, type, default, description, where it lives, validator.

Station-local settings (database URL, language, station name, printer) live in a JSON file in
the user's config folder, written by atomic replace. Business settings (company name, receipt
layout, thresholds, the time zone) live in the database, shared by all stations, and every
change is logged.

The time zone (station.timezone) is the database's, not a station's: the daily totals of the
ledger (models/ledger_daily.py) are shared by every station on the database and drawn in it. It
is set before the first sale and refused once the ledger has entries (ZONE_FIXED).
"""
from __future__ import annotations

import json
import os
import socket
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models import station_time, zone_store
from models.errors import Conflict, InvalidInput, NotFound
from models.station_paths import config_dir as config_dir  # re-exported: settings.config_dir() is used widely
from models.zone_store import zone_ok as zone_ok  # re-exported: the zone's check
from resources.i18n import LANGS, N_, _

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from models.db import Database
    from models.rights import Actor

# The database side (SQLAlchemy, the log) is imported by the functions that use it: the
# station-local settings are read before every command, `meterstation --help` included.


@dataclass(frozen=True)
class Setting:
    key: str
    type: type
    default: Any
    description: str
    local: bool                                  # True: station file; False: database
    check: Callable[[Any], bool] = lambda v: True
    right: str = "settings_edit"                 # the right needed to change it (models/rights.py)


def _hhmm_ok(v: str) -> bool:
    import re

    m = re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)", v)
    return m is not None


def _quiet_ok(v: str) -> bool:
    if not v:
        return True
    start, sep, end = v.partition("-")
    return bool(sep) and _hhmm_ok(start.strip()) and _hhmm_ok(end.strip())


def _money_limit_ok(v: str) -> bool:
    """A positive amount of yuan with at most 2 decimals (money.max_amount)."""
    from decimal import Decimal, InvalidOperation

    try:
        d = Decimal(v.strip())
    except (InvalidOperation, ValueError):
        return False
    return d.is_finite() and 0 < d <= Decimal("100000000") and d == d.quantize(Decimal("0.01"))


def _decimal_ok(v: str, low: str, high: str) -> bool:
    """A decimal number in [low, high] (a factor, an amount of energy)."""
    from decimal import Decimal, InvalidOperation

    try:
        d = Decimal(v.strip())
    except (InvalidOperation, ValueError):
        return False
    return d.is_finite() and Decimal(low) <= d <= Decimal(high)


def _amounts_ok(v: str) -> bool:
    from decimal import Decimal, InvalidOperation

    try:
        data = json.loads(v)
        return isinstance(data, dict) and all(isinstance(k, str) and Decimal(str(a)) >= 0
                                              for k, a in data.items())
    except (ValueError, InvalidOperation):
        return False


def _quick_ok(v: str) -> bool:
    parts = [p.strip() for p in v.split(",") if p.strip()]
    return len(parts) <= 8 and all(p.isdigit() and 0 < int(p) <= 100000 for p in parts)


def quick_amounts() -> list[int]:
    """The counter's quick amount buttons (station setting counter.quick_amounts)."""
    value = str(get_local("counter.quick_amounts") or "")
    return [int(p) for p in value.split(",") if p.strip()] if _quick_ok(value) else [50, 100, 200, 500]


def _layout_ok(v: str) -> bool:
    if not v:
        return True
    from models.errors import InvalidInput
    from models.receipt_layout import ReceiptLayout

    try:
        ReceiptLayout.from_json(v)
    except InvalidInput:
        return False
    return True


SETTINGS: dict[str, Setting] = {s.key: s for s in [
    Setting("station.name", str, "", N_("Name of this station in the operation log"), True,
            lambda v: len(v) <= 80),
    # choosing the database is swapping the station's books: only who may restore may do it
    Setting("station.db_url", str, "", N_("Database URL (empty: SQLite in the data folder)"), True,
            lambda v: len(v) <= 500 and not any(ord(c) < 32 for c in v), "restore"),
    Setting("station.language", str, "zh_CN", N_("Language of the windows and receipts"), True,
            lambda v: v in LANGS),
    # the database's, shared by every station on it; fixed once the ledger has entries (put)
    Setting("station.timezone", str, station_time.DEFAULT_ZONE,
            N_("Time zone of the station (IANA name such as Asia/Shanghai): billing days, reports, schedules "
               "and receipts"), False, lambda v: zone_ok(v)),
    Setting("station.printer", str, "", N_("Receipt printer (empty: save PDF / preview)"), True),
    Setting("counter.quick_amounts", str, "50,100,200,500",
            N_("Quick amount buttons at the counter (yuan, comma-separated)"), True, lambda v: _quick_ok(v)),
    Setting("station.runs_jobs", bool, True, N_("This station runs the scheduled jobs"), True),
    Setting("company.name", str, "", N_("Company name printed on receipts"), False,
            lambda v: len(v) <= 100),
    Setting("company.logo", str, "", N_("Company logo on the login screen (image file, copied to this station)"),
            True, lambda v: len(v) <= 500),
    Setting("receipt.paper", str, "continuous-241x93", N_("Receipt paper"), False,
            lambda v: v in ("continuous-241x93", "a4")),
    Setting("receipt.layout", str, "", N_("Receipt texts and fields (see the Receipt layout tab)"),
            False, lambda v: _layout_ok(v)),
    Setting("money.max_amount", str, "100000.00", N_("Largest amount of one sale or refund"), False,
            lambda v: _money_limit_ok(v)),
    Setting("security.lock_after", int, 5, N_("Failed logins before an operator is locked"), False,
            lambda v: 1 <= v <= 20),
    # --- the station's unattended work (billing/automation) ---------------------------------
    Setting("automation.job_station", str, "", N_("Station that runs the scheduled jobs (empty: any)"), False,
            lambda v: len(v) <= 80),
    Setting("automation.quiet_hours", str, "22:00-07:00",
            N_("Quiet hours without arrears trips, HH:MM-HH:MM (empty: none)"), False,
            lambda v: _quiet_ok(v)),
    Setting("automation.default_read_minutes", int, 30, N_("Minutes between readings of meters in no group"),
            False, lambda v: 1 <= v <= 1440),
    Setting("automation.frozen_daily_at", str, "00:10", N_("Time of day to collect frozen data"), False,
            lambda v: _hhmm_ok(v)),
    Setting("automation.clock_sync_at", str, "03:00", N_("Time of day to synchronise meter clocks"), False,
            lambda v: _hhmm_ok(v)),
    Setting("automation.subsidy_day", int, 1, N_("Day of the month monthly subsidies are granted"), False,
            lambda v: 1 <= v <= 28),
    Setting("automation.subsidy_time", str, "00:05", N_("Time of day monthly subsidies are granted"), False,
            lambda v: _hhmm_ok(v)),
    Setting("automation.subsidy_amounts", str, "{}",
            N_("Monthly subsidy per account type (JSON object: type -> amount)"), False,
            lambda v: _amounts_ok(v)),
    Setting("automation.subsidy_carry", str, "", N_("Account types that keep unspent subsidy (comma-separated)"),
            False, lambda v: len(v) <= 200),
    Setting("automation.postpaid_day", int, 1, N_("Day of the month postpaid accounts are billed"), False,
            lambda v: 1 <= v <= 28),
    Setting("automation.postpaid_time", str, "01:00", N_("Time of day postpaid accounts are billed"), False,
            lambda v: _hhmm_ok(v)),
    # --- abnormal-use alarms (billing/abnormal_use.py, a daily job) ---
    Setting("alarms.idle_days", int, 7, N_("Days without use before an occupied room raises an alarm"), False,
            lambda v: 1 <= v <= 28),
    Setting("alarms.spike_factor", str, "3", N_("A day's use above this many times the usual raises an alarm"),
            False, lambda v: _decimal_ok(v, "1", "100")),
    Setting("alarms.spike_min_kwh", str, "5", N_("Smallest day's use (kWh) that can count as unusually high"),
            False, lambda v: _decimal_ok(v, "0", "100000")),
    Setting("alarms.vacant_min_kwh", str, "0.5", N_("Use (kWh a day) that raises an alarm in a vacant room"),
            False, lambda v: _decimal_ok(v, "0", "100000")),
    # --- SMS notices and backups (billing/notices.py, comms/sms/, models/backup.py) ---
    Setting("sms.sender", str, "none", N_("How SMS notices are sent: none, modem or file"), True,
            lambda v: v in ("none", "modem", "file")),
    Setting("sms.port", str, "", N_("Serial port of the GSM modem (e.g. /dev/ttyUSB0 or COM3)"), True,
            lambda v: len(v) <= 200),
    Setting("sms.baud", int, 115200, N_("Baud rate of the GSM modem"), True,
            lambda v: v in (9600, 19200, 38400, 57600, 115200)),
    Setting("sms.file_dir", str, "", N_("Folder the file sender writes SMS notices to"), True),
    Setting("sms.template_low", str, "", N_("Text of the low-balance SMS (empty: built-in text; "
                                            "{customer} {account} {balance})"), False,
            lambda v: len(v) <= 300),
    Setting("sms.template_arrears", str, "", N_("Text of the arrears SMS (empty: built-in text; "
                                                "{customer} {account} {balance})"), False,
            lambda v: len(v) <= 300),
    Setting("backup.folder", str, "", N_("Folder of the scheduled backups (empty: backups in the data folder)"),
            True, right="backup"),
    Setting("backup.keep", int, 14, N_("How many scheduled backups to keep"), True,
            lambda v: 1 <= v <= 1000, "backup"),
    Setting("backup.at", str, "02:30", N_("Time of day of the scheduled backup (HH:MM)"), True,
            lambda v: _hhmm_ok(v), "backup"),
]}


def _local_file() -> Path:
    return config_dir() / "settings.json"


def _spec(key: str) -> Setting:
    if key not in SETTINGS:
        raise NotFound(_("There is no setting {key}").format(key=key))
    return SETTINGS[key]


def coerce(key: str, value: Any) -> Any:
    spec = _spec(key)
    try:
        if spec.type is bool and isinstance(value, str):
            value = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}[value.lower()]
        value = spec.type(value)
        ok = spec.check(value)
    except (KeyError, ValueError, TypeError):
        ok = False
    if not ok:
        raise InvalidInput(_("{value} is not a valid value for {key} ({description})").format(
            value=value, key=key, description=_(spec.description)))
    return value


def read_local() -> dict[str, Any]:
    try:
        data = json.loads(_local_file().read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _valid_or_default(spec: Setting, value: Any) -> Any:
    """A stored value as its declared type; one that no longer passes its check (written by an
    older version, or by hand) reads as the default instead of breaking whatever uses it."""
    try:
        return coerce(spec.key, value)
    except InvalidInput:
        return spec.default


def get_local(key: str) -> Any:
    spec = _spec(key)
    value = _valid_or_default(spec, read_local().get(key, spec.default))
    if key == "station.name" and not value:
        return socket.gethostname()[:80]
    return value


def set_local(key: str, value: Any) -> None:
    if not _spec(key).local:
        raise InvalidInput(_("{key} is a database setting").format(key=key))
    data = read_local()
    data[key] = coerce(key, value)
    folder = config_dir()
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".settings-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=2)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, _local_file())


ZONE = zone_store.KEY
ZONE_FIXED = N_("The time zone cannot be changed once the ledger has entries: the daily totals, reports and "
                "receipts already drawn in {zone} would no longer agree")


def _lock_ledger(session: Session) -> None:
    """Hold back new ledger entries until this transaction ends (the zone check and its change
    are one step): SQLite's writers already queue (BEGIN IMMEDIATE); PostgreSQL's SHARE lock
    waits for inserting transactions to commit and makes new ones wait; SQL Server's TABLOCK."""
    import sqlalchemy as sa

    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(sa.text("LOCK TABLE ledger_entries IN SHARE MODE"))
    elif dialect == "mssql":
        session.execute(sa.text("SELECT TOP 1 1 FROM ledger_entries WITH (TABLOCK, HOLDLOCK)"))


def _ledger_has_entries(session: Session) -> bool:
    import sqlalchemy as sa

    from models.ledger import LedgerEntry

    _lock_ledger(session)
    return session.execute(sa.select(LedgerEntry.id).limit(1)).first() is not None


def read(session: Session, key: str) -> Any:
    """THE settings reader: the value of `key` as its declared type, wherever it lives (the
    station file for local settings, else the database row read in the caller's session), the
    default when unset or no longer valid. Every service, job and page reads settings through
    this (or `get`, its own-session twin) — never a raw SettingRow."""
    spec = _spec(key)
    if spec.local:
        return get_local(key)
    from models.settings_store import SettingRow

    row = session.get(SettingRow, key)
    if row is None:
        return spec.default
    try:
        stored = json.loads(row.value)
    except ValueError:
        return spec.default
    return _valid_or_default(spec, stored)


def get(db: Database, key: str) -> Any:
    """`read` in a short read transaction of its own."""
    if _spec(key).local:
        return get_local(key)
    with db.read() as s:
        return read(s, key)


def put(db: Database, actor: Actor, key: str, value: Any) -> None:
    """Change a setting as `actor`: the setting's right is needed and the change is logged —
    station-local ones too (their file is written inside the logging transaction, so a refused
    or failed write leaves no log row, and a change never goes unlogged)."""
    from models.audit import audited, record
    from models.base import utcnow
    from models.settings_store import SettingRow

    spec = _spec(key)
    value = coerce(key, value)
    if spec.local:
        with audited(db, actor, "setting.change", key) as s:
            actor.require(spec.right)
            record(s, actor, "setting.change", key, {"old": get_local(key), "new": value, "local": True})
            set_local(key, value)
        return
    try:
        with audited(db, actor, "setting.change", key) as s:
            actor.require(spec.right)
            row = s.get(SettingRow, key)
            old = None if row is None else json.loads(row.value)
            if key == ZONE and value != read(s, key) and _ledger_has_entries(s):
                raise Conflict(_(ZONE_FIXED).format(zone=read(s, key)), setting=key, new=value)
            if row is None:
                row = SettingRow(key=key)
                s.add(row)
            row.value, row.updated_at, row.updated_by = json.dumps(value, ensure_ascii=False), utcnow(), actor.name
            record(s, actor, "setting.change", key, {"old": old, "new": value})
    except Conflict as refused:            # logged like a refused right, in a transaction of its own
        with db.write() as s:
            record(s, actor, "denied", key, {"action": "setting.change", "reason": str(refused), "new": value})
        raise
    if key == ZONE:
        station_time.forget()


def all_db_settings(db: Database) -> dict[str, Any]:
    import sqlalchemy as sa

    from models.settings_store import SettingRow

    with db.read() as s:
        stored = {r.key: json.loads(r.value) for r in s.execute(sa.select(SettingRow)).scalars()}
    return {k: stored.get(k, v.default) for k, v in SETTINGS.items() if not v.local}
