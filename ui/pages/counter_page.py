"""The counter (收费): find an account as you type, see its card, sell, print, watch the delivery.

A whole sale without the mouse: type a name, room, meter number, phone or account number →
Up/Down → Enter → amount (or Tab to energy) → Tab → method (Up/Down or 1-5) → Enter → Enter.
Esc goes back to the search box. Every database call runs off the GUI thread (ui.tasks).

The card always shows the highlighted result: a click, an arrow key or new results load that
account; Enter (or a click) then goes on to the amount. Only the newest request's card is shown,
and selling is off from the moment another row is chosen until its card has arrived, so a sale
can never go to the account that was on the card before.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout

from billing import counter_query
from billing.counter_query import AccountCard, AccountHit
from printing.formatting import money
from resources.i18n import _
from ui.pages.base import Page
from ui.printing_qt import ReceiptOutput
from ui.widgets import counter_tasks as safe
from ui.widgets.account_card import AccountCardView
from ui.widgets.counter_delivery import DeliveryView
from ui.widgets.counter_receipts import ReceiptsView
from ui.widgets.counter_sale import SaleForm


def match_hint(hit: AccountHit) -> str:
    """Why a result matched (billing.counter_query.match_reason), in words; "" for the account
    number (shown first anyway)."""
    kind, value = hit.match
    if kind == "room":
        return _("Matched room {room}").format(room=value)
    if kind == "meter":
        return _("Matched meter …{tail}").format(tail=value[-4:])
    if kind == "phone":
        return _("Matched phone")
    if kind == "name":
        return _("Matched name")
    return ""


class CounterPage(Page):
    key = "counter"

    @property
    def title(self) -> str:  # type: ignore[override]
        return _("Counter")

    def __init__(self, session, parent=None) -> None:
        super().__init__(session, parent)
        self.hits: list[AccountHit] = []
        self.card: AccountCard | None = None
        self._seq = 0
        self._pick_seq = 0                 # the newest card request; older answers are dropped
        self._wanted: str | None = None    # the account of that request
        self._focus_on_card = False
        self._filling = False
        self._pick_when_found = False
        self.search = QLineEdit()
        self.search.setPlaceholderText(_("Name, room/shop, meter number, phone or account number"))
        self.search.setClearButtonEnabled(True)
        self.search.installEventFilter(self)
        self.search.textEdited.connect(self._typed)
        self.results = QListWidget()
        self.results.currentRowChanged.connect(self._row_changed)
        self.results.itemClicked.connect(lambda item: self.pick(item.data(Qt.ItemDataRole.UserRole), focus=True))
        self.results.itemActivated.connect(lambda item: self.pick(item.data(Qt.ItemDataRole.UserRole), focus=True))
        self._timer = QTimer(self, singleShot=True, interval=150)
        self._timer.timeout.connect(self.run_search)
        self.printer = ReceiptOutput(session, self)
        self.card_view = AccountCardView()
        self.sale = SaleForm(session)
        self.sale.sold.connect(self._sold)
        self.delivery = DeliveryView(session)
        self.delivery.changed.connect(self.reload_card)
        self.receipts = ReceiptsView(session, self.printer)
        self.receipts.changed.connect(self._money_moved)
        self.status = QLabel("")
        self.status.setObjectName("hint")
        self.status.setWordWrap(True)
        keys = QLabel(_("Enter: choose · Tab: next field · 1-5: payment method · Enter/F9: sell · Esc: search"))
        keys.setObjectName("hint")
        keys.setWordWrap(True)
        left = QVBoxLayout()
        left.addWidget(self.search)
        left.addWidget(self.results, 1)
        left.addWidget(keys)
        right = QVBoxLayout()
        right.addWidget(self.card_view)
        right.addWidget(self.sale)
        right.addWidget(self.status)
        right.addWidget(self.delivery)
        right.addWidget(self.receipts, 1)
        row = QHBoxLayout()
        row.addLayout(left, 2)
        row.addLayout(right, 5)
        self.layout_.addLayout(row, 1)
        bridge = session.services.get("bridge")          # ui.bridge.EventBridge: live settlement
        if bridge is not None and hasattr(bridge, "settled"):
            bridge.settled.connect(self._settled)
        if bridge is not None:
            self.card_view.watch(bridge)               # "unknown" while nobody reads its meters
        QShortcut(QKeySequence("F9"), self, activated=self.sale.request_confirm,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence("Esc"), self, activated=self.focus_search,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

    # --- searching ---------------------------------------------------------------------
    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt name
        super().showEvent(event)
        QTimer.singleShot(0, self.focus_search)

    def refresh(self) -> None:
        self.focus_search()
        self.reload_card()

    def _typed(self, _text: str) -> None:
        self._seq += 1
        self._timer.start()

    def run_search(self) -> None:
        self._timer.stop()
        seq, text, s = self._seq, self.search.text(), self.session
        if not counter_query.may_list_accounts(s.actor):    # said here, asked of nobody (logged per key)
            self.status.setText(str(counter_query.accounts_refusal(s.actor)))
            return
        safe.read(self, lambda: counter_query.search(s.db, s.actor, text, limit=20),
                   on_done=lambda hits: self._found(seq, hits))

    def _found(self, seq: int, hits: list[AccountHit]) -> None:
        if seq != self._seq:
            return
        self.hits = hits
        self._filling = True
        try:
            self.results.clear()
            for h in hits:
                meters = ",".join(h.meters)            # last: a narrow list cuts meters, not balances
                why = match_hint(h)
                item = QListWidgetItem(f"{h.number}  {h.customer}  {h.room}  {money(h.balance)}"
                                       f"{f'  〔{why}〕' if why else ''}  {meters}")
                item.setData(Qt.ItemDataRole.UserRole, h.number)
                item.setToolTip(f"{h.customer}  {h.room}  {h.phone}\n{meters}\n{money(h.balance)}")
                self.results.addItem(item)
            numbers = [h.number for h in hits]
            keep = 0 if self._pick_when_found or self._wanted not in numbers else numbers.index(self._wanted)
            if hits:
                self.results.setCurrentRow(keep)
        finally:
            self._filling = False
        if self._pick_when_found:
            self._pick_when_found = False
            if hits:
                self.pick(hits[0].number, focus=True)      # Enter came first: the first result, highlighted
        elif hits and hits[keep].number != self._wanted:
            self.pick(hits[keep].number)           # the card shows the highlighted result

    def _row_changed(self, row: int) -> None:
        if self._filling or row < 0:
            return
        self.pick(self.results.item(row).data(Qt.ItemDataRole.UserRole))

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt name
        if obj is self.search and event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.results.count():
                step = 1 if key == Qt.Key.Key_Down else -1
                self.results.setCurrentRow(max(0, min(self.results.count() - 1, self.results.currentRow() + step)))
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if self._timer.isActive() or not self.hits:
                    self._pick_when_found = True       # Enter before the results came: take the first
                    self.run_search()
                else:
                    item = self.results.currentItem() or self.results.item(0)
                    self.pick(item.data(Qt.ItemDataRole.UserRole), focus=True)
                return True
        return super().eventFilter(obj, event)

    # --- the card ------------------------------------------------------------------------
    def pick(self, number: str, *, focus: bool = False) -> None:
        """Show that account's card; focus: then go on to the amount (Enter, a click)."""
        if number == self._wanted:
            if focus:
                if self.card is not None and self.card.number == number:
                    self.sale.amount.setFocus()
                else:
                    self._focus_on_card = True         # when the card comes
            return
        self._wanted = number
        self._focus_on_card = focus
        if self.card is not None and self.card.number != number:
            self.sale.set_account(None)                # no selling until this account's card is here
        self._load(number)

    def _load(self, number: str) -> None:
        self._pick_seq += 1
        seq, s = self._pick_seq, self.session
        safe.read(self, lambda: counter_query.account_card(s.db, s.actor, number),
                   on_done=lambda c: self._card_arrived(seq, c))

    def _card_arrived(self, seq: int, card: AccountCard) -> None:
        if seq != self._pick_seq:
            return                                     # another row was chosen meanwhile
        focus, self._focus_on_card = self._focus_on_card, False
        self._show_card(card, focus=focus)

    def _show_card(self, card: AccountCard, *, focus: bool = True) -> None:
        same = self.card is not None and self.card.number == card.number
        self.card = card
        self._wanted = card.number
        self.card_view.show_card(card)
        self.sale.set_account(card.number, sellable=card.state == "open", card=card)
        self.receipts.show_card(card)
        if not same:
            self.delivery.show_items(card.deliveries)
            self.status.setText("")
        if focus:
            self.sale.amount.setFocus()

    def reload_card(self) -> None:
        if self._wanted is None:
            return
        self._load(self._wanted)

    def _settled(self, batch: list[dict]) -> None:
        """The runtime charged readings: reload the card if its account was among them."""
        if self.card is not None and any(self.card.account_id in (d.get("accounts") or ()) for d in batch):
            self.reload_card()

    # --- after a money movement -------------------------------------------------------------
    def _sold(self, result) -> None:
        if result.replayed:
            self.status.setText(_("Already sold (receipt {receipt}); nothing was sold twice").format(
                receipt=result.receipt))
            return
        self.status.setText(_("Sold {amount}: receipt {receipt}, balance now {balance}").format(
            amount=money(result.amount), receipt=result.receipt, balance=money(result.balance)))
        self._after(result)
        QTimer.singleShot(0, self.focus_search)          # after the confirmation box gave focus back

    def _money_moved(self, result) -> None:
        self.status.setText(_("Done: receipt {receipt}, balance now {balance}").format(
            receipt=result.receipt, balance=money(result.balance)))
        self._after(result)

    def _after(self, result) -> None:
        if self.search.text().strip():
            self._seq += 1
            self.run_search()                          # the balances in the list are not stale
        if result.receipt:
            self.printer.output(result.receipt)
        if result.outbox:
            self.delivery.track(result.outbox)
            runtime = self.session.services.get("runtime")
            if runtime is not None and hasattr(runtime, "wake"):
                runtime.wake()
        self.reload_card()
