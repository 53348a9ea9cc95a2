"""The counter's sale form: amount and energy linked through the tariff preview, the payment
method, a confirmation naming the amount in figures and in Chinese capitals, and the sale.

Keyboard: type the amount (or Tab to the energy), Tab to the method (Up/Down, or 1-5), Enter or
F9 asks for confirmation, Enter confirms. One idempotency key belongs to one sale form: it is
made when an account is chosen and renewed only after a sale went through, so a double press,
a double click or a retry after an error can never sell twice (the service replays the first).
"""
from __future__ import annotations

import uuid
from decimal import Decimal

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QMessageBox,
                               QPushButton, QWidget)

from billing import pricing, sales
from billing.money import parse_amount, parse_quantity
from models.errors import StationError
from printing.capitals import amount_in_capitals
from printing.formatting import money
from resources.i18n import _
from ui import tasks
from ui.widgets import counter_tasks as safe

METHOD_CODES = list(sales.METHODS)


class SaleForm(QWidget):
    sold = Signal(object)          # billing.results.MoneyResult

    def __init__(self, session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.account: str | None = None
        self.key = uuid.uuid4().hex
        self.busy = False
        self.confirm_box: QMessageBox | None = None
        self._basis = "amount"
        self._seq = 0
        self.amount = QLineEdit()
        self.amount.setPlaceholderText(_("Amount (yuan)"))
        self.energy = QLineEdit()
        self.energy.setPlaceholderText(_("Energy (kWh)"))
        self.method = QComboBox()
        for i, code in enumerate(METHOD_CODES):
            self.method.addItem(f"{i + 1}  {_(sales.METHODS[code])}", code)
        self.reference = QLineEdit()
        self.reference.setPlaceholderText(_("Payment reference (optional)"))
        self.note = QLabel("")
        self.note.setObjectName("hint")
        self.sell_button = QPushButton(_("Sell (Enter / F9)"))
        self.sell_button.setObjectName("primary")
        self.sell_button.clicked.connect(self.request_confirm)
        self._timer = QTimer(self, singleShot=True, interval=150)
        self._timer.timeout.connect(self._preview)
        self.amount.textEdited.connect(lambda _t: self._edited("amount"))
        self.energy.textEdited.connect(lambda _t: self._edited("energy"))
        for w in (self.amount, self.energy, self.reference):
            w.returnPressed.connect(self.request_confirm)
        self.method.installEventFilter(self)
        form = QFormLayout(self)
        pair = QHBoxLayout()
        pair.addWidget(self.amount)
        pair.addWidget(QLabel("⇄"))
        pair.addWidget(self.energy)
        form.addRow(_("Amount / energy"), pair)
        form.addRow(_("Payment method"), self.method)
        form.addRow(_("Reference"), self.reference)
        form.addRow(self.note)
        form.addRow(self.sell_button)
        self.set_account(None)

    # --- account and fields -------------------------------------------------------------
    def set_account(self, number: str | None, *, sellable: bool = True) -> None:
        if number != self.account:
            self.key = uuid.uuid4().hex
            self.clear()
        self.account = number
        enabled = number is not None and sellable and self.session.can("sell")
        for w in (self.amount, self.energy, self.method, self.reference, self.sell_button):
            w.setEnabled(enabled)

    def clear(self) -> None:
        self.amount.clear()
        self.energy.clear()
        self.reference.clear()
        self.note.setText("")
        self._basis = "amount"

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt name
        if obj is self.method and event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.request_confirm()
                return True
            if Qt.Key.Key_1 <= key < Qt.Key.Key_1 + len(METHOD_CODES):
                self.method.setCurrentIndex(key - Qt.Key.Key_1)
                return True
        return super().eventFilter(obj, event)

    def _edited(self, basis: str) -> None:
        self._basis = basis
        self._seq += 1
        self._timer.start()

    def _parse(self) -> tuple[Decimal | None, Decimal | None]:
        text = (self.amount if self._basis == "amount" else self.energy).text().strip()
        if not text:
            return None, None
        if self._basis == "amount":
            return parse_amount(text), None
        return None, parse_quantity(text)

    def _preview(self) -> None:
        if self.account is None:
            return
        try:
            amount, energy = self._parse()
        except StationError as e:
            self.note.setText(str(e))
            return
        other = self.energy if self._basis == "amount" else self.amount
        if amount is None and energy is None:
            other.clear()
            self.note.setText("")
            return
        seq, db, number = self._seq, self.session.db, self.account
        safe.read(self, lambda: pricing.preview(db, number, amount=amount, energy=energy),
                   on_done=lambda p: self._show_preview(seq, p),
                   on_error=lambda e: self._preview_failed(seq, e))

    def _show_preview(self, seq: int, p) -> None:
        if seq != self._seq:
            return                      # the cashier typed on meanwhile
        if self._basis == "amount":
            self.energy.setText("" if p.energy is None else str(p.energy))
        else:
            self.amount.setText(str(p.amount))
        self.note.setText(amount_in_capitals(p.amount))

    def _preview_failed(self, seq: int, error: BaseException) -> None:
        if seq == self._seq:
            self.note.setText(str(error) if isinstance(error, StationError) else _("No preview"))

    # --- confirmation and sale -----------------------------------------------------------
    def request_confirm(self) -> None:
        if self.account is None or self.busy or not self.sell_button.isEnabled():
            return
        if self.confirm_box is not None and self.confirm_box.isVisible():
            return
        try:
            amount, energy = self._parse()
        except StationError as e:
            tasks.show_error(self, e)
            return
        if amount is None and energy is None:
            self.amount.setFocus()
            return
        number, code = self.account, self.method.currentData()
        self.busy = True
        db = self.session.db
        safe.read(self, lambda: pricing.preview(db, number, amount=amount, energy=energy),
                   on_done=lambda p: self._ask(number, code, amount, energy, p),
                   on_error=self._failed)

    def _ask(self, number: str, code: str, amount, energy, p) -> None:
        energy_text = "" if p.energy is None else _("Energy: {energy} kWh").format(energy=p.energy) + "\n"
        text = (_("Sell to account {account}?").format(account=number) + "\n\n"
                + _("Amount: {amount}").format(amount=money(p.amount)) + "\n"
                + _("In words: {capitals}").format(capitals=amount_in_capitals(p.amount)) + "\n"
                + energy_text
                + _("Payment method: {method}").format(method=_(sales.METHODS[code])))
        box = QMessageBox(QMessageBox.Icon.Question, _("Confirm the sale"), text,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        box.button(QMessageBox.StandardButton.Yes).setText(_("Sell"))
        box.button(QMessageBox.StandardButton.Cancel).setText(_("Cancel"))
        box.finished.connect(lambda r: self._answered(r, number, code, amount, energy))
        self.confirm_box = box
        box.open()

    def _answered(self, result: int, number: str, code: str, amount, energy) -> None:
        self.confirm_box = None
        if result != QMessageBox.StandardButton.Yes:
            self.busy = False
            self.amount.setFocus()
            return
        self.sell(number, amount=amount, energy=energy, method=code)

    def sell(self, number: str, *, amount=None, energy=None, method: str = "cash") -> None:
        """Run the sale with this form's idempotency key (a repeat replays the first)."""
        self.busy = True
        s, key, ref = self.session, self.key, self.reference.text().strip()
        safe.write(self, lambda: sales.sell(s.db, s.actor, number, amount, energy=energy, method=method,
                                             reference=ref, idempotency_key=key),
                    on_done=self._done, on_error=self._failed)

    def _done(self, result) -> None:
        self.busy = False
        self.key = uuid.uuid4().hex          # this form's sale is done (a replay: by its twin)
        self.clear()
        self.sold.emit(result)

    def _failed(self, error: BaseException) -> None:
        self.busy = False
        tasks.show_error(self, error)
