"""Report fixtures: a super admin, a cashier, and a small known dataset (October 2025)."""
from __future__ import annotations

from datetime import datetime

import pytest


@pytest.fixture
def root(superadmin):
    return superadmin


@pytest.fixture
def cashier(db, superadmin):
    from access import login as auth
    from access import operators as operator_service

    operator_service.add_operator(db, superadmin, "cas", "pass-123", "cashier")
    return auth.login(db, "cas", "pass-123", "TEST")


def local(*args) -> datetime:
    """An aware datetime in the station's local time (station.timezone, not the computer's)."""
    from models import station_time

    return datetime(*args, tzinfo=station_time.zone())


# gui_db: the shared SQLite window-test database (tests/conftest.py)


@pytest.fixture
def gui_root(gui_db):
    from access import login as auth
    from access import operators as operator_service

    operator_service.create_first_operator(gui_db, "root", "secret-1", "TEST")
    return auth.login(gui_db, "root", "secret-1", "TEST")


@pytest.fixture
def gui_cashier(gui_db, gui_root):
    from access import login as auth
    from access import operators as operator_service

    operator_service.add_operator(gui_db, gui_root, "cas", "pass-123", "cashier")
    return auth.login(gui_db, "cas", "pass-123", "TEST")


@pytest.fixture(autouse=True)
def shown_errors(monkeypatch):
    """Errors the windows would show in a (modal, test-blocking) message box, collected instead."""
    from ui import tasks

    seen: list[BaseException] = []
    monkeypatch.setattr(tasks, "show_error", lambda parent, error: seen.append(error))
    return seen
