"""Accounts (账户): the list with a filter; open (开户), close with final settlement and refund
(销户), move shop (调换商铺), replace a meter (换表), bind another meter (一户多表); the selected
account's ledger history (every entry). Opening and closing print their receipts.

Buttons follow the operator's rights (account_open, account_close, account_edit); the services
check them again. Every database call runs off the GUI thread (ui.tasks).
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QComboBox, QDialog, QHBoxLayout, QLineEdit, QPushButton, QSplitter

from archive import query as archive_query
from archive import service as archive_service
from billing import account_changes, accounts_open, counter_query, sales
from billing.account_receipts import issue_open_receipt
from billing.accounts_open import MeterOpening
from billing.ledger_words import operator_text
from billing.tariffs import plan_store
from models.errors import PermissionDenied, StationError
from printing.formatting import money, when
from resources.i18n import N_, _
from ui import tasks
from ui.pages.base import Page, fill, make_table
from ui.pages.freshness import Freshness
from ui.printing_qt import ReceiptOutput
from ui.widgets import counter_tasks as safe
from ui.widgets.account_bills import AccountBills
from ui.widgets.account_card import LEVEL_LABELS, MODE_LABELS
from ui.widgets.account_dialogs import (
    BindMeterDialog,
    CloseAccountDialog,
    MoveDialog,
    OpenAccountDialog,
    ReplaceMeterDialog,
)

VISIT_STALE_S = 30          # a visit lists the accounts again when the list is older than this
ENTRY_KINDS = {"purchase": N_("Purchase"), "refund": N_("Refund"), "reversal": N_("Reversal"),
               "consumption": N_("Consumption"), "subsidy_grant": N_("Subsidy granted"),
               "subsidy_expiry": N_("Subsidy expired"), "transfer_in": N_("Transfer in"),
               "transfer_out": N_("Transfer out"), "opening_balance": N_("Opening balance"),
               "bill": N_("Bill"), "bill_payment": N_("Bill payment"), "apportion": N_("Apportioned cost")}


class AccountsPage(Page):
    key = "accounts"

    @property
    def title(self) -> str:  # type: ignore[override]
        return _("Accounts")

    def __init__(self, session, parent=None) -> None:
        super().__init__(session, parent)
        self.hits: list = []
        self.card = None
        self.keep: str | None = None          # the account to select after the next reload
        self.last_result = None
        self.fresh = Freshness()                  # when the list was last asked for (ui/pages/freshness.py)
        self.printer = ReceiptOutput(session, self)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(_("Filter: name, room/shop, meter number, phone or account number"))
        self.filter.textEdited.connect(lambda _t: self._timer.start())
        self.state = QComboBox()
        for label, code in ((_("All accounts"), None), (_("Open accounts"), "open"), (_("Closed accounts"), "closed")):
            self.state.addItem(label, code)
        self.state.currentIndexChanged.connect(lambda _i: self.refresh())
        self._timer = QTimer(self, singleShot=True, interval=200)
        self._timer.timeout.connect(self.refresh)
        self.view, self.model = make_table([_("Account"), _("Customer"), _("Phone"), _("Room/Shop"), _("Building"),
                                            _("Meters"), _("Mode"), _("State"), _("Balance")])
        self.view.selectionModel().selectionChanged.connect(lambda *_a: self._selected_changed())
        self.ledger_view, self.ledger_model = make_table([_("Time"), _("Kind"), _("Amount"), _("Balance after"),
                                                          _("Energy"), _("Operator"), _("Receipt No."),
                                                          _("Payment method"), _("Note")])
        self.buttons: dict[str, QPushButton] = {}
        bar = QHBoxLayout()
        bar.addWidget(self.filter, 2)
        bar.addWidget(self.state)
        for key, text, right, slot in (("open", _("Open account…"), "account_open", self.ask_open),
                                       ("close", _("Close…"), "account_close", self.ask_close),
                                       ("move", _("Move shop…"), "account_edit", self.ask_move),
                                       ("replace", _("Replace meter…"), "account_edit", self.ask_replace),
                                       ("bind", _("Bind meter…"), "account_edit", self.ask_bind)):
            b = QPushButton(text)
            b.setProperty("right", right)
            b.clicked.connect(slot)
            bar.addWidget(b)
            self.buttons[key] = b
        self.layout_.addLayout(bar)
        self.refusal = self.hint("")              # an operator who may not list accounts is told here
        self.refusal.hide()
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.view)
        split.addWidget(self.ledger_view)
        self.bills = AccountBills(session, self)          # a postpaid account's bills
        split.addWidget(self.bills)
        self.layout_.addWidget(split, 1)
        self._enable()

    # --- list and selection ------------------------------------------------------------
    def visited(self) -> None:
        """A visit lists the accounts again only when the list may be stale: never loaded, the
        windows wrote to the database since (a sale, an opening, a move), or older than
        VISIT_STALE_S (the runtime's charges, another station's sales). Each visit used to read
        and compare up to 2,000 accounts: at 10,000 meters that worker's Python held the
        interpreter lock while the GUI thread painted the switch (bench_gui: the longest stalls
        were right after a switch to this page). A reload reads the selected account's card
        and ledger again when its row changed, as before; the search field and the state filter
        reload at once."""
        if self.fresh.stale(VISIT_STALE_S):
            self.refresh()

    def refresh(self) -> None:
        s, text, state = self.session, self.filter.text(), self.state.currentData()
        self.fresh.loaded()
        if not counter_query.may_list_accounts(s.actor):   # said on the page, asked of nobody (the
            self._refused(counter_query.accounts_refusal(s.actor))   # service would log each visit)
            return
        safe.read(self, lambda: counter_query.list_accounts(s.db, s.actor, text, state=state), on_done=self._show,
                  on_error=self._failed)

    def _refused(self, error: PermissionDenied) -> None:
        self.hits = []
        fill(self.model, [])
        self.refusal.setText(str(error))
        self.refusal.show()

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, PermissionDenied):             # no right: said as it is, on the page
            self._refused(error)
        else:
            tasks.report_background(error)

    def _show(self, hits) -> None:
        self.refusal.hide()
        keep = self.keep or (self.card.number if self.card else None)
        self.keep = None
        self.hits = hits
        changed = fill(self.model, [[h.number, h.customer, h.phone, h.room, h.building, ",".join(h.meters),
                                     _(MODE_LABELS.get(h.mode, h.mode)), _(LEVEL_LABELS.get(h.level, h.level)),
                                     money(h.balance)] for h in hits])
        self.view.resizeColumnsToContents()
        if keep is not None:
            was = [self.hits[i.row()].number for i in self.view.selectionModel().selectedRows()
                   if i.row() < len(self.hits)]
            self.select(keep)
            if changed and was == [keep]:      # the list kept its selection (cells updated in place):
                self._selected_changed()       # the card and ledger of that account may have changed

    def select(self, number: str) -> None:
        for row, h in enumerate(self.hits):
            if h.number == number:
                self.view.selectRow(row)
                return

    def _selected_changed(self) -> None:
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            self.card = None
            fill(self.ledger_model, [])
            self.bills.show_account(None)
            self._enable()
            return
        number, s = self.hits[rows[0].row()].number, self.session
        safe.read(self, lambda: (counter_query.account_card(s.db, s.actor, number),
                                  counter_query.ledger_history(s.db, s.actor, number)), on_done=self._show_account)

    def _show_account(self, result) -> None:
        self.card, lines = result
        fill(self.ledger_model, [[when(e.at), _(ENTRY_KINDS.get(e.kind, e.kind)), money(e.amount),
                                  money(e.balance_after), "" if e.energy is None else str(e.energy),
                                  operator_text(e.operator),
                                  e.receipt_no, _(sales.METHODS[e.method]) if e.method in sales.METHODS else e.method,
                                  e.note] for e in lines])
        self.ledger_view.resizeColumnsToContents()
        self.bills.show_account(self.card)
        self._enable()

    def _enable(self) -> None:
        card = self.card
        building = None if card is None else card.building_id
        for key, b in self.buttons.items():
            allowed = self.session.actor.can(b.property("right"), building if key != "open" else None)
            b.setEnabled(allowed and (key == "open" or (card is not None and card.state == "open")))

    # --- running the services ---------------------------------------------------------------
    def _run(self, job, *, receipt: bool = False, before=None, on_error=None) -> None:
        """Run a service off-thread; then print its receipt (if any) and show the account again.
        The job returns an AccountView, a MoneyResult, or (AccountView, receipt number).
        before: called first with the result; on_error: instead of the error box."""
        def done(result) -> None:
            if before is not None:
                before(result)
            view, number = result if isinstance(result, tuple) else (result, getattr(result, "receipt", None))
            if receipt and number:
                self.printer.output(number)
            self.keep = getattr(view, "account", None) or getattr(view, "number", None)
            self.last_result = result
            self.card = None
            self.refresh()
        safe.write(self, job, on_done=done, on_error=on_error)

    def _with_choices(self, then, *, rooms=False, customers=False, plans=False) -> None:
        s = self.session

        def load():
            return {"free": counter_query.free_meters(s.db, s.actor),
                    "rooms": archive_query.list_rooms(s.db, s.actor) if rooms else [],
                    "customers": archive_query.search_customers(s.db, limit=5000, actor=s.actor) if customers else [],
                    "plans": plan_store.list_plans(s.db) if plans else []}
        safe.read(self, load, on_done=then)

    def ask_open(self) -> None:
        def show(c) -> None:
            dlg = OpenAccountDialog(c["customers"], c["rooms"], c["free"], c["plans"], self)
            dlg.submit = lambda: self.submit_open(dlg)     # the dialog stays open until it is done
            dlg.exec()
        self._with_choices(show, rooms=True, customers=True, plans=True)

    def submit_open(self, dlg: OpenAccountDialog) -> None:
        """Open the account the dialog describes; a refusal goes back to the dialog (it keeps
        what was typed and marks the field), success closes it."""
        s = self.session
        cust_id, name = dlg.chosen_customer()
        phone, openings = dlg.phone.text().strip(), dlg.meters.openings()
        try:
            options = dlg.options()
        except StationError as e:
            dlg.service_refused(e)
            return
        added: list[int] = []

        def job():
            customer = cust_id
            if customer is None:
                customer = archive_service.add_customer(s.db, s.actor, name, phone=phone)
                added.append(customer)
            view = accounts_open.open_account(s.db, s.actor, customer, openings, **options)
            return view, issue_open_receipt(s.db, s.actor, view.number)

        def refused(error: BaseException) -> None:
            if added:                                    # the customer exists now: a retry reuses it
                dlg.created = (name, added[0])
            dlg.service_refused(error)
        self._run(job, receipt=True, before=lambda _r: dlg.service_done(), on_error=refused)

    def ask_close(self) -> None:
        if self.card is None:
            return
        dlg = CloseAccountDialog(self.card, self)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self.close_account(dlg.finals(), dlg.method.currentData())

    def close_account(self, finals: dict[str, str], method: str = "cash") -> None:
        s, number = self.session, self.card.number
        self._run(lambda: account_changes.close_account(s.db, s.actor, number, finals, method=method), receipt=True)

    def ask_move(self) -> None:
        if self.card is None:
            return

        def show(c) -> None:
            dlg = MoveDialog(self.card, c["rooms"], c["free"], self)
            if dlg.exec() == QDialog.DialogCode.Accepted:
                self.move(dlg.room.currentData(), {n: r for n, r in dlg.old.rows() if r}, dlg.new.openings())
        self._with_choices(show, rooms=True)

    def move(self, room_id: int, finals: dict[str, str], new_meters: list[MeterOpening]) -> None:
        s, number = self.session, self.card.number
        self._run(lambda: account_changes.move_tenant(s.db, s.actor, number, room_id, finals, new_meters))

    def ask_replace(self) -> None:
        if self.card is None:
            return

        def show(c) -> None:
            dlg = ReplaceMeterDialog(self.card, c["free"], self)
            if dlg.exec() == QDialog.DialogCode.Accepted:
                self.replace(dlg.old.currentText(), dlg.old_final.text().strip(), dlg.new.currentData(),
                             dlg.new_initial.text().strip())
        self._with_choices(show)

    def replace(self, old: str, old_final: str, new: str, new_initial: str) -> None:
        s, number = self.session, self.card.number
        self._run(lambda: account_changes.replace_meter(s.db, s.actor, number, old, old_final, new, new_initial))

    def ask_bind(self) -> None:
        if self.card is None:
            return

        def show(c) -> None:
            dlg = BindMeterDialog(self.card, c["free"], self)
            if dlg.exec() == QDialog.DialogCode.Accepted:
                self.bind(dlg.opening())
        self._with_choices(show)

    def bind(self, opening: MeterOpening) -> None:
        s, number = self.session, self.card.number
        self._run(lambda: accounts_open.bind_meter(s.db, s.actor, number, opening))
