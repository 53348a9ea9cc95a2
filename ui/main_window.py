"""The station's main window: navigation on the left, one page at a time on the right.

It fits the smallest common counter screen, 1366x768: every page sits in a scroll area, so a page
taller or wider than the window scrolls instead of pushing the window (and the status bar) off
the screen; the counter itself is laid out to need no scrolling at that size. The window's
geometry is remembered in window.ini in the station's config folder (settings.config_dir()),
except by the demo.

Pages are built on their first visit (ui/page_list.py): the window opens with the counter alone
(the cashier's page, shown at once), the alarms page follows as soon as the window has painted
(it watches for new alarms from the start); the others, and their modules, wait until they are
first shown or asked for (`window.page(key)`, `window.pages[i]`).
"""
from __future__ import annotations

import shiboken6
from PySide6.QtCore import QEvent, QSettings, QSize, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from access import login as auth
from models import settings
from resources.i18n import _
from ui import tasks
from ui.page_list import PAGES, LazyPages, page_class
from ui.pages.base import Page
from ui.session import StationSession

EAGER_AFTER_SHOW = ("alarms",)       # built right after the first paint: they watch from the start
PAINT_FALLBACK_MS = 1000
PROBLEM_STYLE = "color: #b00020;"          # a background failure
RECOVERED_STYLE = "color: #1b5e20;"        # the failure above is over (the runtime polls again)


def page_classes() -> list[type[Page]]:
    """Every page class in the navigation's order (imports every page module)."""
    return [page_class(spec) for spec in PAGES]


class MainWindow(QMainWindow):
    first_painted = Signal()              # once, when the window has first been painted

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
        self.pages = LazyPages(PAGES, self._build_page)
        for i, spec in enumerate(PAGES):
            self.stack.addWidget(PageScroll(None))        # the page itself comes on its first visit
            self.nav.addItem(_(spec.title))
            QShortcut(QKeySequence(f"F{i + 1}"), self, activated=lambda i=i: self.nav.setCurrentRow(i))
        self.pages[0]                                     # the counter: the page the window opens on
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
        self.problem.setStyleSheet(PROBLEM_STYLE)
        self.problems = 0
        self._runtime_problem: str | None = None   # the status bar's line about the runtime's child
        self._problem_timer = QTimer(self, singleShot=True, interval=60_000, timeout=lambda: self.problem.setText(""))
        self.statusBar().addPermanentWidget(self.problem)
        self.statusBar().addPermanentWidget(self.comm_status)
        self._drop_sink = tasks.add_background_sink(self.show_background_failure)
        bridge = session.services.get("bridge")
        if bridge is not None:
            bridge.status_changed.connect(self.show_comm_status)
            bridge.runtime_ready.connect(self._runtime_ready)
            bridge.runtime_lost.connect(self._runtime_lost)
        self.nav.setCurrentRow(0)
        self.restore_geometry()
        self._painted = False

    def _build_page(self, index: int, cls: type[Page]) -> Page:
        page = cls(self.session)
        self.stack.widget(index).set_page(page)
        return page

    def showEvent(self, event) -> None:  # noqa: N802 - Qt name
        super().showEvent(event)
        if not self._painted:                 # a platform that never paints: go on all the same
            QTimer.singleShot(PAINT_FALLBACK_MS, self, self._after_first_paint)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt name
        super().paintEvent(event)
        if not self._painted:
            QTimer.singleShot(0, self, self._after_first_paint)

    def _after_first_paint(self) -> None:
        """The window is on screen: build what watches from the start, then say so (gui_main
        starts the runtime on first_painted)."""
        if self._painted:
            return
        self._painted = True
        for key in EAGER_AFTER_SHOW:
            self.page(key)
        self.first_painted.emit()

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

    def _runtime_lost(self, _text: str) -> None:
        """The runtime's child ended (the line is already shown): remember it, to replace it."""
        self._runtime_problem = self.problem.text()

    def _runtime_ready(self, _runtime) -> None:
        if self._runtime_problem is not None:
            if self.problem.text() == self._runtime_problem:       # no newer failure since
                self.problem.setStyleSheet(RECOVERED_STYLE)
                self.problem.setText(_("Background: meter polling is running again"))
                self.problem.setToolTip("")
                self._problem_timer.start()
            self._runtime_problem = None
        bridge = self.session.services.get("bridge")
        if bridge is not None and bridge.links:
            self.show_comm_status(bridge.status())
        else:
            self.comm_status.setText(_("Meters: polling started"))

    def show_comm_status(self, st: dict) -> None:
        text = _("Links {online}/{total} online, {lost} lost   Meters {m_online} online, {m_lost} lost").format(
            online=st["links_online"], total=st["links_total"], lost=st["links_lost"],
            m_online=st["meters_online"], m_lost=st["meters_lost"])
        if not st.get("polling", True):              # every state unknown: no counts to give
            text = _("Meters: not polling")
        elif st.get("meters_unknown"):
            text += "   " + _("{count} not read yet").format(count=st["meters_unknown"])
        if st.get("last_reading"):
            text += "   " + _("last reading {time}").format(time=st["last_reading"])
        if self.session.demo:
            text = _("DEMO") + "   " + text
        self.comm_status.setText(text)

    def show_background_failure(self, text: str) -> None:
        """A failure the person did not cause (ui.tasks.report_background): in the status bar."""
        self.problems += 1
        self.problem.setStyleSheet(PROBLEM_STYLE)
        self.problem.setText(_("Background: {text}").format(text=text.splitlines()[0][:120]))
        self.problem.setToolTip(text)
        self._problem_timer.start()

    def current_page(self) -> Page:
        return self.pages[self.stack.currentIndex()]

    def show_page(self, index: int) -> None:
        """One paint for a page switch. Left alone, Qt painted the new page three times over two
        turns of the event loop: on its show, after its item views' delayed layout, and after the
        layout request the switch posts (plus once more for what refresh() changed). At 10,000
        meters a meters-page switch cost 58 ms of the GUI thread's CPU that way, 40 ms with one
        paint (tests/ui/counter/test_page_switch_paints.py counts the paints)."""
        page = self.pages[index]                          # built on its first visit
        self.stack.setUpdatesEnabled(False)
        try:
            self.stack.setCurrentIndex(index)
            page.visited()
        finally:                                          # after this turn's posted layouts: one paint
            QTimer.singleShot(0, self.stack, lambda: self.stack.setUpdatesEnabled(True))

    def page(self, key: str) -> Page:
        """The page of that key, built if it was not yet (StopIteration: no such page)."""
        return self.pages[next(i for i, spec in enumerate(PAGES) if spec.key == key)]

    def built_page(self, key: str) -> Page | None:
        """The page of that key if it has been built, else None (builds nothing)."""
        return self.pages.built(key)

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

    def __init__(self, page: QWidget | None) -> None:
        super().__init__()
        self.setObjectName("pageScroll")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidgetResizable(False)
        self.set_page(page if page is not None else QWidget())   # an empty stand-in until the page is built

    def set_page(self, page: QWidget) -> None:
        old = self.widget()
        if old is not None:
            old.removeEventFilter(self)
            self.takeWidget().deleteLater()
        self.page = page
        self.setWidget(page)
        page.installEventFilter(self)
        self.fit()

    def fit(self) -> None:
        if not shiboken6.isValid(self.page):        # the window is being torn down
            return
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
