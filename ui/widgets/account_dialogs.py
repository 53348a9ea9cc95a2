"""Dialogs of the accounts page: open an account, close it, move the tenant, replace a meter,
bind another meter. They only collect what the operator typed; the page runs the services
(billing.accounts_open, billing.account_changes) off the GUI thread, and those check it all.

The open-account dialog stays open while its service runs (OpenAccountDialog.submit): when the
service refuses (a meter already bound, no such room ...) the dialog keeps what was typed,
marks the field the refusal names and says why; it closes only when the account is open."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTime
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QTimeEdit,
)

from billing import sales
from billing.accounts_open import MeterOpening
from billing.money import parse_amount, parse_quantity
from models.accounts import MODES
from models.errors import InvalidInput, StationError
from printing.formatting import money
from resources.i18n import N_, _
from ui.widgets.account_card import MODE_LABELS

ARREARS_LABELS = {"trip-now": N_("Trip at once"), "never": N_("Never trip"), "trip-at": N_("Trip at a set time")}


class ReadingsTable(QTableWidget):
    """Meters with a reading each; checkable rows when `pick` (free meters to bind)."""

    def __init__(self, meters: list[tuple[str, str]], header: str, *, pick: bool = False) -> None:
        super().__init__(len(meters), 3)
        self.pick = pick
        self.setHorizontalHeaderLabels([_("Meter No."), _("Room/Shop"), header])
        self.verticalHeader().setVisible(False)
        for row, (number, room) in enumerate(meters):
            item = QTableWidgetItem(number)
            check = Qt.ItemFlag.ItemIsUserCheckable if pick else Qt.ItemFlag.NoItemFlags
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | check)
            if pick:
                item.setCheckState(Qt.CheckState.Unchecked)
            self.setItem(row, 0, item)
            room_item = QTableWidgetItem(room)
            room_item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.setItem(row, 1, room_item)
            self.setItem(row, 2, QTableWidgetItem(""))
        self.resizeColumnsToContents()
        self.horizontalHeader().setStretchLastSection(True)
        self.setMinimumHeight(120)

    def set_checked(self, number: str, reading: str = "") -> None:
        for row in range(self.rowCount()):
            if self.item(row, 0).text() == number:
                self.item(row, 0).setCheckState(Qt.CheckState.Checked)
                self.item(row, 2).setText(reading)

    def set_reading(self, row: int, text: str) -> None:
        self.item(row, 2).setText(text)

    def rows(self) -> list[tuple[str, str]]:
        """(meter number, typed reading) of every row (only the checked ones when picking)."""
        out = []
        for row in range(self.rowCount()):
            if self.pick and self.item(row, 0).checkState() != Qt.CheckState.Checked:
                continue
            out.append((self.item(row, 0).text(), self.item(row, 2).text().strip()))
        return out

    def openings(self) -> list[MeterOpening]:
        return [MeterOpening(n, r or None) for n, r in self.rows()]


def _threshold(text: str):
    """A typed alarm threshold (yuan) as Decimal; empty: the default. Raises InvalidInput."""
    return parse_amount(text) if text.strip() else None


class _Mistake(InvalidInput):
    def __init__(self, field, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def _buttons(dialog: QDialog, form: QFormLayout) -> QDialogButtonBox:
    box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    box.accepted.connect(dialog.accept)
    box.rejected.connect(dialog.reject)
    form.addRow(box)
    return box


def _method_combo() -> QComboBox:
    combo = QComboBox()
    for code, label in sales.METHODS.items():
        combo.addItem(_(label), code)
    return combo


class OpenAccountDialog(QDialog):
    def __init__(self, customers, rooms, meters, plans, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Open an account"))
        self.resize(560, 560)
        self.customer = QComboBox()
        self.customer.setEditable(True)
        for c in customers:
            self.customer.addItem(f"{c.name}  {c.phone}".strip(), c.id)
        self.customer.setCurrentIndex(-1)
        self.customer.setPlaceholderText(_("Existing customer, or type a new name"))
        self.phone = QLineEdit()
        self.phone.setPlaceholderText(_("Phone of a new customer"))
        self.room = QComboBox()
        self.room.addItem("—", None)
        for r in rooms:
            self.room.addItem(f"{r.building} {r.floor} {r.number}", r.id)
        self.meters = ReadingsTable([(n, room) for n, _k, room in meters], _("Opening reading"), pick=True)
        self.tariff = QComboBox()
        self.tariff.addItem("—", None)
        for p in plans:
            self.tariff.addItem(p.name, p.name)
        self.mode = QComboBox()
        for m in MODES:
            self.mode.addItem(_(MODE_LABELS[m]), m)
        self.mode.setCurrentIndex(MODES.index("station-prepaid"))
        self.arrears = QComboBox()
        for code, label in ARREARS_LABELS.items():
            self.arrears.addItem(_(label), code)
        self.trip_time = QTimeEdit(QTime(9, 0))
        self.trip_time.setDisplayFormat("HH:mm")
        self.alarm1, self.alarm2 = QLineEdit("20.00"), QLineEdit("5.00")
        self.error = QLabel("")
        self.error.setObjectName("error")
        self.error.setStyleSheet("color: #b00020; font-weight: bold;")
        self.error.setWordWrap(True)
        self.error.hide()
        self.marked = None
        self.submit: Callable[[], None] | None = None   # runs the service; then service_done/refused
        self.created: tuple[str, int] | None = None     # (name, id) of a customer a refused try added
        self.busy = False
        form = QFormLayout(self)
        form.addRow(self.error)
        form.addRow(_("Customer"), self.customer)
        form.addRow(_("Phone"), self.phone)
        form.addRow(_("Room/Shop"), self.room)
        form.addRow(_("Meters (tick; opening reading empty: the first poll's)"), self.meters)
        form.addRow(_("Tariff"), self.tariff)
        form.addRow(_("Billing mode"), self.mode)
        form.addRow(_("Arrears policy"), self.arrears)
        form.addRow(_("Trip time"), self.trip_time)
        form.addRow(_("First alarm below (yuan)"), self.alarm1)
        form.addRow(_("Second alarm below (yuan)"), self.alarm2)
        self.box = _buttons(self, form)

    def chosen_customer(self) -> tuple[int | None, str]:
        """(existing customer id, or None for a new one; the typed name). A customer an earlier,
        refused try already added is that customer, not a second one."""
        text = self.customer.currentText().strip()
        index = self.customer.findText(text)
        if index >= 0:
            return self.customer.itemData(index), text
        if self.created is not None and self.created[0] == text:
            return self.created[1], text
        return None, text

    def arrears_text(self) -> str:
        code = self.arrears.currentData()
        return f"trip-at={self.trip_time.time().toString('HH:mm')}" if code == "trip-at" else code

    # --- checks before the dialog closes: a mistake keeps what was typed ------------------------
    def accept(self) -> None:
        if self.busy or not self.check():
            return
        if self.submit is None:
            super().accept()
            return
        self._set_busy(True)
        self.submit()

    def reject(self) -> None:
        if not self.busy:                       # the service is running: wait for its answer
            super().reject()

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.box.setEnabled(not busy)

    def service_done(self) -> None:
        """The account is open: close the dialog."""
        self._set_busy(False)
        super().accept()

    def service_refused(self, error: BaseException) -> None:
        """The service said no: keep everything typed, mark the field it names, say why."""
        from ui.tasks import error_text

        self._set_busy(False)
        self._mark(self._field_for(str(error)), error_text(error))

    def _field_for(self, message: str):
        """The field a refusal is about: a meter it names, the chosen room or tariff, else none."""
        if any(number and number in message for number, _r in self.meters.rows()):
            return self.meters
        room = self.room.currentText().split()
        if self.room.currentData() is not None and room and room[-1] in message:
            return self.room
        if self.tariff.currentData() is not None and str(self.tariff.currentData()) in message:
            return self.tariff
        return None

    def check(self) -> bool:
        """Check what can be checked here; on a mistake mark the field, say why, stay open."""
        self._mark(None, "")
        try:
            if not self.chosen_customer()[1]:
                raise _Mistake(self.customer, _("Choose a customer or type the name of a new one"))
            for number, reading in self.meters.rows():
                if reading:
                    try:
                        parse_quantity(reading)
                    except StationError as e:
                        raise _Mistake(self.meters, _("Meter {meter}: {error}").format(meter=number, error=e)) from e
            mode = self.mode.currentData()
            if mode != "meter-prepaid" and self.tariff.currentData() is None and self.meters.rows():
                raise _Mistake(self.tariff, _("A {mode} account needs a tariff").format(mode=_(MODE_LABELS[mode])))
            limits = []
            for field in (self.alarm1, self.alarm2):
                try:
                    limits.append(_threshold(field.text()))
                except StationError as e:
                    raise _Mistake(field, str(e)) from e
            first, second = (v if v is not None else d for v, d in zip(limits, (20, 5), strict=True))
            if second < 0 or first < second:
                raise _Mistake(self.alarm1, _("The first alarm threshold must be at or above the second, "
                                              "and both at or above zero"))
        except _Mistake as m:
            self._mark(m.field, m.message)
            return False
        return True

    def _mark(self, field, message: str) -> None:
        if self.marked is not None:
            self.marked.setStyleSheet("")
        self.marked = field
        self.error.setText(message)
        self.error.setVisible(bool(message))
        if field is not None:
            field.setStyleSheet("border: 2px solid #b00020;")
            field.setFocus()

    def options(self) -> dict:
        return {"room": self.room.currentData(), "mode": self.mode.currentData(),
                "tariff": self.tariff.currentData(), "arrears": self.arrears_text(),
                "alarm1": _threshold(self.alarm1.text()), "alarm2": _threshold(self.alarm2.text())}


class CloseAccountDialog(QDialog):
    def __init__(self, card, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Close account {account}").format(account=card.number))
        self.readings = ReadingsTable([(m.number, "") for m in card.meters], _("Final reading"))
        for row, m in enumerate(card.meters):
            self.readings.set_reading(row, "" if m.reading is None else str(m.reading))
        self.method = _method_combo()
        form = QFormLayout(self)
        form.addRow(QLabel(_("Balance {balance}; refundable {refundable} (subsidy is not refunded)").format(
            balance=money(card.balance), refundable=money(card.refundable))))
        form.addRow(_("Final readings"), self.readings)
        form.addRow(_("Refund paid by"), self.method)
        _buttons(self, form)

    def finals(self) -> dict[str, str]:
        return {n: r for n, r in self.readings.rows() if r}


class MoveDialog(QDialog):
    def __init__(self, card, rooms, free, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Move account {account} to another shop").format(account=card.number))
        self.room = QComboBox()
        for r in rooms:
            self.room.addItem(f"{r.building} {r.floor} {r.number}", r.id)
        self.old = ReadingsTable([(m.number, "") for m in card.meters], _("Final reading"))
        for row, m in enumerate(card.meters):
            self.old.set_reading(row, "" if m.reading is None else str(m.reading))
        self.new = ReadingsTable([(n, room) for n, _k, room in free], _("Opening reading"), pick=True)
        form = QFormLayout(self)
        form.addRow(_("New room/shop"), self.room)
        form.addRow(_("Final readings of the old meters"), self.old)
        form.addRow(_("Meters of the new shop"), self.new)
        _buttons(self, form)


class ReplaceMeterDialog(QDialog):
    def __init__(self, card, free, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Replace a meter of account {account}").format(account=card.number))
        self.old = QComboBox()
        for m in card.meters:
            self.old.addItem(m.number, str(m.reading or ""))
        self.old_final = QLineEdit(self.old.currentData() or "")
        self.old.currentIndexChanged.connect(lambda _i: self.old_final.setText(self.old.currentData() or ""))
        self.new = QComboBox()
        for n, _k, room in free:
            self.new.addItem(f"{n}  {room}".strip(), n)
        self.new_initial = QLineEdit("0")
        form = QFormLayout(self)
        form.addRow(_("Old meter"), self.old)
        form.addRow(_("Final reading of the old meter"), self.old_final)
        form.addRow(_("New meter"), self.new)
        form.addRow(_("Initial reading of the new meter"), self.new_initial)
        _buttons(self, form)


class BindMeterDialog(QDialog):
    def __init__(self, card, free, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Bind another meter to account {account}").format(account=card.number))
        self.meter = QComboBox()
        for n, _k, room in free:
            self.meter.addItem(f"{n}  {room}".strip(), n)
        self.reading = QLineEdit()
        self.reading.setPlaceholderText(_("Empty: the first poll's reading"))
        form = QFormLayout(self)
        form.addRow(_("Meter"), self.meter)
        form.addRow(_("Opening reading"), self.reading)
        _buttons(self, form)

    def opening(self) -> MeterOpening:
        return MeterOpening(self.meter.currentData(), self.reading.text().strip() or None)
