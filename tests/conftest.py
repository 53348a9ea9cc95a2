"""Suite-wide rules: offscreen Qt, English-independent checks, no leaked threads.

QT_QPA_PLATFORM must be set before any QApplication exists, so it is set here at import time.
"""
from __future__ import annotations

import os
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "default.warning=false")
os.environ["METERSTATION_TEST_MODE"] = "1"   # lets the simulator and fake drivers run
# The computer's zone is pinned to the station's default zone (station.timezone, Asia/Shanghai):
# the station computes days in its own zone whatever TZ says (tests/foundation/test_station_time.py
# runs it under TZ=UTC and TZ=Asia/Shanghai), and tests that render local times themselves agree.
os.environ["TZ"] = "Asia/Shanghai"
time.tzset()

import pytest  # noqa: E402

import models.settings  # noqa: E402,F401 - hands models.station_time its reader before any fixture runs
from tests import pg_left_open  # noqa: E402
from tests.backstop import pytest_runtest_protocol  # noqa: E402,F401 - the hang backstop's hook

pg_left_open.install()


def pytest_sessionstart(session):
    """Drop the PostgreSQL databases a killed test process left behind (never a live one's:
    tests/pg_owners.py); each xdist worker sweeps too, harmlessly."""
    from tests.dbs import sweep_dead

    try:
        dropped = sweep_dead()
    except Exception as e:  # noqa: BLE001 - a sweep never stops the run
        print(f"sweeping the test databases of dead processes failed: {e}")
        return
    if dropped:
        print(f"dropped {len(dropped)} test databases of dead processes")


def pytest_runtest_setup(item):
    """Name the running test for pg_left_open (which test made a connection left open)."""
    pg_left_open.entered(item.nodeid)


@pytest.fixture(autouse=True)
def _no_leaked_threads():
    """A test must stop every thread it started (pollers, workers, simulators, schedulers)."""
    before = set(threading.enumerate())
    yield
    deadline = 5.0
    end = time.monotonic() + deadline
    while True:
        leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()
                  and not isinstance(t, threading._DummyThread)     # Qt's own pool threads
                  and not t.name.startswith(("QDBus", "pydevd"))]
        if not leaked or time.monotonic() > end:
            break
        time.sleep(0.05)
    assert not leaked, f"threads leaked by the test: {[t.name for t in leaked]}"


@pytest.fixture(autouse=True)
def _no_modal_box(request, monkeypatch):
    """A message box the code under test opens (tasks.show_error after a failed write, say) waits
    offscreen for a click that never comes, and pytest-timeout's exception is swallowed by the Qt
    callback it lands in: the worker would hang for ever. In a Qt test the static boxes are
    recorded, answered at once (Cancel) and fail the test; a test that expects one patches them
    itself."""
    if not {"qtbot", "qapp"} & set(request.fixturenames):
        yield
        return
    from PySide6.QtWidgets import QMessageBox

    boxes: list[tuple[str, str, str]] = []

    def box(kind: str):
        def answer(_parent, title, text, *_args, **_kwargs):
            boxes.append((kind, str(title), str(text)))
            return QMessageBox.StandardButton.Cancel
        return staticmethod(answer)

    for kind in ("warning", "critical", "question", "information"):
        monkeypatch.setattr(QMessageBox, kind, box(kind))
    yield
    assert not boxes, f"the code under test opened modal message boxes: {boxes}"


@pytest.fixture(autouse=True)
def _station_zone_reread():
    """Each test has its own config folder, so its own station.timezone: read it afresh."""
    from models import settings, station_time  # noqa: F401 - settings hands station_time its reader

    station_time.forget()
    yield
    station_time.forget()


@pytest.fixture(autouse=True)
def _language_reset():
    """Tests run in English unless they switch; restore afterwards."""
    from resources import i18n

    old = i18n.language()
    i18n.set_language("en")
    yield
    i18n.set_language(old)


@pytest.fixture(scope="session")
def _db_templates(tmp_path_factory):
    """This test process's migrated template databases (made on first use), see tests.dbs.Templates."""
    from tests.dbs import Templates

    templates = Templates(tmp_path_factory.mktemp("db-templates"))
    yield templates
    templates.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """A URL to an empty database, on SQLite and on PostgreSQL; a test that uses `db` gets a copy
    of a migrated template here instead (the same schema and rows `db`'s upgrade would make)."""
    from tests.dbs import make_url

    made = None
    if "db" in request.fixturenames:
        made = request.getfixturevalue("_db_templates").copy(request.param, tmp_path)
    url, cleanup = made or make_url(request.param, tmp_path)
    yield url
    if cleanup is not None:
        cleanup.drop()


