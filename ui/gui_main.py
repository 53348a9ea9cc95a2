"""Starting the windows: open the database, first-start or login dialog, main window."""
from __future__ import annotations

import argparse
import sys

from models import auth, settings
from models.db import Database
from models.errors import StationError
from resources.i18n import _


def make_app():
    from PySide6.QtWidgets import QApplication

    from ui import theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("MeterStation")
    theme.apply(app)
    return app


def run_gui(args: argparse.Namespace) -> int:
    from PySide6.QtWidgets import QDialog, QMessageBox

    from ui import tasks
    from ui.login import FirstStartDialog, LoginDialog
    from ui.main_window import MainWindow
    from ui.session import StationSession

    app = make_app()
    station = str(settings.get_local("station.name"))
    demo = None
    try:
        if args.demo:
            from ui.demo import create_demo_station

            demo = create_demo_station(station)
            url = demo.url
        else:
            url = args.db or settings.get_local("station.db_url") or None
        db = Database.open(url, upgrade=True)
    except StationError as e:
        QMessageBox.critical(None, _("MeterStation"), str(e))
        return 1
    try:
        if demo is not None:
            actor = auth.login(db, demo.operator, demo.password, station)
        else:
            if not auth.has_operators(db) and FirstStartDialog(db, station).exec() != QDialog.DialogCode.Accepted:
                return 1
            login = LoginDialog(db, station)
            if login.exec() != QDialog.DialogCode.Accepted or login.actor is None:
                return 1
            actor = login.actor
        window = MainWindow(StationSession(db=db, actor=actor, station=station, demo=demo is not None))
        window.show()
        code = app.exec()
        tasks.wait_idle()
        return code
    except StationError as e:
        QMessageBox.critical(None, _("MeterStation"), str(e))
        return 1
    finally:
        db.dispose()
