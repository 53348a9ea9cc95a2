"""The account's recent receipts at the counter, with refund, reversal (冲正) and reprint (重打).

Buttons follow the operator's rights (refund, reverse; reprint needs sell) in the account's
building; the services check the same rights again and refuse anyway.
"""
from __future__ import annotations

import uuid

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from billing import refunds, sales
from billing.counter_query import AccountCard
from printing.formatting import money, when
from resources.i18n import N_, _
from ui.pages.base import fill, make_table
from ui.widgets import counter_tasks as safe

RECEIPT_KINDS = {"sale": N_("Sale"), "refund": N_("Refund"), "reversal": N_("Reversal"),
                 "account_open": N_("Account opened"), "account_close": N_("Account closed")}


class RefundDialog(QDialog):
    def __init__(self, refundable, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Refund"))
        self.amount = QLineEdit()
        self.amount.setPlaceholderText(_("At most {amount}").format(amount=money(refundable)))
        self.method = QComboBox()
        for code, label in sales.METHODS.items():
            self.method.addItem(_(label), code)
        self.reference = QLineEdit()
        form = QFormLayout(self)
        form.addRow(_("Amount (yuan)"), self.amount)
        form.addRow(_("Payment method"), self.method)
        form.addRow(_("Reference"), self.reference)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class ReceiptsView(QWidget):
    changed = Signal(object)       # MoneyResult of a refund or reversal (print it, reload the card)

    def __init__(self, session, printer, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.printer = printer                     # ui.printing_qt.ReceiptOutput
        self.card: AccountCard | None = None
        self.view, self.model = make_table([_("Receipt No."), _("Kind"), _("Time"), _("Amount"),
                                            _("Payment method"), _("Reversed by")])
        self.view.setMaximumHeight(170)
        self.view.setMinimumHeight(84)             # header and two receipts at 1366x768
        self.refund_button = QPushButton(_("Refund…"))
        self.reverse_button = QPushButton(_("Reverse"))
        self.reprint_button = QPushButton(_("Reprint"))
        self.refund_button.clicked.connect(self.ask_refund)
        self.reverse_button.clicked.connect(self.ask_reverse)
        self.reprint_button.clicked.connect(self.reprint)
        self.view.selectionModel().selectionChanged.connect(lambda *_a: self._buttons())
        buttons = QHBoxLayout()
        for b in (self.refund_button, self.reverse_button, self.reprint_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        layout.addLayout(buttons)
        self._buttons()

    def show_card(self, card: AccountCard | None) -> None:
        self.card = card
        rows = [] if card is None else [
            [r.number, _(RECEIPT_KINDS.get(r.kind, r.kind)), when(r.at, seconds=False), money(r.amount),
             _(sales.METHODS[r.method]) if r.method in sales.METHODS else r.method, r.reversed_by or ""]
            for r in card.receipts]
        fill(self.model, rows)
        self.view.resizeColumnsToContents()
        self._buttons()

    def selected(self):
        rows = self.view.selectionModel().selectedRows()
        if self.card is None or not rows:
            return None
        return self.card.receipts[rows[0].row()]

    def _can(self, right: str) -> bool:
        building = None if self.card is None else self.card.building_id
        return self.session.actor.can(right, building)

    def _buttons(self) -> None:
        card, r = self.card, self.selected()
        is_open = card is not None and card.state == "open"
        self.refund_button.setEnabled(is_open and self._can("refund"))
        self.reverse_button.setEnabled(is_open and r is not None and r.reversible and self._can("reverse"))
        self.reprint_button.setEnabled(r is not None and self._can("sell"))

    def ask_refund(self) -> None:
        if self.card is None:
            return
        dlg = RefundDialog(self.card.refundable, self)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self.refund(dlg.amount.text(), dlg.method.currentData(), dlg.reference.text().strip())

    def refund(self, amount: str, method: str = "cash", reference: str = "") -> None:
        if self.card is None:
            return
        s, number, key = self.session, self.card.number, uuid.uuid4().hex
        safe.write(self, lambda: refunds.refund(s.db, s.actor, number, amount, method=method, reference=reference,
                                                 idempotency_key=key), on_done=self.changed.emit)

    def ask_reverse(self) -> None:
        r = self.selected()
        if r is None:
            return
        answer = QMessageBox.question(self, _("Reverse"), _("Reverse receipt {number} ({amount})?")
                                      .format(number=r.number, amount=money(r.amount)))
        if answer == QMessageBox.StandardButton.Yes:
            self.reverse(r.number)

    def reverse(self, number: str, reason: str = "") -> None:
        s = self.session
        safe.write(self, lambda: refunds.reverse(s.db, s.actor, number, reason=reason), on_done=self.changed.emit)

    def reprint(self) -> None:
        r = self.selected()
        if r is not None:
            self.printer.output(r.number, reprint=True)