@pytest.fixture
def db(db_url):
    """A migrated station database (both backends)."""
    from models.db import Database

    database = Database.open(db_url, upgrade=True)
    yield database
    database.dispose()


@pytest.fixture
def as_service():
    """`with as_service(db_or_url) as env:` the station's service identity is made there (once)
    and the environment names it and its secret (as `meterstation poll` reads them) inside the
    block; the operator set before is back after it. `env` is that environment."""
    import contextlib

    from tests.service_ids import service_env

    made: dict[str, dict[str, str]] = {}

    @contextlib.contextmanager
    def use(target, name: str = "service"):
        key = f"{getattr(target, 'url', target)}|{name}"
        if key not in made:
            made[key] = service_env(target, name)
        env = made[key]
        with pytest.MonkeyPatch.context() as mp:
            for k, v in env.items():
                mp.setenv(k, v)
            yield env
    return use


@pytest.fixture
def station_config(tmp_path, monkeypatch):
    """Station-local settings in a private folder, never the user's real config."""
    folder = tmp_path / "cfg"               # the same folder as _private_config: one station key
    monkeypatch.setenv("METERSTATION_CONFIG_DIR", str(folder))
    monkeypatch.setenv("METERSTATION_DB", f"sqlite:///{tmp_path / 'default.db'}")
    return folder


@pytest.fixture(autouse=True)
def _private_config(tmp_path, monkeypatch):
    """No test reads or writes the real user's settings or database. The folder is the test's
    tmp_path/cfg, the one CLI subprocesses of the test are given too: they share the station
    key (station.key) that keys the database's log."""
    if "METERSTATION_CONFIG_DIR" not in os.environ:
        monkeypatch.setenv("METERSTATION_CONFIG_DIR", str(tmp_path / "cfg"))
    if "METERSTATION_BILL_DIR" not in os.environ:      # bill documents of the settlement-day job
        monkeypatch.setenv("METERSTATION_BILL_DIR", str(tmp_path / "bills"))
    # backups (the scheduled backup job), receipts, the default database, errors.log: never the
    # user's folders (a catch-up run of the jobs once wrote backups into ~/.local/share)
    if "METERSTATION_DATA_DIR" not in os.environ:
        monkeypatch.setenv("METERSTATION_DATA_DIR", str(tmp_path / "data"))
    if "METERSTATION_LOG_DIR" not in os.environ:
        monkeypatch.setenv("METERSTATION_LOG_DIR", str(tmp_path / "log"))


@pytest.fixture
def superadmin(db):
    """(db, actor) with a super admin 'root' (password 'secret-1') logged in."""
    from access import login as auth
    from access import operators as operator_service

    operator_service.create_first_operator(db, "root", "secret-1", "TEST")
    return auth.login(db, "root", "secret-1", "TEST")


def _migrated_sqlite(request, tmp_path, file_name: str) -> str:
    """tmp_path / file_name as a copy of this process's migrated template when the test's config
    folder allows it (tests.dbs.Templates.copy), else an empty file's URL (migrated by the caller)."""
    made = request.getfixturevalue("_db_templates").copy("sqlite", tmp_path, file_name)
    return made[0] if made else f"sqlite:///{tmp_path / file_name}"


@pytest.fixture
def sqlite_db(request, tmp_path):
    """A migrated SQLite station database for window tests (the services are tested on both
    backends through `db`); the windows' workers are waited for before it is closed."""
    from models.db import Database
    from ui import tasks

    database = Database.open(_migrated_sqlite(request, tmp_path, "gui.db"), upgrade=True)
    yield database
    tasks.wait_idle()
    database.dispose()


@pytest.fixture
def gui_db(sqlite_db):
    """The same database under the name the reports and words tests use."""
    return sqlite_db


@pytest.fixture
def cli(request, tmp_path, monkeypatch, capsys):
    """`meterstation` run in this process on a fresh SQLite station whose super admin root
    (password secret-1) is the acting operator: cli(*args) -> (exit code, stdout, stderr);
    cli.url is the station's database. Test folders with a CLI of their own (a subprocess, other
    operators) define their own `cli`, which takes precedence."""
    from access import operators as operator_service
    from app import main
    from models.db import Database

    url = _migrated_sqlite(request, tmp_path, "station.db")
    database = Database.open(url, upgrade=True)
    operator_service.create_first_operator(database, "root", "secret-1", "TEST")
    database.dispose()
    monkeypatch.setenv("METERSTATION_OPERATOR", "root")
    monkeypatch.setenv("METERSTATION_PASSWORD", "secret-1")

    def run(*args):
        capsys.readouterr()
        code = main(["--lang", "en", "--db", url, *args])
        out, err = capsys.readouterr()
        return code, out, err
    run.url = url
    return run
