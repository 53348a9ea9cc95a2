"""The time zone is the database's (setting station.timezone), not a station's: the daily totals
of the ledger (ledger_daily) are shared by every station on the database. An administrator sets
it before the first sale; once the ledger has entries it is fixed (one translated refusal,
logged); a cashier may never change it. Migration 0013 carries a station file's zone into the
database. SQLite and PostgreSQL."""
from __future__ import annotations

import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from access import login as auth
from access import operators as ops
from billing import sales
from models import migrate, oplog, settings, station_time
from models.errors import Conflict, InvalidInput, PermissionDenied
from models.settings_store import SettingRow
from resources import i18n
from tests.billing import factories

ZONE = "station.timezone"


@pytest.fixture
def team(db, superadmin):
    for name, role in (("ann", "admin"), ("cas", "cashier")):
        ops.add_operator(db, superadmin, name, "pass-123", role)
    return {"root": superadmin, "ann": auth.login(db, "ann", "pass-123", "TEST"),
            "cas": auth.login(db, "cas", "pass-123", "TEST")}


def _last(db, n: int = 1):
    with db.read() as s:
        return list(oplog.search(s, limit=n))


def _stored(db):
    with db.read() as s:
        row = s.get(SettingRow, ZONE)
        return None if row is None else json.loads(row.value)


def _a_sale(db, actor) -> None:
    room = factories.place(db)[0]
    factories.flat_tariff(db, actor, "居民电价", "0.5283")
    view = factories.account(db, actor, tariff="居民电价", room_id=room)
    sales.sell(db, actor, view.number, Decimal("50"))


def test_an_administrator_sets_the_zone_before_the_first_sale(db, team):
    assert station_time.zone() == ZoneInfo("Asia/Shanghai")
    settings.put(db, team["ann"], ZONE, "Asia/Urumqi")
    assert _stored(db) == "Asia/Urumqi" and settings.get(db, ZONE) == "Asia/Urumqi"
    assert station_time.zone() == ZoneInfo("Asia/Urumqi")          # this process draws its days in it now
    row = _last(db)[0]
    assert (row.action, row.operator, row.target) == ("setting.change", "ann", ZONE)
    assert json.loads(row.details) == {"old": None, "new": "Asia/Urumqi"}
    assert settings.all_db_settings(db)[ZONE] == "Asia/Urumqi"      # shown with the database's settings


def test_a_cashier_can_never_change_it(db, team):
    """A hostile cashier: refused by right before the ledger is even looked at, logged, unchanged
    — through the service and through the Settings form's service (save_settings)."""
    from billing.settings_service import save_settings

    for attempt in (lambda: settings.put(db, team["cas"], ZONE, "UTC"),
                    lambda: save_settings(db, team["cas"], {ZONE: "UTC"})):
        with pytest.raises(PermissionDenied):
            attempt()
        row = _last(db)[0]
        assert (row.action, row.operator) == ("denied", "cas")
        assert _stored(db) is None and station_time.zone() == ZoneInfo("Asia/Shanghai")
    with pytest.raises(InvalidInput):                           # nor behind the service's back
        settings.set_local(ZONE, "UTC")
    assert station_time.zone() == ZoneInfo("Asia/Shanghai")


def test_fixed_once_the_ledger_has_entries(db, team):
    settings.put(db, team["root"], ZONE, "Asia/Urumqi")
    _a_sale(db, team["root"])
    for who in ("ann", "root"):                                     # not even the super admin
        with pytest.raises(Conflict) as refused:
            settings.put(db, team[who], ZONE, "UTC")
        assert "cannot be changed once the ledger has entries" in str(refused.value)
        assert "Asia/Urumqi" in str(refused.value)
        row = _last(db)[0]
        assert (row.action, row.operator, row.target) == ("denied", who, ZONE)
        details = json.loads(row.details)
        assert details["action"] == "setting.change" and details["new"] == "UTC"
        assert details["reason"] == str(refused.value)
    assert _stored(db) == "Asia/Urumqi" and station_time.zone() == ZoneInfo("Asia/Urumqi")
    with pytest.raises(PermissionDenied):                           # the cashier: the right first
        settings.put(db, team["cas"], ZONE, "UTC")
    settings.put(db, team["ann"], ZONE, "Asia/Urumqi")             # the same zone again: nothing moves
    with db.read() as s:
        assert oplog.verify(s).ok


def test_the_refusal_is_one_chinese_sentence(db, team):
    _a_sale(db, team["root"])
    i18n.set_language("zh_CN")
    with pytest.raises(Conflict) as refused:
        settings.put(db, team["ann"], ZONE, "UTC")
    assert str(refused.value) == "台账已有记录，时区不能再更改：已按 Asia/Shanghai 计算的日汇总、报表和收据将对不上"


def test_the_command_line_refuses_in_one_line(cli):
    assert cli("settings", "set", ZONE, "Asia/Urumqi")[0] == 0
    code, out, _ = cli("settings", "show", "--json")
    assert json.loads(out)["settings"][ZONE] == "Asia/Urumqi"
    from models.db import Database

    db = Database.open(cli.url)
    try:
        _a_sale(db, auth.login(db, "root", "secret-1", "TEST"))
    finally:
        db.dispose()
    code, out, err = cli("settings", "set", ZONE, "UTC")
    assert code == 1 and err.strip().count("\n") == 0 and "once the ledger has entries" in err


