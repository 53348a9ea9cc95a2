"""The station's main window: navigation on the left, one page at a time on the right."""
from __future__ import annotations

from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QListWidget, QMainWindow, QStackedWidget,
                               QVBoxLayout, QWidget)

from models import auth
from resources.i18n import _
from ui import tasks
from ui.pages.base import Page
from ui.session import StationSession


def page_classes() -> list[type[Page]]:
    from ui.pages.accounts_page import AccountsPage
    from ui.pages.alarms_page import AlarmsPage
    from ui.pages.control_page import ControlPage
    from ui.pages.counter_page import CounterPage
    from ui.pages.meters_page import MetersPage
    from ui.pages.reports_page import ReportsPage
    from ui.pages.settings_page import SettingsPage

    return [CounterPage, AccountsPage, MetersPage, ControlPage, ReportsPage, AlarmsPage, SettingsPage]


class MainWindow(QMainWindow):
    def __init__(self, session: StationSession) -> None:
        super().__init__()
        self.session = session
        title = _("MeterStation") + " — " + session.station
        if session.demo:
            title += " — " + _("DEMO (simulated meters, temporary database)")
        self.setWindowTitle(title)
        self.resize(1280, 800)
        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setFixedWidth(150)
        self.stack = QStackedWidget()
        self.pages: list[Page] = []
        for i, cls in enumerate(page_classes()):
            page = cls(session)
            self.pages.append(page)
            self.stack.addWidget(page)
            self.nav.addItem(f"{page.title}")
            QShortcut(QKeySequence(f"F{i + 1}"), self, activated=lambda i=i: self.nav.setCurrentRow(i))
        self.nav.currentRowChanged.connect(self.show_page)
        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        if session.demo:
            banner = QLabel(_("Demo station: the meters are simulated and the database is temporary."))
            banner.setObjectName("demoBanner")
            column.addWidget(banner)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        column.addLayout(row)
        self.setCentralWidget(body)
        status = _("Operator: {name} ({role})   Station: {station}   Database: {db}").format(
            name=session.actor.name, role=session.actor.role, station=session.station, db=session.db.dialect)
        if session.demo:
            status = _("DEMO") + "   " + status
        self.statusBar().showMessage(status)
        self.nav.setCurrentRow(0)

    def show_page(self, index: int) -> None:
        self.stack.setCurrentIndex(index)
        self.pages[index].refresh()

    def page(self, key: str) -> Page:
        return next(p for p in self.pages if p.key == key)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt name
        s = self.session
        tasks.write(None, lambda: auth.logout(s.db, s.actor))
        tasks.wait_idle(5000)
        super().closeEvent(event)
