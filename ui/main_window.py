"""The station's main window: navigation on the left, one page at a time on the right.

It fits the smallest common counter screen, 1366x768: every page sits in a scroll area, so a page
taller or wider than the window scrolls instead of pushing the window (and the status bar) off
the screen; the counter itself is laid out to need no scrolling at that size. The window's
geometry is remembered in window.ini in the station's config folder (settings.config_dir()),
except by the demo.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QSettings, QSize, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QListWidget, QMainWindow, QScrollArea,
                               QStackedWidget, QVBoxLayout, QWidget)

from models import auth, settings
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
        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setFixedWidth(150)
        self.stack = QStackedWidget()
        self.pages: list[Page] = []
        for i, cls in enumerate(page_classes()):
            page = cls(session)
            self.pages.append(page)
            self.stack.addWidget(scrolled(page))
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
        self.problem = QLabel("")                # background failures: never a modal box
        self.problem.setObjectName("backgroundProblem")
        self.problem.setStyleSheet("color: #b00020;")
        self.problems = 0
        self._problem_timer = QTimer(self, singleShot=True, interval=60_000, timeout=lambda: self.problem.setText(""))
        self.statusBar().addPermanentWidget(self.problem)
        self.statusBar().addPermanentWidget(self.comm_status)
        self._drop_sink = tasks.add_background_sink(self.show_background_failure)
        bridge = session.services.get("bridge")
        if bridge is not None:
            bridge.status_changed.connect(self.show_comm_status)
            bridge.runtime_ready.connect(self._runtime_ready)
        self.nav.setCurrentRow(0)
        self.restore_geometry()

    # --- size and place --------------------------------------------------------------------
    @staticmethod
    def window_settings() -> QSettings:
        return QSettings(str(settings.config_dir() / "window.ini"), QSettings.Format.IniFormat)

    def restore_geometry(self) -> None:
        saved = None if self.session.demo else self.window_settings().value("main/geometry")
        if saved is not None and self.restoreGeometry(saved):
            area = self.screen().availableGeometry()
            if area.contains(self.frameGeometry()):
                return
        area = self.screen().availableGeometry()
        self.resize(min(1280, area.width()), min(800, area.height()))
        frame = self.frameGeometry()
        self.move(area.x() + max((area.width() - frame.width()) // 2, 0),
                  area.y() + max((area.height() - frame.height()) // 2, 0))

    def save_geometry(self) -> None:
        if self.session.demo:            # the demo leaves nothing of its own in the user's folders
            return
        store = self.window_settings()
        store.setValue("main/geometry", self.saveGeometry())
        store.sync()

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

    def show_background_failure(self, text: str) -> None:
        """A failure the person did not cause (ui.tasks.report_background): in the status bar."""
        self.problems += 1
        self.problem.setText(_("Background: {text}").format(text=text.splitlines()[0][:120]))
        self.problem.setToolTip(text)
        self._problem_timer.start()

    def current_page(self) -> Page:
        return self.pages[self.stack.currentIndex()]

    def show_page(self, index: int) -> None:
        self.stack.setCurrentIndex(index)
        self.pages[index].refresh()

    def page(self, key: str) -> Page:
        return next(p for p in self.pages if p.key == key)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt name
        from ui.bridge import shutdown

        self.save_geometry()
        self._drop_sink()
        s = self.session
        shutdown(s)                      # the runtime's threads and the demo's simulators
        tasks.write(None, lambda: auth.logout(s.db, s.actor))
        tasks.wait_idle(5000)
        super().closeEvent(event)


class PageScroll(QScrollArea):
    """A page in a frameless scroll area: the page fills the window when the window is at least
    the page's minimum size, and scrolls when it is smaller.

    (QScrollArea's own widgetResizable sizes a page whose layout has height-for-width, which any
    word-wrapped label gives it, to its preferred height rather than its minimum, so the counter
    scrolled on a 768-pixel screen although it fits.)"""

    def __init__(self, page: QWidget) -> None:
        super().__init__()
        self.page = page
        self.setObjectName("pageScroll")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidgetResizable(False)
        self.setWidget(page)
        page.installEventFilter(self)

    def fit(self) -> None:
        need = self.page.minimumSizeHint().expandedTo(self.page.minimumSize())
        view = self.maximumViewportSize()
        w, h = max(view.width(), need.width()), max(view.height(), need.height())
        if w > view.width():            # a horizontal scroll bar takes height from the view
            h = max(view.height() - self.horizontalScrollBar().sizeHint().height(), need.height())
        if h > view.height():
            w = max(view.width() - self.verticalScrollBar().sizeHint().width(), need.width())
        if self.page.size() != QSize(w, h):
            self.page.resize(w, h)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt name
        super().resizeEvent(event)
        self.fit()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt name
        if obj is self.page and event.type() == QEvent.Type.LayoutRequest:
            QTimer.singleShot(0, self.fit)
        return super().eventFilter(obj, event)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt name
        return self.page.sizeHint()


def scrolled(page: QWidget) -> PageScroll:
    return PageScroll(page)
