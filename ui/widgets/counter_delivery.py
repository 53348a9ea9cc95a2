"""Live delivery of a sale's meter commands (recharge, relay close): pending → delivered, or
failed with Retry.

The poller's command events reach us through session.services["bridge"] (ui.bridge.EventBridge,
its `commands` signal) when the station runs its background service, and the states are read
at once; they are also read off-thread every second while any item is under way, so the view
is right without the bridge too (a counter-only station whose poller runs elsewhere).
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from billing import counter_query, outbox
from billing.counter_query import Delivery
from resources.i18n import N_, _
from ui.widgets import counter_tasks as safe

KIND_LABELS = {"meter.recharge": N_("Recharge the meter"), "meter.close": N_("Close the relay"),
               "meter.refund": N_("Take the refund off the meter"), "meter.trip": N_("Trip the relay")}
UNDER_WAY = ("pending", "sending")
COLOURS = {"done": "#155724", "failed": "#721c24", "expired": "#721c24", "pending": "#856404",
           "sending": "#0c5460"}


def state_text(d: Delivery) -> str:
    if d.state == "done":
        return _("delivered")
    if d.state in ("failed", "expired"):
        return _("failed: {error}").format(error=d.error or "—")
    if d.state == "sending":
        return _("sending to the meter")
    if d.attempts:
        return _("pending, retry {n} ({error})").format(n=d.attempts, error=d.error or "—")
    return _("pending")


class DeliveryView(QWidget):
    changed = Signal()

    def __init__(self, session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.items: dict[int, Delivery] = {}
        self.list = QListWidget()
        self.list.setMaximumHeight(64)             # two lines; the receipts get the rest
        self.list.setMinimumHeight(40)
        self.retry_button = QPushButton(_("Retry"))
        self.retry_button.setEnabled(False)
        self.retry_button.clicked.connect(self.retry)
        self.list.currentItemChanged.connect(lambda *_a: self._buttons())
        self.timer = QTimer(self, interval=1000)
        self.timer.timeout.connect(self.poll_now)
        self._polling = False
        bridge = session.services.get("bridge")          # ui.bridge.EventBridge
        if bridge is not None and hasattr(bridge, "commands"):
            bridge.commands.connect(self._events)
        self.events_seen = 0
        head = QHBoxLayout()
        head.addWidget(QLabel(_("Delivery to the meter")))
        head.addStretch(1)
        head.addWidget(self.retry_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.list)

    def show_items(self, deliveries) -> None:
        """Replace the list (a new account) and follow those under way."""
        self.items = {d.item_id: d for d in deliveries}
        self._render()

    def track(self, item_ids) -> None:
        for i in item_ids:
            self.items.setdefault(i, Delivery(i, "", "", "pending", 0, ""))
        self._render()
        self.poll_now()

    def state_of(self, item_id: int) -> str | None:
        d = self.items.get(item_id)
        return None if d is None else d.state

    def under_way(self) -> bool:
        return any(d.state in UNDER_WAY for d in self.items.values())

    def _events(self, batch: list[dict]) -> None:
        """command_done / command_failed from the poller: read the states of ours now."""
        if any(e.get("item_id") in self.items for e in batch):
            self.events_seen += 1
            self.poll_now()

    def poll_now(self) -> None:
        ids = [i for i, d in self.items.items() if d.state in UNDER_WAY]
        if not ids or self._polling:
            return
        self._polling = True
        db = self.session.db
        safe.read(self, lambda: counter_query.delivery_states(db, ids), on_done=self._update,
                   on_error=lambda _e: setattr(self, "_polling", False))

    def _update(self, states: dict[int, Delivery]) -> None:
        self._polling = False
        if any(i in self.items for i in states):
            self.items.update({i: d for i, d in states.items() if i in self.items})
            self._render()
            self.changed.emit()

    def _render(self) -> None:
        current = self.list.currentItem()
        keep = current.data(Qt.ItemDataRole.UserRole) if current else None
        self.list.clear()
        for d in sorted(self.items.values(), key=lambda d: -d.item_id):
            text = f"{_(KIND_LABELS.get(d.kind, d.kind or 'meter'))}  {d.meter}  —  {state_text(d)}"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, d.item_id)
            item.setForeground(QColor(COLOURS.get(d.state, "#333333")))
            self.list.addItem(item)
            if d.item_id == keep or (keep is None and d.state in ("failed", "expired")):
                self.list.setCurrentItem(item)
        if self.under_way():
            if not self.timer.isActive():
                self.timer.start()
        else:
            self.timer.stop()
        self._buttons()

    def _selected(self) -> Delivery | None:
        item = self.list.currentItem()
        return None if item is None else self.items.get(item.data(Qt.ItemDataRole.UserRole))

    def _buttons(self) -> None:
        d = self._selected()
        self.retry_button.setEnabled(d is not None and d.state in ("failed", "expired")
                                     and self.session.can("sell"))

    def retry(self) -> None:
        d = self._selected()
        if d is None:
            return
        s = self.session
        safe.write(self, lambda: outbox.retry(s.db, s.actor, d.item_id), on_done=lambda _r: self._retried(d))

    def _retried(self, d: Delivery) -> None:
        runtime = self.session.services.get("runtime")
        if runtime is not None and hasattr(runtime, "wake"):
            runtime.wake()
        self.items[d.item_id] = Delivery(d.item_id, d.kind, d.meter, "pending", d.attempts, "")
        self._render()
