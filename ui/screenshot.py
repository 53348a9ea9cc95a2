"""Render the login dialog and every main page to PNG files, offscreen (README, reviews)."""
from __future__ import annotations

import os
from pathlib import Path

from models import auth, settings
from models.db import Database
from models.rights import system_actor


def _settle(app, rounds: int = 8) -> None:
    from ui import tasks

    for _ in range(rounds):
        app.processEvents()
        tasks.wait_idle(5000)
        app.processEvents()


def render_all(folder: str, *, demo: bool, url: str | None) -> list[Path]:
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
    if demo:
        from ui.demo import create_demo_station

        d = create_demo_station(station)
        db = Database.open(d.url, upgrade=True)
        actor = auth.login(db, d.operator, d.password, station)
    else:
        db = Database.open(url)
        actor = system_actor(station)
    files: list[Path] = []
    try:
        login = LoginDialog(db, station)
        login.name.setText(actor.name)
        login.show()
        _settle(app)
        files.append(out / "00-login.png")
        login.grab().save(str(files[-1]))
        login.close()
        window = MainWindow(StationSession(db=db, actor=actor, station=station, demo=demo))
        window.resize(1280, 800)
        window.show()
        for i, page in enumerate(window.pages):
            window.nav.setCurrentRow(i)
            _settle(app)
            files.append(out / f"{i + 1:02d}-{page.key}.png")
            window.grab().save(str(files[-1]))
        window.hide()
        window.deleteLater()
        _settle(app, 2)
    finally:
        db.dispose()
    return files
