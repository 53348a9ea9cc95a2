"""Fixtures of the words tests: a SQLite station with a super admin, Chinese on, errors collected."""
from __future__ import annotations

import pytest

# gui_db: the shared SQLite window-test database (tests/conftest.py)


@pytest.fixture
def gui_root(gui_db):
    from access import login as auth
    from access import operators as operator_service

    operator_service.create_first_operator(gui_db, "root", "secret-1", "一号窗口")
    return auth.login(gui_db, "root", "secret-1", "一号窗口")


@pytest.fixture
def session(gui_db, gui_root):
    from ui.session import StationSession

    return StationSession(gui_db, gui_root, "一号窗口")


@pytest.fixture(autouse=True)
def shown_errors(monkeypatch):
    """Errors a window would show in a modal box, collected instead (a test that expects none checks)."""
    from ui import tasks

    seen: list[BaseException] = []
    monkeypatch.setattr(tasks, "show_error", lambda parent, e: seen.append(e))
    return seen


@pytest.fixture(autouse=True)
def _collect_on_gui_thread():
    """Collect closed widgets here, on the GUI thread, never by chance in a worker."""
    import gc

    from ui import tasks

    gc.collect()
    yield
    tasks.wait_idle()
    gc.collect()
