"""Alarms (告警): open alarms grouped by area (building), acknowledge, history; new alarms pop up
as a non-modal notice in the main window, grouped by area.

The page watches for alarms newer than the last one it has seen (billing.alarm_log.list_alarms
after_id) every WATCH_MS off the GUI thread, at once when the poller's bridge reports one; the
first look only takes the baseline, so logging in does not pop up every old alarm.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from billing import alarm_log, alarm_pages
from billing.quality_words import describe
from models import station_time
from models.automation import ALARM_KINDS
from resources.i18n import _
from ui import station_dates, tasks
from ui.item_models.alarm_history import AlarmHistoryModel
from ui.pages.base import Page, RowsView

WATCH_MS = 10_000
OPEN_SHOWN = 5000         # open alarms in the tree (grouped by area); the status counts them all
ID_ROLE = Qt.ItemDataRole.UserRole + 1


def _local(at: datetime | None) -> str:
    return station_time.text(at)


def _state_title(state: str) -> str:
    return {"open": _("Open"), "acknowledged": _("Acknowledged"), "cleared": _("Resolved")}.get(state, state)


def message_text(row) -> str:
    """The alarm's text in the language shown now: power-quality and abnormal-use alarms from
    their details ("电压过高 258.3 V（上限 253 V）"), the others as stored."""
    return describe(row.kind, row.details, row.message)


def group_by_area(rows) -> dict[str, list]:
    groups: dict[str, list] = defaultdict(list)
    for r in rows:
        groups[r.building or _("(no area)")].append(r)
    return dict(sorted(groups.items()))


class AlarmNotice(QFrame):
    """A non-modal notice floating in the bottom-right corner of the window."""

    def __init__(self, parent: QWidget, on_show) -> None:
        super().__init__(parent)
        self.setObjectName("alarmNotice")
        self.setStyleSheet("QFrame#alarmNotice { background: #fff3cd; border: 1px solid #d39e00; "
                           "border-radius: 4px; } QLabel { color: #5c4400; }")
        self.text = QLabel("")
        self.text.setWordWrap(True)
        show, close = QPushButton(_("Show alarms")), QPushButton(_("Dismiss"))
        show.clicked.connect(lambda: (self.hide(), on_show()))
        close.clicked.connect(self.hide)
        layout = QVBoxLayout(self)
        title = QLabel(_("New alarms"))
        title.setStyleSheet("font-weight: bold;")
        layout.addWidget(title)
        layout.addWidget(self.text)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(show)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self.setFixedWidth(360)

    def present(self, rows) -> None:
        lines = []
        for area, items in group_by_area(rows).items():
            kinds = Counter(r.title for r in items)
            lines.append(_("{area}: {n} ({kinds})").format(
                area=area, n=len(items), kinds=", ".join(f"{k} {v}" for k, v in kinds.most_common())))
        self.text.setText("\n".join(lines))
        self.adjustSize()
        parent = self.parentWidget()
        if parent is not None:
            self.move(max(0, parent.width() - self.width() - 16), max(0, parent.height() - self.height() - 36))
        self.show()
        self.raise_()


class AlarmsPage(Page):
    key = "alarms"

    @property
    def title(self) -> str:
        return _("Alarms")

    def __init__(self, session, parent=None) -> None:
        super().__init__(session, parent)
        self._note = ""
        self._open_shown: list | None = None
        self._fitted = False                   # the open tree's columns fitted (at its first fill)
        self.tabs = QTabWidget()
        self.layout_.addWidget(self.tabs, 1)
        self._build_open_tab()
        self._build_history_tab()
        self.last_id: int | None = None
        self.notice: AlarmNotice | None = None
        self._watching = False
        self.watch_timer = QTimer(self, interval=WATCH_MS, timeout=self.watch)
        if session.can("report_view"):
            self.watch_timer.start()
            QTimer.singleShot(0, self, self.watch)
        bridge = session.services.get("bridge")
        signal = getattr(bridge, "alarm_raised", None) if bridge is not None else None
        if signal is not None:
            signal.connect(lambda *_a: self.watch())

    # --- open alarms
    def _build_open_tab(self) -> None:
        tab = QWidget()
        v = QVBoxLayout(tab)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels([_("Area / time"), _("Alarm"), _("State"), _("Account"), _("Customer"),
                                   _("Meter"), _("Link"), _("Message")])
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setUniformRowHeights(True)
        self.ack_button = QPushButton(_("Acknowledge selected"))
        self.ack_button.clicked.connect(self.acknowledge)
        self.ack_button.setEnabled(self.session.can("report_view"))
        refresh = QPushButton(_("Refresh"))
        refresh.clicked.connect(self.refresh)
        self.open_status = QLabel("")
        bar = QHBoxLayout()
        for w in (self.ack_button, refresh, self.open_status):
            bar.addWidget(w)
        bar.addStretch(1)
        v.addLayout(bar)
        v.addWidget(self.tree, 1)
        self.tabs.addTab(tab, _("Open alarms"))

    def refresh(self) -> None:
        if not self.session.can("report_view"):
            self.open_status.setText(_("You have no right to view alarms"))
            return
        db, actor = self.session.db, self.session.actor

        def run():
            rows = alarm_log.list_alarms(db, actor, open_only=True, limit=OPEN_SHOWN)
            return rows, (len(rows) if len(rows) < OPEN_SHOWN else alarm_pages.count_open(db, actor))

        tasks.read(self, run, on_done=lambda result: self._show_open(*result))

    def _show_open(self, rows, total: int | None = None) -> None:
        """The tree of the newest OPEN_SHOWN open alarms; the status counts them all (the
        database's count when there are more: every one is in the history tab)."""
        shown = [(r.id, r.state, r.raised_at, r.title, r.account, r.customer, r.meter, r.link, r.message,
                  r.building) for r in rows]
        if shown != self._open_shown:          # the same alarms again (each visit reloads): keep the tree
            self._open_shown = shown
            self._fill_tree(rows)
        note, self._note = self._note, ""
        if total is not None and total > len(rows):
            counted = _("{n} open alarms, the newest {shown} shown (all of them are in the history)").format(
                n=total, shown=len(rows))
        else:
            counted = _("{n} open alarms").format(n=len(rows))
        self.open_status.setText("   ".join(t for t in (counted, note) if t))
        if rows:
            self.last_id = max(self.last_id or 0, max(r.id for r in rows))

    def _fill_tree(self, rows) -> None:
        """Every area's alarms inserted in one batch each (an item at a time was a model signal
        each), the columns fitted to their contents at the first fill only: at 1,500 open alarms
        a refill was 75-83 ms of the GUI thread's CPU (25 ms of it fitting the columns over every
        item), batched without the fitting 31-37 ms (bench_gui at 10,000 meters: 65 ms stalls
        when a new alarm came in while the page was shown)."""
        tree = self.tree
        tree.setUpdatesEnabled(False)
        try:
            tree.clear()
            open_brush = QBrush(QColor("#f8d7da"))
            tops = []
            for area, items in group_by_area(rows).items():
                unacked = sum(1 for r in items if r.state == "open")
                top = QTreeWidgetItem([_("{area} ({n}, {new} new)").format(area=area, n=len(items), new=unacked)])
                children = []
                for r in items:
                    child = QTreeWidgetItem([_local(r.raised_at), r.title, _state_title(r.state), r.account,
                                             r.customer, r.meter, r.link, message_text(r)])
                    child.setData(0, ID_ROLE, r.id)
                    if r.state == "open":
                        child.setBackground(2, open_brush)
                    children.append(child)
                top.addChildren(children)
                tops.append(top)
            tree.addTopLevelItems(tops)
            for top in tops:
                top.setExpanded(True)
            if tops and not self._fitted:
                self._fitted = True
                for c in range(tree.columnCount() - 1):
                    tree.resizeColumnToContents(c)
        finally:
            tree.setUpdatesEnabled(True)

    def selected_alarm_ids(self) -> list[int]:
        ids: set[int] = set()
        for item in self.tree.selectedItems():
            if item.data(0, ID_ROLE) is not None:
                ids.add(int(item.data(0, ID_ROLE)))
            for i in range(item.childCount()):          # a selected area acknowledges its alarms
                ids.add(int(item.child(i).data(0, ID_ROLE)))
        return sorted(ids)

    def acknowledge(self) -> None:
        ids = self.selected_alarm_ids()
        if not ids:
            return
        db, actor = self.session.db, self.session.actor
        tasks.write(self, lambda: alarm_log.acknowledge(db, actor, ids), on_done=self._acked)

    def _acked(self, n: int) -> None:
        self._note = _("{n} alarms acknowledged").format(n=n)
        self.open_status.setText(self._note)
        self.refresh()

    # --- pop-up for new alarms
    def watch(self) -> None:
        if self._watching or not self.session.can("report_view"):
            return
        self._watching = True
        db, actor, after = self.session.db, self.session.actor, self.last_id

        def run():
            if after is None:                           # baseline: the newest alarm now
                rows = alarm_log.list_alarms(db, actor, limit=1)
                return None, rows[0].id if rows else 0
            rows = alarm_log.list_alarms(db, actor, open_only=True, after_id=after)
            return rows, max([r.id for r in rows], default=after)

        tasks.read(self, run, on_done=self._watched, on_error=self._watch_failed)

    def _watch_failed(self, _error: BaseException) -> None:
        self._watching = False

    def _watched(self, result) -> None:
        self._watching = False
        rows, last = result
        self.last_id = max(self.last_id or 0, last)
        if rows:
            self.pop_up(rows)
            if self.isVisible():
                self.refresh()

    def pop_up(self, rows) -> None:
        if self.notice is None:
            self.notice = AlarmNotice(self.window(), self._show_me)
        self.notice.present(rows)

    def _show_me(self) -> None:
        window = self.window()
        nav, pages = getattr(window, "nav", None), getattr(window, "pages", None)
        if nav is not None and pages is not None and self in pages:
            nav.setCurrentRow(pages.index(self))
        self.tabs.setCurrentIndex(0)
        self.refresh()

    # --- history: every alarm, a page at a time (billing/alarm_pages.py, ui/item_models/alarm_history.py)
    def _build_history_tab(self) -> None:
        tab = QWidget()
        v = QVBoxLayout(tab)
        self.since, self.until = QDateEdit(station_dates.today(-30)), QDateEdit(station_dates.today())
        for d in (self.since, self.until):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
        self.kind = QComboBox()
        self.kind.addItem(_("All kinds"), None)
        for k in ALARM_KINDS:
            self.kind.addItem(_(alarm_log.KIND_TITLES.get(k, k)), k)
        self.state = QComboBox()
        self.state.addItem(_("All states"), None)
        for st in alarm_pages.STATES:
            self.state.addItem(_state_title(st), st)
        search = QPushButton(_("Search"))
        search.clicked.connect(self.search_history)
        self.history_status = QLabel("")
        bar = QHBoxLayout()
        for w in (self.since, QLabel("—"), self.until, self.kind, self.state, search, self.history_status):
            bar.addWidget(w)
        bar.addStretch(1)
        self.history_model = AlarmHistoryModel(
            [_("Raised"), _("Building"), _("Alarm"), _("State"), _("Account"), _("Customer"), _("Meter"), _("Link"),
             _("Acknowledged by"), _("Cleared"), _("Message")], self)
        self.history_model.opened.connect(self._history_opened)
        self.history_model.failed.connect(self.history_status.setText)
        self.history_view = RowsView()
        self.history_view.setModel(self.history_model)
        self.history_view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.history_view.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.history_view.setAlternatingRowColors(True)
        self.history_view.verticalHeader().setVisible(False)
        self.history_view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.history_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.history_view.horizontalHeader().setStretchLastSection(True)
        self.history_view.horizontalHeader().setResizeContentsPrecision(50)
        v.addLayout(bar)
        v.addWidget(self.history_view, 1)
        self.tabs.addTab(tab, _("History"))

    def history_filter(self) -> alarm_pages.AlarmFilter:
        since, until = station_dates.bounds(self.since.date(), self.until.date())     # station days
        kind = self.kind.currentData()
        return alarm_pages.AlarmFilter(since=since, until=until, kinds=(kind,) if kind else (),
                                       state=self.state.currentData())

    def search_history(self) -> None:
        """Count the matching alarms and read the newest page on a worker; the view reads the
        pages it paints as it scrolls."""
        db, actor, chosen = self.session.db, self.session.actor, self.history_filter()
        self.history_status.setText(_("Searching…"))
        self.history_model.search(lambda: alarm_pages.open_window(db, actor, chosen),
                                  lambda window, offset: history_rows(alarm_pages.read_page(db, actor, window, offset)))

    def _history_opened(self, count: int) -> None:
        self.history_view.resizeColumnsToContents()
        self.history_status.setText(_("{n} alarms").format(n=count))


def history_rows(rows) -> list[tuple[str, ...]]:
    """The history's cells as text (on the worker that read them)."""
    return [(_local(r.raised_at), r.building, r.title, _state_title(r.state), r.account, r.customer, r.meter,
             r.link, r.acked_by, _local(r.cleared_at), message_text(r)) for r in rows]