def _to(db, revision: str, down: bool) -> None:
    from alembic import command

    cfg = migrate._config()
    with db.writer.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def test_migration_0013_carries_the_upgrading_stations_zone(db, superadmin, station_config):
    """A station that kept Asia/Urumqi in its file before 0013 keeps drawing its days there: the
    upgrade stores it in the database, logged by "system" in the chain; a database that has a
    zone keeps it; a station without a file value stores nothing (the default stays)."""
    _to(db, "0012", down=True)
    migrate.upgrade(db)
    assert _stored(db) is None                                       # no file value: nothing written
    _to(db, "0012", down=True)
    station_config.mkdir(exist_ok=True)
    (station_config / "settings.json").write_text(json.dumps({ZONE: "Asia/Urumqi"}), encoding="utf-8")
    migrate.upgrade(db)
    assert _stored(db) == "Asia/Urumqi"
    # the zone's row, then the later migrations' own rows (0014 adds a rights.upgrade row)
    row = next(r for r in _last(db, 5) if r.action != "rights.upgrade")
    assert (row.action, row.operator, row.target) == ("setting.change", "system", ZONE)
    assert json.loads(row.details)["new"] == "Asia/Urumqi"
    with db.read() as s:
        assert oplog.verify(s).ok
    station_time.use_database(db)
    assert station_time.zone() == ZoneInfo("Asia/Urumqi")
    _to(db, "0012", down=True)                                       # the database's zone wins over a file's
    (station_config / "settings.json").write_text(json.dumps({ZONE: "UTC"}), encoding="utf-8")
    migrate.upgrade(db)
    assert _stored(db) == "Asia/Urumqi"
    with db.read() as s:
        assert s.execute(sa.select(sa.func.count()).select_from(oplog.OpLogEntry)
                         .where(oplog.OpLogEntry.target == ZONE)).scalar_one() == 1


def test_a_station_that_read_the_zone_before_another_set_it_books_in_the_new_one(db, team):
    """Station B read the zone (the default) before station A's administrator set it, while the
    ledger was empty: B's first sale books its daily total on the database's day, not its stale
    one, and B draws its days in the new zone from then on. The zone is chosen so that its day
    differs from the default zone's day now."""
    from datetime import datetime

    from models.ledger_daily import LedgerDaily

    far = "Etc/GMT+12" if datetime.now(ZoneInfo("Asia/Shanghai")).hour < 20 else "Pacific/Kiritimati"
    station_time.use_database(db)
    assert station_time.zone() == ZoneInfo("Asia/Shanghai")          # B has read the default
    settings.put(db, team["ann"], ZONE, far)                          # A's administrator sets the zone
    station_time.confirm("Asia/Shanghai", settled=False)              # ... which B, another process, missed
    _a_sale(db, team["root"])                                         # B's first sale
    with db.read() as s:
        days = set(s.execute(sa.select(LedgerDaily.day)).scalars())
    assert days == {datetime.now(ZoneInfo(far)).date()} and station_time.zone() == ZoneInfo(far)
    assert station_time.settled() is False                            # that was the ledger's first entry
    _a_sale(db, team["root"])
    assert station_time.settled() is True                             # now it cannot change: not checked again


def test_a_change_racing_the_first_sale_waits_for_it_and_is_refused(db, team, monkeypatch):
    """The first sale has inserted its entry and not committed yet when an administrator changes
    the zone: the change waits for the sale (PostgreSQL: the ledger's SHARE lock; SQLite: the
    write lock) and, the entry committed, is refused — no entry is ever booked in a zone that
    changed under it."""
    import threading

    from models import ledger_daily

    room = factories.place(db)[0]
    factories.flat_tariff(db, team["root"], "居民电价", "0.5283")
    view = factories.account(db, team["root"], tariff="居民电价", room_id=room)
    inside, release = threading.Event(), threading.Event()
    real = ledger_daily.confirm_zone

    def paused(session, entries):                 # the sale's entry is in, uncommitted
        inside.set()
        assert release.wait(30)
        real(session, entries)
    monkeypatch.setattr(ledger_daily, "confirm_zone", paused)
    outcome: dict[str, object] = {}

    def sell() -> None:
        outcome["sale"] = sales.sell(db, team["root"], view.number, Decimal("50"))

    def change() -> None:
        try:
            settings.put(db, team["ann"], ZONE, "UTC")
            outcome["change"] = "done"
        except Conflict as e:
            outcome["change"] = e

    seller = threading.Thread(target=sell, name="sale")
    seller.start()
    try:
        assert inside.wait(30)
        changer = threading.Thread(target=change, name="zone-change")
        changer.start()
        changer.join(1.0)
        assert changer.is_alive(), "the change did not wait for the sale in flight"
    finally:
        release.set()
        seller.join(30)
    changer.join(30)
    assert "sale" in outcome and isinstance(outcome["change"], Conflict)
    assert _stored(db) is None and settings.get(db, ZONE) == "Asia/Shanghai"
