"""The counter's sale form: amount and energy linked through the tariff preview, quick amounts
(station setting counter.quick_amounts), the payment method, for cash the money received and the
change, a confirmation naming the customer, room/shop, meter(s), the amount in figures and in
Chinese capitals and the method, and the sale.

A wrong amount (not a number, 0, negative, above the limit, less received than due) is refused
in the form, in red under the fields, and never reaches the confirmation; the other field of the
amount/energy pair is cleared so it never shows a value of an earlier amount.

Keyboard: type the amount (or Tab to the energy), Tab to the method (Up/Down, or 1-5), Enter or
F9 asks for confirmation, Enter confirms. One idempotency key belongs to one sale form: it is
made when an account is chosen and renewed only after a sale went through, so a double press,
a double click or a retry after an error can never sell twice (the service replays the first).
"""
from __future__ import annotations

import uuid
from decimal import Decimal

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QMessageBox, QPushButton, QWidget

from billing import pricing, sales
from billing.money import parse_amount, parse_quantity
from models import settings
from models.errors import InvalidInput, StationError
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
        self.card = None                       # billing.counter_query.AccountCard of self.account
        self._basis = "amount"
        self._received_error = ""
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
        self.received = QLineEdit()
        self.received.setPlaceholderText(_("Received (yuan)"))
        self.received.setMaximumWidth(130)
        self.change = QLabel("")
        self.change.setObjectName("change")
        self.received_label = QLabel(_("Received"))
        self.quick_buttons: list[QPushButton] = []
        for value in settings.quick_amounts():
            b = QPushButton(str(value))
            b.setObjectName("quick")
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)     # Tab goes amount -> energy -> method
            b.setMaximumWidth(56)
            b.clicked.connect(lambda _c=False, v=value: self.quick(v))
            self.quick_buttons.append(b)
        self.note = QLabel("")
        self.note.setObjectName("hint")
        self.error = QLabel("")
        self.error.setObjectName("error")
        self.error.setStyleSheet("color: #b00020;")
        self.error.setWordWrap(True)
        self.sell_button = QPushButton(_("Sell (Enter / F9)"))
        self.sell_button.setObjectName("primary")
        self.sell_button.clicked.connect(self.request_confirm)
        self._timer = QTimer(self, singleShot=True, interval=150)
        self._timer.timeout.connect(self._preview)
        self.amount.textEdited.connect(lambda _t: self._edited("amount"))
        self.energy.textEdited.connect(lambda _t: self._edited("energy"))
        self.received.textEdited.connect(lambda _t: self._show_change())
        self.method.currentIndexChanged.connect(lambda _i: self._method_changed())
        for w in (self.amount, self.energy, self.reference, self.received):
            w.returnPressed.connect(self.request_confirm)
        self.method.installEventFilter(self)
        form = QFormLayout(self)
        form.setContentsMargins(9, 4, 9, 4)
        form.setVerticalSpacing(5)
        pair = QHBoxLayout()
        pair.addWidget(self.amount, 3)
        pair.addWidget(QLabel("⇄"))
        pair.addWidget(self.energy, 3)
        for b in self.quick_buttons:
            pair.addWidget(b)
        form.addRow(_("Amount / energy"), pair)
        pay = QHBoxLayout()
        pay.addWidget(self.method, 3)
        pay.addWidget(self.received_label)
        pay.addWidget(self.received, 1)
        pay.addWidget(self.change, 1)
        form.addRow(_("Payment method"), pay)
        form.addRow(_("Reference"), self.reference)
        notes = QHBoxLayout()
        notes.addWidget(self.note)
        notes.addWidget(self.error, 1)
        form.addRow(notes)
        form.addRow(self.sell_button)
        QWidget.setTabOrder(self.method, self.received)
        QWidget.setTabOrder(self.received, self.reference)
        self.set_account(None)
        self._method_changed()

    # --- account and fields -------------------------------------------------------------
    def set_account(self, number: str | None, *, sellable: bool = True, card=None) -> None:
        if number != self.account:
            self.key = uuid.uuid4().hex
            self.clear()
        self.account = number
        self.card = card if number is not None else None
        enabled = number is not None and sellable and self.session.can("sell")
        for w in (self.amount, self.energy, self.method, self.reference, self.received, self.sell_button,
                  *self.quick_buttons):
            w.setEnabled(enabled)

    def clear(self) -> None:
        """A fresh form (another account, or the sale done): the method back to cash, so the next
        customer's cash is never booked as the previous one's card or WeChat payment."""
        self.method.setCurrentIndex(max(self.method.findData("cash"), 0))
        self.amount.clear()
        self.energy.clear()
        self.reference.clear()
        self.received.clear()
        self.change.setText("")
        self.note.setText("")
        self.error.setText("")
        self._basis = "amount"

    def quick(self, value: int) -> None:
        """A quick amount button: that amount, its energy previewed; focus stays on the amount."""
        self.amount.setText(f"{value}")
        self._edited("amount")
        self.amount.setFocus()

    def _method_changed(self) -> None:
        cash = self.method.currentData() == "cash"
        for w in (self.received_label, self.received, self.change):
            w.setVisible(cash)
        self._show_change()

    def _refuse(self, message: str) -> None:
        """Refuse the amount inline; the other field must not show a value of an earlier amount."""
        self.error.setText(message)
        self.note.setText("")
        (self.energy if self._basis == "amount" else self.amount).clear()

    def _received(self, due: Decimal | None) -> tuple[Decimal | None, Decimal | None]:
        """(received, change) for cash; raises InvalidInput if less was received than is due."""
        text = self.received.text().strip()
        if self.method.currentData() != "cash" or not text:
            return None, None
        got = parse_amount(text)
        if due is not None and got < due:
            raise InvalidInput(_("Received {received} is less than the amount {amount}").format(
                received=money(got), amount=money(due)))
        return got, None if due is None else got - due

    def _due(self) -> Decimal | None:
        try:
            text = self.amount.text().strip()
            return parse_amount(text) if text else None
        except StationError:
            return None

    def _show_change(self) -> None:
        try:
            got, change = self._received(self._due())
        except StationError as e:
            self.change.setText("")
            self._received_error = str(e)
            self.error.setText(self._received_error)
            return
        if self._received_error and self.error.text() == self._received_error:
            self.error.setText("")
        self._received_error = ""
        self.change.setText("" if change is None else _("Change {amount}").format(amount=money(change)))

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
            self._refuse(str(e))
            return
        other = self.energy if self._basis == "amount" else self.amount
        if amount is None and energy is None:
            other.clear()
            self.note.setText("")
            self.error.setText("")
            return
        if (amount if energy is None else energy) == 0:
            self._refuse(_("Enter an amount above 0"))
            return
        self.error.setText("")
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
        self._show_change()

    def _preview_failed(self, seq: int, error: BaseException) -> None:
        if seq == self._seq:
            self._refuse(str(error) if isinstance(error, StationError) else _("No preview"))

    # --- confirmation and sale -----------------------------------------------------------
    def request_confirm(self) -> None:
        if self.account is None or self.busy or not self.sell_button.isEnabled():
            return
        if self.confirm_box is not None and self.confirm_box.isVisible():
            return
        try:
            amount, energy = self._parse()
            if amount is not None and energy is None:
                self._received(amount)
        except StationError as e:
            self._refuse(str(e))
            self.amount.setFocus()
            return
        if amount is None and energy is None:
            self.amount.setFocus()
            return
        if (amount if energy is None else energy) == 0:
            self._refuse(_("Enter an amount above 0"))
            self.amount.setFocus()
            return
        number, code = self.account, self.method.currentData()
        self.busy = True
        db = self.session.db
        safe.read(self, lambda: pricing.preview(db, number, amount=amount, energy=energy),
                   on_done=lambda p: self._checked(number, code, amount, energy, p),
                   on_error=self._preview_refused)

    def _preview_refused(self, error: BaseException) -> None:
        self.busy = False
        if isinstance(error, StationError):
            self._refuse(str(error))
        else:
            tasks.show_error(self, error)

    def _checked(self, number: str, code: str, amount, energy, p) -> None:
        """The priced amount: refused inline if 0 or if less cash was received, else confirmed."""
        try:
            if p.amount <= 0:
                raise InvalidInput(_("Enter an amount above 0"))
            received, change = self._received(p.amount)
        except StationError as e:
            self.busy = False
            self._refuse(str(e))
            return
        self.error.setText("")
        self._ask(number, code, amount, energy, p, received, change)

    def confirmation_text(self, number: str, code: str, p, received=None, change=None) -> str:
        card = self.card if self.card is not None and self.card.number == number else None
        lines = []
        if card is not None:
            lines.append(_("Sell to {customer}, {room}, account {account}?").format(
                customer=card.customer or "—", room=card.room or "—", account=number))
            meters = ", ".join(m.number for m in card.meters) or "—"
            lines.append(_("Meter(s): {meters}").format(meters=meters))
        else:
            lines.append(_("Sell to account {account}?").format(account=number))
        lines.append("")
        lines.append(_("Amount: {amount}").format(amount=money(p.amount)))
        lines.append(_("In words: {capitals}").format(capitals=amount_in_capitals(p.amount)))
        if p.energy is not None:
            lines.append(_("Energy: {energy} kWh").format(energy=p.energy))
        lines.append(_("Payment method: {method}").format(method=_(sales.METHODS[code])))
        if received is not None:
            lines.append(_("Received {received}, change {change}").format(received=money(received),
                                                                         change=money(change)))
        return "\n".join(lines)

    def _ask(self, number: str, code: str, amount, energy, p, received=None, change=None) -> None:
        text = self.confirmation_text(number, code, p, received, change)
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
