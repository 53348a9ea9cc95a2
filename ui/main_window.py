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
        self.comm_status = QLabel(_("Meters: not polling"))
        self.comm_status.setObjectName("commStatus")
        self.statusBar().addPermanentWidget(self.comm_status)
        bridge = session.services.get("bridge")
        if bridge is not None:
            bridge.status_changed.connect(self.show_comm_status)
            bridge.runtime_ready.connect(self._runtime_ready)
        self.nav.setCurrentRow(0)

    def _runtime_ready(self, _runtime) -> None:
        bridge = self.session.services.get("bridge")
        if bridge is not None and bridge.links:
            self.show_comm_status(bridge.status())
        else:
            self.comm_status.setText(_("Meters: polling started"))

    def show_comm_status(self, st: dict) -> None:
        text = _("Links {online}/{total} online, {lost} lost   Meters {m_online} online, {m_lost} lost").format(
            online=st["links_online"], total=st["links_total"], lost=st["links_lost"],
            m_online=st["meters_online"], m_lost=st["meters_lost"])
        if st.get("last_reading"):
            text += "   " + _("last reading {time}").format(time=st["last_reading"])
        if self.session.demo:
            text = _("DEMO") + "   " + text
        self.comm_status.setText(text)

    def show_page(self, index: int) -> None:
        self.stack.setCurrentIndex(index)
        self.pages[index].refresh()

    def page(self, key: str) -> Page:
        return next(p for p in self.pages if p.key == key)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt name
        from ui.bridge import shutdown

        s = self.session
        shutdown(s)                      # the runtime's threads and the demo's simulators
        tasks.write(None, lambda: auth.logout(s.db, s.actor))
        tasks.wait_idle(5000)
        super().closeEvent(event)
