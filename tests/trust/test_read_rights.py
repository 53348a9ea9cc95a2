"""What an operator may READ: every command that shows station data needs a logged-in operator
holding the right the data needs, checked before anything is looked up, and a refusal is one
translated line, exit 1 and one `denied` row in the operation log — the read services log their
refusals as the write side does (models.audit.require_read).

The CLI cases share one station per backend (module-scoped: the real program in a subprocess
costs ≈ 1 s a call); the service cases run on the same station, each counting the rows it adds.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from models.errors import PermissionDenied
from models.oplog import OpLogEntry
from models.rights import RIGHTS
from tests.billing import factories

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ("hos", "pass-123")      # a role holding only log_view: none of the rights below
CASHIER = ("cas", "pass-123")      # sell, shift, meter_read, report_view
CLERK = ("clk", "pass-123")        # settings_edit alone (not backup)


class Station:
    def __init__(self, db, folder: Path, account: str, meter: str) -> None:
        self.db, self.folder, self.account, self.meter = db, folder, account, meter
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("METERSTATION_")}
        self.env.update({f"METERSTATION_{n}_DIR": str(folder / n.lower()) for n in ("CONFIG", "DATA", "LOG", "BILL")})
        self.env.update(METERSTATION_TEST_MODE="1", HOME=str(folder))

    def cli(self, *args: str, who: tuple[str, str] | None = HOSTILE) -> subprocess.CompletedProcess:
        env = dict(self.env)
        if who:
            env.update(METERSTATION_OPERATOR=who[0], METERSTATION_PASSWORD=who[1])
        return subprocess.run([sys.executable, str(ROOT / "app.py"), "--lang", "en", "--db", self.db.url, *args],
                              capture_output=True, text=True, env=env, cwd=self.folder, timeout=120)

    def denied(self) -> list[OpLogEntry]:
        with self.db.read() as s:
            rows = list(s.execute(sa.select(OpLogEntry).where(OpLogEntry.action == "denied")
                                  .order_by(OpLogEntry.seq)).scalars())
            s.expunge_all()
        return rows


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def station(request, tmp_path_factory):
    """root (super admin), hos (log_view only), cas (cashier), clk (settings_edit only); an open
    account with its meter, a reading schedule, a timed schedule and a tag."""
    from access import login as auth
    from access import operators
    from archive import places
    from billing.settings_service import ScheduleSpec, add_schedule
    from billing.timed.service import TimedSpec, add_timed
    from models.db import Database
    from tests.dbs import make_url

    folder = tmp_path_factory.mktemp(f"reads-{request.param}")
    url, cleanup = make_url(request.param, folder)
    with pytest.MonkeyPatch.context() as mp:       # the station key and folders: the module's own
        for name in ("CONFIG", "DATA", "LOG", "BILL"):
            mp.setenv(f"METERSTATION_{name}_DIR", str(folder / name.lower()))
        db = Database.open(url, upgrade=True)
        try:
            operators.create_first_operator(db, "root", "secret-1", "TEST")
            root = auth.login(db, "root", "secret-1", "TEST")
            operators.define_role(db, root, "hostile", "Hostile", ["log_view"])
            operators.define_role(db, root, "clerk", "Clerk", ["settings_edit"])
            operators.add_operator(db, root, "hos", "pass-123", "hostile")
            operators.add_operator(db, root, "cas", "pass-123", "cashier")
            operators.add_operator(db, root, "clk", "pass-123", "clerk")
            acc = factories.account(db, root)
            places.add_tag(db, root, "area", "east")
            add_schedule(db, root, ScheduleSpec(name="every meter"))
            add_timed(db, root, TimedSpec(name="night", tag="area:east", off_at="23:00", on_at="06:00"))
            yield Station(db, folder, acc.number, acc.meters[0])
        finally:
            db.dispose()
            if cleanup is not None:
                cleanup.drop()


def one_error(r) -> str:
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert r.returncode == 1 and len(lines) == 1 and "Traceback" not in r.stderr \
        and "internal error" not in r.stderr, (r.returncode, r.stderr)
    return lines[0]


# (command, the right it needs, the action its denied row names); ACCOUNT / METER: the station's
READS = [
    (("account", "show", "ACCOUNT"), "report_view", "account.show"),
    (("bill", "list", "ACCOUNT"), "report_view", "bill.list"),
    (("sell", "ACCOUNT", "10", "--method", "cash", "--preview"), "sell", "sale.preview"),
    (("read", "METER"), "meter_read", "meter.read"),
    (("tariff", "list"), "report_view", "tariff.list"),
    (("link", "list"), "report_view", "link.list"),
    (("meter", "list"), "report_view", "meter.list"),
    (("customer", "list"), "report_view", "customer.list"),
    (("building", "list"), "report_view", "building.list"),
    (("operator", "list"), "operator_admin", "operator.list"),
    (("role", "list"), "operator_admin", "role.list"),
    (("schedule", "list"), "settings_edit", "schedule.list"),
    (("alarm-threshold", "list"), "settings_edit", "quality.threshold_list"),
    (("settings", "show"), "settings_edit", "settings.show"),
    (("timed", "list"), "relay_control", "timed.list"),
    (("timed", "next"), "relay_control", "timed.next"),
]
IDS = ["-".join(a for a in args[:2] if a.isascii() and not a.isdigit() and a not in ("ACCOUNT", "METER"))
       for args, _r, _a in READS]


def _args(station: Station, args: tuple[str, ...], *, exists: bool = True) -> list[str]:
    names = {"ACCOUNT": station.account if exists else "nobody-at-all",
             "METER": station.meter if exists else "NO-SUCH-METER"}
    return [names.get(a, a) for a in args]


@pytest.mark.parametrize("args,right,action", READS, ids=IDS)
def test_a_read_command_needs_an_operator_with_its_right(station, args, right, action):
    """Each read ran with no operator at all (and so for anyone with a shell and the database's
    URL): now no operator is refused, as is an operator without the right — for a target that
    exists and one that does not alike, each refusal one line and one denied row."""
    if station.db.dialect == "sqlite":           # no operator named: refused before any login
        line = one_error(station.cli(*_args(station, args), who=None))
        assert "--operator" in line and "METERSTATION_OPERATOR" in line, line
    targets = (True, False) if {"ACCOUNT", "METER"} & set(args) else (True,)
    lines = []
    for exists in targets:
        before = len(station.denied())
        r = station.cli(*_args(station, args, exists=exists))
        lines.append(one_error(r))
        assert r.stdout == ""
        rows = station.denied()
        assert len(rows) == before + 1, (args, exists, r.stderr)
        details = json.loads(rows[-1].details)
        assert rows[-1].operator == "hos" and details["action"] == action and details["right"] == right
    assert set(lines) == {f"meterstation: Operator hos has no right to: {RIGHTS[right]}"}, lines


def test_an_operator_with_the_right_reads(station):
    """The cashier (report_view, sell, meter_read) sees the account, its bills and the preview;
    nothing is logged as denied."""
    before = len(station.denied())
    shown = station.cli("account", "show", station.account, "--json", who=CASHIER)
    assert shown.returncode == 0 and json.loads(shown.stdout)["account"] == station.account, shown.stderr
    bills = station.cli("bill", "list", station.account, "--json", who=CASHIER)
    assert bills.returncode == 0 and json.loads(bills.stdout)["bills"] == [], bills.stderr
    preview = station.cli("sell", station.account, "10", "--method", "cash", "--preview", who=CASHIER)
    assert preview.returncode == 0, preview.stderr
    missing = station.cli("account", "show", "nobody-at-all", who=CASHIER)      # with the right: told
    assert "nobody-at-all" in one_error(missing)
    assert len(station.denied()) == before


def test_schedule_remove_checks_the_right_before_the_name(station):
    """`schedule remove NAME` listed the schedules before the service checked settings_edit: an
    operator without it learnt which names exist ("There is no schedule ...")."""
    from billing.settings_service import list_schedules

    lines = []
    for name in ("no-such-schedule", "every meter"):
        before = len(station.denied())
        lines.append(one_error(station.cli("schedule", "remove", name)))
        rows = station.denied()
        assert len(rows) == before + 1 and json.loads(rows[-1].details)["action"] == "schedule.delete"
    assert lines[0] == lines[1] == f"meterstation: Operator hos has no right to: {RIGHTS['settings_edit']}"
    assert [r.name for r in list_schedules(station.db)] == ["every meter"]


def test_settings_show_holds_back_what_the_operator_may_not_change(station):
    """`settings show` printed every value (backup.* and the database URL too) to anyone; an
    operator with settings_edit alone now sees no value whose right it lacks."""
    r = station.cli("settings", "show", "--json", who=CLERK)
    assert r.returncode == 0, r.stderr
    shown = json.loads(r.stdout)["settings"]
    assert "company.name" in shown
    assert not [k for k in shown if k.startswith("backup.") or k == "station.db_url"], shown


# --- the services ----------------------------------------------------------------------------

def _login(station: Station, who: tuple[str, str]):
    from access import login as auth

    return auth.login(station.db, who[0], who[1], "TEST")


def _service_reads():
    from access import log_view
    from billing import alarm_log, alarm_pages
    from billing.reports import catalog

    day = date(2026, 11, 1)
    return [
        ("alarm_window", "alarm.view", lambda db, a: alarm_pages.open_window(db, a, alarm_pages.AlarmFilter())),
        ("alarm_count", "alarm.view", lambda db, a: alarm_pages.count_open(db, a)),
        ("alarm_list", "alarm.view", lambda db, a: alarm_log.list_alarms(db, a)),
        ("report_sales", "report.view", lambda db, a: catalog.REPORTS["sales"].run(db, day, day, "day", a)),
        ("report_lost", "report.view", lambda db, a: catalog.REPORTS["lost"].run(db, day, day, "", a)),
        ("report_export", "report.export",
         lambda db, a: catalog.export_streamed(db, "never.xlsx", "corrections", day, day, "", a)),
        ("log_search", "log.show", lambda db, a: log_view.search(db, a)),
    ]


@pytest.mark.parametrize("name", [c[0] for c in _service_reads()])
def test_a_refused_read_is_logged_as_denied(station, name):
    """The read services checked their right (actor.require) but a refusal left no trace in the
    operation log, unlike every refused change."""
    _name, action, call = next(c for c in _service_reads() if c[0] == name)
    who = CLERK if action.startswith("log.") else HOSTILE     # hos may read the log
    actor = _login(station, who)
    before = len(station.denied())
    with pytest.raises(PermissionDenied):
        call(station.db, actor)
    rows = station.denied()
    assert len(rows) == before + 1, f"{name}: the refusal was not logged as denied"
    assert rows[-1].operator == who[0] and json.loads(rows[-1].details)["action"] == action
    if action != "report.export":                 # with the right: read, nothing logged
        call(station.db, _login(station, ("root", "secret-1")))
        assert len(station.denied()) == before + 1


def test_save_settings_does_not_tell_a_backup_value_to_an_operator_without_backup(station):
    """save_settings checked the backup right only for keys whose value changed: sending the
    stored backup folder back came through as "unchanged", any other was refused — an oracle
    for backup.* to an operator holding settings_edit alone."""
    from billing.settings_service import save_settings
    from models import settings

    clerk = _login(station, CLERK)
    stored = settings.get_local("backup.folder")
    before = len(station.denied())
    for guess in (stored, "/somewhere/else"):
        with pytest.raises(PermissionDenied) as refused:
            save_settings(station.db, clerk, {"company.name": "X", "backup.folder": guess})
        assert refused.value.details.get("right") == "backup"
    assert len(station.denied()) == before + 2
    assert settings.get(station.db, "company.name") != "X"       # nothing of the form was saved
