"""Meters / monitor board (表计/监控): every meter with its state colour, balance, last reading
and its age, live values; filters by building, floor, state, tag and text; counts per state.
The state chips filter too (click: only that state; click again: all) and keep their counts.
Two views of the same filtered rows: the table (表格) and the floor plan (平面图,
ui/widgets/meter_tiles.py); choosing a meter in one chooses it in the other.

Data comes from billing.monitor_query off the GUI thread. While the page is visible it reloads
every REFRESH_MS and merges the result in place (only changed rows repaint); with the poller's
bridge (session.services["bridge"]) readings and meter states patch rows as they arrive, and a
visit does not reload a board the bridge keeps current: only the meters whose account was
settled, which raised an alarm or finished a command since the last load are read again; the
whole board when it is older than BRIDGED_STALE_S or the windows wrote to the database since
(a sale, an archive edit: ui.tasks.writes_done). Reloading and merging every row on each visit
cost the window a second paint and a query's worth of GIL per visit (bench_gui).
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QTableView,
)

from billing.monitor_query import BOARD_STATES
from models.errors import PermissionDenied
from resources.i18n import _
from ui import board_source
from ui.item_models.meter_table import STATE_TITLES, MeterFilter, MeterTableModel
from ui.pages.base import Page
from ui.pages.freshness import Freshness
from ui.theme import STATE_COLOURS
from ui.widgets.meter_tiles import MeterTiles

REFRESH_MS = 5000            # reload while visible, without the poller's bridge
BRIDGED_REFRESH_MS = 30000   # with it: readings arrive live, the reload only catches the rest
BRIDGED_STALE_S = 30         # with it, a visit reloads the whole board only when older than this
PARTIAL_MAX = 900            # more changed meters than this (or half the board): the whole board


def make_meter_view(model: MeterTableModel, proxy: MeterFilter) -> QTableView:
    proxy.setSourceModel(model)
    view = QTableView()
    view.setModel(proxy)
    view.setSortingEnabled(True)
    view.sortByColumn(0, Qt.SortOrder.AscendingOrder)       # by meter number (Qt's default is descending)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(24)         # fixed heights: no per-row measuring
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.horizontalHeader().setStretchLastSection(True)
    if "number" in model.columns:          # 14-digit (CJ/T 188) addresses are never cut
        digits = QFontMetrics(view.font()).horizontalAdvance("0" * 14)
        view.setColumnWidth(model.columns.index("number"), digits + 40)   # + the alarm marker, margins
    model.aged.connect(view.viewport().update)              # the age column's clock moved
    return view


class MetersPage(Page):
    key = "meters"

    @property
    def title(self) -> str:
        return _("Meters")

    def __init__(self, session, parent=None) -> None:
        super().__init__(session, parent)
        self.model = MeterTableModel(self)
        self.proxy = MeterFilter(self)
        self.building, self.floor, self.state, self.tag = QComboBox(), QComboBox(), QComboBox(), QComboBox()
        self.text = QLineEdit()
        self.text.setPlaceholderText(_("Meter, room, customer, account or tag"))
        self.state.addItem(_("All states"), None)
        for s in BOARD_STATES:
            self.state.addItem(_(STATE_TITLES[s]), s)
        self._fill_places()
        bar = QHBoxLayout()
        for label, w in ((_("Building"), self.building), (_("Floor"), self.floor), (_("State"), self.state),
                         (_("Tag"), self.tag)):
            bar.addWidget(QLabel(label))
            bar.addWidget(w)
        bar.addWidget(self.text, 1)
        self.layout_.addLayout(bar)
        # the state chips get a row of their own: with the view buttons and the "shown" count
        # beside them, ten chips made the page wider than a 1366 × 768 screen's window (cut off)
        summary = QHBoxLayout()
        self.summary: dict[str, QPushButton] = {}
        self.chips = QButtonGroup(self)
        self.chips.setExclusive(False)           # a second click clears the filter
        for s in BOARD_STATES:
            bg, fg = STATE_COLOURS[s]
            chip = QPushButton()
            chip.setCheckable(True)
            chip.setCursor(Qt.CursorShape.PointingHandCursor)
            chip.setToolTip(_("Show only this state; click again to show all"))
            chip.setStyleSheet(f"QPushButton {{ background: {bg}; color: {fg}; padding: 2px 8px; border-radius: 3px;"
                               f" border: 2px solid {bg}; }} QPushButton:checked {{ border: 2px solid {fg};"
                               " font-weight: bold; }")
            chip.clicked.connect(lambda checked, state=s: self._chip_clicked(state, checked))
            self.chips.addButton(chip)
            self.summary[s] = chip
            summary.addWidget(chip)
        summary.addStretch(1)
        self.as_table, self.as_plan = QPushButton(_("Table")), QPushButton(_("Floor plan"))
        views = QButtonGroup(self)
        for i, b in enumerate((self.as_table, self.as_plan)):
            b.setCheckable(True)
            views.addButton(b, i)
            bar.addWidget(b)
        self.as_table.setChecked(True)
        views.idClicked.connect(self.show_view)
        self.status = QLabel("")
        self.status.setObjectName("hint")
        bar.addWidget(self.status)
        self.layout_.addLayout(summary)
        self.view = make_meter_view(self.model, self.proxy)
        self.tiles = MeterTiles(self.model, self.proxy)
        self.views = QStackedWidget()
        self.views.addWidget(self.view)
        self.views.addWidget(self.tiles)
        self.layout_.addWidget(self.views, 1)
        self.tiles.meter_clicked.connect(lambda meter: self.choose_meter(meter, scroll_tiles=False))
        self.view.selectionModel().currentRowChanged.connect(self._table_row_changed)
        self._debounce = QTimer(self, singleShot=True, interval=250, timeout=self.apply_filters)
        self.timer = QTimer(self, interval=BRIDGED_REFRESH_MS if session.services.get("bridge") else REFRESH_MS,
                            timeout=self.reload)
        self._loading = False
        self._live = False                       # the bridge feeds readings and meter states
        self.fresh = Freshness()                 # the last full load (ui/pages/freshness.py)
        self._dirty: set[int] = set()            # meters changed behind the live feed since then
        self._dirty_accounts: set[int] = set()   # accounts settled since then
        self._shown_counts: dict[str, int] = {}   # what the chips say (_update_summary)
        self._shown_total: tuple[int, int] | None = None
        self.building.currentIndexChanged.connect(self._building_changed)
        for combo in (self.floor, self.state, self.tag):
            combo.currentIndexChanged.connect(self.apply_filters)
        self.state.currentIndexChanged.connect(self._sync_chips)
        self.text.textChanged.connect(lambda _t: self._debounce.start())
        self.model.modelReset.connect(self._fill_places)
        self.model.modelReset.connect(self._update_summary)
        self.model.dataChanged.connect(self._update_summary)
        self._connect_bridge()
        self._update_summary()

    # --- live updates
    def _connect_bridge(self) -> None:
        bridge = self.session.services.get("bridge")
        if bridge is None:
            return
        for name, slot in (("readings", self._on_readings), ("meter_states", self._on_meter_states),
                           ("settled", self._on_settled), ("alarm_raised", self._on_alarms),
                           ("commands", self._on_commands)):
            signal = getattr(bridge, name, None)
            if signal is not None:
                signal.connect(slot)
        self._live = all(getattr(bridge, name, None) is not None for name in ("readings", "meter_states"))
        unread = getattr(bridge, "unread", None)
        if unread:                       # the runtime ended before this page was built: nobody reads them
            self.model.apply_batch((), dict.fromkeys(unread, "unknown"))

    def _on_readings(self, batch) -> None:
        """A coalesced batch of readings (ui.bridge: [{"meter_id", "values"[, "at"]}]) or {meter_id: values}."""
        if isinstance(batch, dict) and "meter_id" not in batch:
            batch = [{"meter_id": k, "values": v} for k, v in batch.items()]
        items = batch if isinstance(batch, (list, tuple)) else [batch]
        rows = [d for d in (getattr(item, "data", item) for item in items) if isinstance(d, dict) and "meter_id" in d]
        if rows:
            self.model.apply_batch(rows)

    def _on_meter_states(self, states) -> None:
        """{meter_id: "online" | "lost" | "unreachable" | "unknown"}: the last state of each meter
        since the last frame ("unknown": nobody reads it now, the runtime ended)."""
        self.model.apply_batch((), dict(states))

    def _on_settled(self, batch) -> None:
        """The runtime charged accounts (ui.bridge: [{"accounts": [ids], ...}]): their balances moved."""
        for d in batch:
            self._dirty_accounts.update(d.get("accounts") or ())

    def _on_alarms(self, rows) -> None:
        """New alarms (billing.alarm_log.AlarmRow): their meters' open-alarm markers changed."""
        numbers = {r.meter for r in rows if r.meter}
        accounts = {r.account for r in rows if r.account and not r.meter}
        if numbers or accounts:
            self._dirty.update(r.meter_id for r in self.model.rows
                               if r.number in numbers or (r.account and r.account in accounts))

    def _on_commands(self, batch) -> None:
        """Commands done or failed: the meters' relay or keep-power state may have moved."""
        self._dirty.update(int(d["meter_id"]) for d in batch if isinstance(d, dict) and d.get("meter_id") is not None)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt name
        super().showEvent(event)
        self.timer.start()

    def hideEvent(self, event) -> None:  # noqa: N802 - Qt name
        self.timer.stop()
        super().hideEvent(event)

    # --- loading
    def refresh(self) -> None:
        """A visit: the whole board when it may be stale, else only the meters changed behind
        the bridge's live feed, else nothing but the age column's clock."""
        if self.stale():
            self.reload()
        elif self._dirty or self._dirty_accounts:
            self.reload_some()
        else:
            self.model.tick()

    def stale(self) -> bool:
        return not self._live or self.fresh.stale(BRIDGED_STALE_S)

    def reload(self) -> None:
        if self._loading:
            return
        self._loading = True
        stamp = self.fresh.stamp()
        self._dirty.clear()
        self._dirty_accounts.clear()
        model, order = self.model, self.model.sort_order()
        model.reload_started()                  # a live update from now on is newer than these rows
        board_source.read(self, self.session, then=lambda rows: model.prepare(rows, order),  # sorted off the GUI thread
                          on_done=lambda rows: self._loaded(rows, stamp), on_error=self._failed)

    def reload_some(self) -> None:
        """Read again the meters settled, alarmed or commanded since the last load."""
        if self._loading:
            return
        accounts = self._dirty_accounts
        ids = sorted(self._dirty | {r.meter_id for r in self.model.rows if r.account_id in accounts})
        if len(ids) > min(PARTIAL_MAX, len(self.model.rows) // 2):    # most of the board: all of it
            self.reload()
            return
        self._dirty, self._dirty_accounts = set(), set()
        self.model.tick()
        if not ids:
            return
        self._loading = True
        board_source.read(self, self.session, meter_ids=ids, on_done=self._patched, on_error=self._failed)

    def _failed(self, error: BaseException) -> None:
        self._loading = False
        self.status.setText(str(error) if isinstance(error, PermissionDenied)      # no right: said as it is
                            else _("The board could not be loaded: {error}").format(error=error))
        self._shown_total = None                 # the next summary replaces this message

    def _loaded(self, rows, stamp: tuple[float, int] | None = None) -> None:
        self._loading = False
        self.fresh.loaded(stamp)
        self.model.tick()
        self.model.merge(rows, sliced=True)     # a reset (other meters) refills the place and tag filters
        self._update_summary()

    def _patched(self, rows) -> None:
        self._loading = False
        if self.model.patch(rows) is None:          # a meter the board does not hold: all of it
            self.fresh.forget()
            self.reload()

    # --- filters
    def _fill_places(self) -> None:
        rows = self.model.rows
        keep_b, keep_t = self.building.currentData(), self.tag.currentData()
        buildings = sorted({(r.building, r.building_id) for r in rows if r.building_id is not None})
        tags = sorted({t for r in rows for t in r.tags})
        for combo in (self.building, self.tag):
            combo.blockSignals(True)
            combo.clear()
        self.building.addItem(_("All buildings"), None)
        for name, bid in buildings:
            self.building.addItem(name, bid)
        self.tag.addItem(_("All tags"), None)
        for t in tags:
            self.tag.addItem(t, t)
        for combo, keep in ((self.building, keep_b), (self.tag, keep_t)):
            i = combo.findData(keep)
            combo.setCurrentIndex(max(i, 0))
            combo.blockSignals(False)
        self._fill_floors()

    def _fill_floors(self) -> None:
        keep = self.floor.currentData()
        bid = self.building.currentData()
        floors = sorted({r.floor for r in self.model.rows if r.floor and (bid is None or r.building_id == bid)})
        self.floor.blockSignals(True)
        self.floor.clear()
        self.floor.addItem(_("All floors"), None)
        for f in floors:
            self.floor.addItem(f, f)
        self.floor.setCurrentIndex(max(self.floor.findData(keep), 0))
        self.floor.blockSignals(False)

    def _building_changed(self) -> None:
        self._fill_floors()
        self.apply_filters()

    def apply_filters(self) -> None:
        self.proxy.set_filters(building=self.building.currentData(), floor=self.floor.currentData(),
                               state=self.state.currentData(), tag=self.tag.currentData(), text=self.text.text())
        self._update_summary()

    def _chip_clicked(self, state: str, checked: bool) -> None:
        """A chip shows only its state (the state filter); clicking it again shows all."""
        self.state.setCurrentIndex(max(self.state.findData(state), 0) if checked else 0)
        self._sync_chips()

    def _sync_chips(self, *_args) -> None:
        chosen = self.state.currentData()
        for s, chip in self.summary.items():
            chip.setChecked(s == chosen)

    # --- the two views
    def show_view(self, which: int) -> None:
        """0: the table, 1: the floor plan (same rows, same filters)."""
        self.views.setCurrentIndex(which)
        (self.as_plan if which else self.as_table).setChecked(True)
        if which and self.tiles.selected is not None:
            self.tiles.select(self.tiles.selected)

    def choose_meter(self, meter_id: int, *, scroll_tiles: bool = True) -> bool:
        """Select a meter in both views (False when the filter hides it)."""
        source = self.model.row_of(meter_id)
        if source is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(source, 0))
        if not index.isValid():
            return False
        self.view.selectRow(index.row())
        self.view.scrollTo(index)
        self.tiles.select(meter_id, scroll=scroll_tiles)
        return True

    def _table_row_changed(self, current, _previous) -> None:
        if current.isValid():
            meter = self.proxy.meter_ids([current.row()])[0]
            if meter != self.tiles.selected:
                self.tiles.select(meter, scroll=self.views.currentIndex() == 1)

    def _update_summary(self, *_args) -> None:
        """The chips' counts and "shown of total": on every dataChanged (each live batch), so
        only what changed is set (a label's setText is a call into Qt that can wait for the GIL)."""
        counts, shown = self.model.counts, (self.proxy.rowCount(), self.model.rowCount())
        for s, label in self.summary.items():
            n = counts.get(s, 0)
            if self._shown_counts.get(s) != n:
                self._shown_counts[s] = n
                label.setText(f"{_(STATE_TITLES[s])} {n}")
        if shown != self._shown_total:
            self._shown_total = shown
            self.status.setText(_("{shown} of {total} meters").format(shown=shown[0], total=shown[1]))

    def selected_meter_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        return self.proxy.meter_ids(rows)
