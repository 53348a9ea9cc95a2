"""Control (控制): pick meters, send trip / close / keep power / restore prepaid / price or
settings download / read now / sync clock, and watch each meter's result.

Meters are picked from the page's own filterable list (multi-select; "select all shown" for a
floor or a building), or taken from the Meters page's selection. The command goes to
billing.control.send_command on the writer thread; the progress view polls command_status
off-thread every second until every item has finished (at once when the poller's bridge
reports a command done or failed). Buttons follow the operator's rights; the service checks
them anyway.
"""
from __future__ import annotations

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from billing import control
from billing.monitor_query import BOARD_STATES
from models.errors import PermissionDenied
from resources.i18n import _
from ui import board_source, tasks
from ui.item_models.command_progress import CommandProgressModel
from ui.item_models.meter_table import STATE_TITLES, MeterFilter, MeterTableModel
from ui.pages.base import Page
from ui.pages.freshness import Freshness
from ui.pages.meters_page import make_meter_view
from ui.pages.timed_panel import NextScheduledPanel

POLL_MS = 1000
BRIDGED_STALE_S = 30         # with the bridge's live updates, a visit reloads a list older than this
ORDER = ("trip", "close", "keep-power", "keep-power-off", "restore-prepaid", "price", "settings", "read",
         "sync_clock", "valve-open", "valve-close")
CONFIRM_ALWAYS = ("trip", "valve-close")


