"""Render the login dialog and every main page to PNG files, offscreen (README, reviews), at
the counter PC's screen size (SIZE, 1366×768); the monitor board also as its floor plan
(NN-meters-plan.png).

With demo=True: a fresh demo station (ui/demo.py), the runtime run once over all its meters so
the pages show live values, then every page; the simulators are stopped afterwards.
"""
from __future__ import annotations

import os
from pathlib import Path

from access import login as auth
from models import settings
from models.db import Database
from models.rights import system_actor

SIZE = (1366, 768)


def _settle(app, rounds: int = 8) -> None:
    from ui import tasks

    for _ in range(rounds):
        app.processEvents()
        tasks.wait_idle(5000)
        app.processEvents()


def render_all(folder: str, *, demo: bool, url: str | None, size: tuple[int, int] = SIZE) -> list[Path]:
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from ui.gui_main import make_app
    from ui.login import LoginDialog
    from ui.main_window import MainWindow
    from ui.session import StationSession

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    app = make_app()
    station = str(settings.get_local("station.name"))
    d = bridge = None
    if demo:
        from ui.demo import create_demo_station

        d = create_demo_station(station)
        try:
            db = Database.open(d.url, upgrade=True)
            actor = auth.login(db, d.operator, d.password, station)
        except BaseException:
            d.stop()
            raise
    else:
        db = Database.open(url)
        actor = system_actor(station)
    files: list[Path] = []
    session = StationSession(db=db, actor=actor, station=station, demo=demo)
    try:
        if d is not None:
            bridge = _poll_once(session)
        login = LoginDialog(db, station)
        login.name.setText(actor.name)
        login.show()
        _settle(app)
        files.append(out / "00-login.png")
        login.grab().save(str(files[-1]))
        login.close()
        window = MainWindow(session)
        if bridge is not None:
            window.show_comm_status(bridge.status())
        window.resize(*size)
        window.show()
        for i, page in enumerate(window.pages):
            window.nav.setCurrentRow(i)
            if d is not None and page.key == "counter" and hasattr(page, "pick"):
                _settle(app)
                page.search.setText("B1")       # a shop customer found as the cashier types
                page.run_search()
                page.pick("000047")
            if d is not None and page.key == "meters" and hasattr(page, "view"):
                _settle(app)
                _first_live_row_on_top(page)      # electricity meters with their V/A/kW, not water first
            _settle(app)
            files.append(out / f"{i + 1:02d}-{page.key}.png")
            window.grab().save(str(files[-1]))
            if page.key == "meters" and hasattr(page, "show_view"):
                page.show_view(1)                   # the floor plan (平面图)
                _settle(app)
                files.append(out / f"{i + 1:02d}-{page.key}-plan.png")
                window.grab().save(str(files[-1]))
                page.show_view(0)
        window.hide()
        window.deleteLater()
        _settle(app, 2)
    finally:
        if bridge is not None:
            bridge.close()
        if d is not None:
            d.stop()
        _settle(app, 1)
        db.dispose()
    return files


def _first_live_row_on_top(page) -> None:
    from PySide6.QtWidgets import QAbstractItemView

    proxy, rows = page.proxy, page.model.rows
    for r in range(proxy.rowCount()):
        if "voltage" in rows[proxy.mapToSource(proxy.index(r, 0)).row()].last_values:
            page.view.scrollTo(proxy.index(max(r - 2, 0), 0), QAbstractItemView.ScrollHint.PositionAtTop)
            return


def _poll_once(session):
    """Every demo meter read once by the real runtime (settlement and commands included)."""
    from comms.events import EventBus
    from station.runtime import StationRuntime
    from ui.bridge import EventBridge

    bus = EventBus()
    bridge = EventBridge(bus, session.db)
    session.services["bridge"] = bridge
    runtime = StationRuntime(session.db, station=session.station, events=bus, run_jobs=False)
    try:
        runtime.run_once()
    finally:
        runtime.stop()
    bridge.flush()
    return bridge
