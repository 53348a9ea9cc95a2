"""Fixtures of the counter/accounts window tests: a file-backed SQLite station with a super
admin, a flat tariff, places and accounts; receipts saved to a private folder, no preview."""
from __future__ import annotations

import pytest

from access import login as auth
from access import operators as operator_service
from models import settings
from ui import tasks


@pytest.fixture
def station(tmp_path, monkeypatch):
    from models.db import Database

    monkeypatch.setenv("METERSTATION_RECEIPT_DIR", str(tmp_path / "receipts"))
    settings.set_local("station.printer", "PDF")
    db = Database.open(f"sqlite:///{tmp_path / 'counter.db'}", upgrade=True)
    operator_service.create_first_operator(db, "root", "secret-1", "T")
    root = auth.login(db, "root", "secret-1", "T")
    yield db, root
    tasks.wait_idle()
    db.dispose()


def login_as(db, root, name: str, role: str):
    operator_service.add_operator(db, root, name, "pass-1234", role)
    return auth.login(db, name, "pass-1234", "T")


@pytest.fixture(autouse=True)
def _collect_on_gui_thread():
    """Collect garbage (closed windows, dialogs) here, on the GUI thread: left to chance, a
    collection could start in a worker thread (a big import, a PDF render) and destroy Qt
    widgets there, which crashes."""
    import gc

    gc.collect()
    yield
    tasks.wait_idle()
    gc.collect()


@pytest.fixture(autouse=True)
def errors_fail(monkeypatch):
    """An error box would block an offscreen test: record the message instead; the test fails."""
    seen: list[str] = []
    monkeypatch.setattr(tasks, "show_error", lambda parent, e: seen.append(f"{type(e).__name__}: {e}"))
    yield seen
    assert not seen, seen