class ControlPage(Page):
    key = "control"

    @property
    def title(self) -> str:
        return _("Control")

    def __init__(self, session, parent=None) -> None:
        super().__init__(session, parent)
        self.meters = MeterTableModel(self, columns=("number", "place", "customer", "state", "balance", "link"))
        self.proxy = MeterFilter(self)
        self.text = QLineEdit()
        self.text.setPlaceholderText(_("Meter, room, customer, account or tag"))
        self.state = QComboBox()
        self.state.addItem(_("All states"), None)
        for s in BOARD_STATES:
            self.state.addItem(_(STATE_TITLES[s]), s)
        self.text.textChanged.connect(self._filter)
        self.state.currentIndexChanged.connect(self._filter)
        select_all = QPushButton(_("Select all shown"))
        from_board = QPushButton(_("Use the Meters page selection"))
        self.view = make_meter_view(self.meters, self.proxy)
        select_all.clicked.connect(self.view.selectAll)
        from_board.clicked.connect(self.take_board_selection)
        self.offered: dict[int, tuple[str, ...]] | None = None     # meter id -> commands its model offers
        self.action = QComboBox()
        for a in ORDER:
            self.action.addItem(_(control.ACTION_TITLES[a]), a)
        self.send_button = QPushButton(_("Send"))
        self.send_button.setObjectName("primary")
        self.send_button.clicked.connect(self.send)
        self.action.currentIndexChanged.connect(self._rights)
        self.view.selectionModel().selectionChanged.connect(self._rights)
        self.picked = QLabel("")
        top = QHBoxLayout()
        for w in (self.text, self.state, select_all, from_board):
            top.addWidget(w, 1 if w is self.text else 0)
        act = QHBoxLayout()
        for w in (QLabel(_("Command")), self.action, self.send_button, self.picked):
            act.addWidget(w)
        act.addStretch(1)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addLayout(top)
        lv.addWidget(self.view, 1)
        lv.addLayout(act)
        self.progress = CommandProgressModel(self)
        self.progress_view = QTableView()
        self.progress_view.setModel(self.progress)
        self.progress_view.verticalHeader().setVisible(False)
        self.progress_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.progress_view.horizontalHeader().setStretchLastSection(True)
        self.progress_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.result = QLabel("")
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addWidget(QLabel(_("Progress")))
        rv.addWidget(self.progress_view, 1)
        rv.addWidget(self.result)
        self.timed_panel = NextScheduledPanel(session)     # timed control: what is next
        rv.addWidget(self.timed_panel, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.layout_.addWidget(split, 1)
        self.poll_timer = QTimer(self, interval=POLL_MS, timeout=self.poll)
        self._polling = False
        self._loading = self._again = False
        self.fresh = Freshness()                 # the last list load (ui/pages/freshness.py)
        self._live = False                       # the bridge patches the list (refresh throttled)
        self.confirm = self._ask                 # tests replace these two dialogs
        self.report_error = lambda e: tasks.show_error(self, e)
        self._connect_bridge()
        self._rights()

    # --- meters
    def refresh(self, force: bool = False) -> None:
        """Reload the list (off-thread). With the poller's bridge the list is patched live
        (readings and meter states), so a visit reloads it only when the last load is older than
        BRIDGED_STALE_S or the windows wrote since (ui/pages/freshness.py): reloading 10,000
        rows on every visit cost the window a query's worth of GIL and a merge of every row each
        time. force: reload now (a command finished)."""
        self.timed_panel.refresh()
        if self._live and not self.fresh.stale(BRIDGED_STALE_S) and not force:
            return
        if self._loading:                        # one at a time; a forced one runs after it
            self._again = self._again or force
            return
        self._loading = True
        model, order, stamp = self.meters, self.meters.sort_order(), self.fresh.stamp()
        model.reload_started()                  # a live update from now on is newer than these rows
        board_source.read(self, self.session, offered=True, on_done=lambda result: self._loaded(result, stamp),
                          on_error=self._load_failed,
                          then=lambda rows, offered: (model.prepare(rows, order), offered))  # off the GUI thread

    def _load_failed(self, error: BaseException) -> None:
        self._loading = self._again = False
        if isinstance(error, PermissionDenied):         # no right to see the meters: said on the page
            self.result.setText(str(error))
            return
        tasks.report_background(error)

    def _loaded(self, result, stamp: tuple[float, int] | None = None) -> None:
        self._loading = False
        self.fresh.loaded(stamp)                 # as of the load's start: a write meanwhile reloads
        rows, self.offered = result
        self.meters.merge(rows, sliced=True)     # at 10,000 meters: over several turns of the event loop
        self._rights()
        if self._again:                          # asked for while this load ran (it may predate it)
            self._again = False
            self.refresh(force=True)

    def _on_readings(self, batch) -> None:
        """ui.bridge's coalesced readings: [{"meter_id", "values"[, "at"]}]. This list shows no
        reading, only the state a reading can change: a meter back online (or read again after
        the runtime ended) or its relay moved.
        Only those are applied (applying every reading cost as much as the board's own feed:
        ≈ 0.1 ms a reading of the GUI thread at 10,000 meters)."""
        if self.fresh.never:
            return
        model, moved = self.meters, []
        for d in batch:
            i = model.row_of(d.get("meter_id")) if isinstance(d, dict) else None
            if i is None:
                continue
            row, relay = model.rows[i], (d.get("values") or {}).get("relay")
            if (row.comm_state != "online" or row.unwatched
                    or (relay in ("open", "closed") and relay != row.relay_state)):
                moved.append(d)
        if moved:
            model.apply_batch(moved)

    def _on_meter_states(self, states) -> None:
        """Before the first load too: "unknown" (nobody reads the meter, the runtime ended) is
        kept by the model for the rows it loads; a runtime's state later takes it back."""
        self.meters.apply_batch((), dict(states))

    def offered_actions(self) -> set[str]:
        """The commands every selected meter's model declares (models/capabilities.py)."""
        ids = self.selected_ids()
        sets = [set(self.offered.get(i, ())) for i in ids]
        return set.intersection(*sets) if sets else set(ORDER)

    def _filter(self) -> None:
        self.proxy.set_filters(state=self.state.currentData(), text=self.text.text())

    def selected_ids(self) -> list[int]:
        return self.proxy.meter_ids(sorted({i.row() for i in self.view.selectionModel().selectedRows()}))

    def select_meters(self, meter_ids: list[int]) -> None:
        """Select these meters in the list (clears the filters so all of them are shown)."""
        self.text.clear()
        self.state.setCurrentIndex(0)
        self.proxy.set_filters()
        self.view.clearSelection()
        sel = self.view.selectionModel()
        selection = QItemSelection()
        for mid in meter_ids:
            row = self.meters.row_of(mid)
            if row is not None:
                ix = self.proxy.mapFromSource(self.meters.index(row, 0))
                selection.select(ix, ix)
        sel.select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)

    def take_board_selection(self) -> None:
        built = getattr(self.window(), "built_page", None)     # a board never opened has no selection
        board = built("meters") if built is not None else None
        if board is None:
            return
        ids = board.selected_meter_ids()
        self.select_meters(ids)

    def _rights(self, *_args) -> None:
        action = self.action.currentData()
        allowed = self.session.can(control.RIGHT_OF[action])
        n = len(self.view.selectionModel().selectedRows())
        offered = self.offered_actions() if self.offered is not None else set(ORDER)
        for i in range(self.action.count()):     # commands the selected meters' models lack: greyed
            self.action.model().item(i).setEnabled(self.action.itemData(i) in offered)
        self.send_button.setEnabled(allowed and n > 0 and action in offered)
        self.send_button.setToolTip("" if allowed and action in offered else _(
            "You have no right to send this command") if not allowed else _(
            "The selected meters' model does not offer this command"))
        self.picked.setText(_("{n} meters selected").format(n=n))

    # --- sending
    def _ask(self, text: str) -> bool:
        answer = QMessageBox.question(self, _("MeterStation"), text)
        return answer == QMessageBox.StandardButton.Yes

    def send(self) -> None:
        action = self.action.currentData()
        ids = self.selected_ids()
        if not ids:
            return
        title = _(control.ACTION_TITLES[action])
        if (action in CONFIRM_ALWAYS or (len(ids) > 1 and action != "read")) and not self.confirm(
                _("{command}: {n} meters. Send?").format(command=title, n=len(ids))):
            return
        db, actor = self.session.db, self.session.actor
        self.send_button.setEnabled(False)

        def run():
            items = control.send_command(db, actor, ids, action)
            return control.command_status(db, items), items

        tasks.write(self, run, on_done=self._sent, on_error=self._send_failed)

    def _send_failed(self, error: BaseException) -> None:
        self._rights()
        self.result.setText(str(error) if error.args else type(error).__name__)
        self.report_error(error)

    def _sent(self, result) -> None:
        statuses, items = result
        numbers = {r.meter_id: r.number for r in self.meters.rows}
        self.progress.start([(i, numbers.get(statuses[i].meter_id, str(statuses[i].meter_id)), statuses[i].kind)
                             for i in items if i in statuses])
        self._rights()
        self._wake()
        self._show_counts()
        self.poll_timer.start()

    def _wake(self) -> None:
        for key in ("outbox", "poller"):
            service = self.session.services.get(key)
            if service is not None and hasattr(service, "wake"):
                service.wake()

    # --- progress
    def _connect_bridge(self) -> None:
        """ui.bridge.EventBridge: a finished command polls the progress at once; readings and
        meter states patch the list."""
        bridge = self.session.services.get("bridge")
        if bridge is None:
            return
        for name, slot in (("commands", lambda *_a: self.poll()), ("readings", self._on_readings),
                           ("meter_states", self._on_meter_states)):
            signal = getattr(bridge, name, None)
            if signal is not None:
                signal.connect(slot)
                self._live = self._live or name == "meter_states"
        unread = getattr(bridge, "unread", None)
        if unread:                       # the runtime ended before this page was built: nobody reads them
            self.meters.apply_batch((), dict.fromkeys(unread, "unknown"))

    def poll(self) -> None:
        pending = self.progress.unfinished()
        if not pending:
            self.poll_timer.stop()
            return
        if self._polling:
            return
        self._polling = True
        db = self.session.db
        tasks.read(self, lambda: control.command_status(db, pending), on_done=self._polled,
                   on_error=self._poll_failed)

    def _poll_failed(self, error: BaseException) -> None:
        self._polling = False
        self.result.setText(str(error))

    def _polled(self, statuses) -> None:
        self._polling = False
        self.progress.update(statuses)
        self._show_counts()
        if not self.progress.unfinished():
            self.poll_timer.stop()
            self.refresh(force=True)            # relay states changed: reload the list

    def _show_counts(self) -> None:
        c = self.progress.counts()
        self.result.setText(_("{done} done, {failed} failed, {pending} pending").format(
            done=c["done"], failed=c["failed"] + c["expired"], pending=c["pending"] + c["sending"]))

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt name
        self.poll_timer.stop()
        super().closeEvent(event)
