"""The filters of the sales-records query: building/floor, customer, operator, method, kind.

Shown on the reports page when the chosen report takes filters (ReportSpec.filtered). The list
of buildings and floors is what the operator may see, loaded off the GUI thread once.
"""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QWidget

from billing.reports.records import KIND_LABELS, RecordFilter, places
from billing.sales import METHODS
from resources.i18n import _
from ui import tasks


class RecordFilterBar(QWidget):
    def __init__(self, session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.place, self.method, self.kind = QComboBox(), QComboBox(), QComboBox()
        self.place.addItem(_("All buildings"), None)
        self.place.setMinimumContentsLength(10)
        self.method.addItem(_("All methods"), "")
        for key, label in METHODS.items():
            self.method.addItem(_(label), key)
        self.kind.addItem(_("All kinds"), "")
        for key, label in KIND_LABELS.items():
            self.kind.addItem(_(label), key)
        self.customer, self.operator, self.account = QLineEdit(), QLineEdit(), QLineEdit()
        self.customer.setPlaceholderText(_("Customer name or phone"))
        self.operator.setPlaceholderText(_("Operator"))
        self.account.setPlaceholderText(_("Account"))
        for w in (self.customer, self.operator, self.account):
            w.setClearButtonEnabled(True)
            w.setMaximumWidth(160)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for w in (QLabel(_("Filter")), self.place, self.account, self.customer, self.operator, self.method,
                  self.kind):
            row.addWidget(w)
        row.addStretch(1)
        self._loaded = False

    def load_places(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        db, actor = self.session.db, self.session.actor
        tasks.read(self, lambda: places(db, actor), on_done=self._fill)

    def _fill(self, items) -> None:
        for label, building, floor in items:
            self.place.addItem(label, (building, floor))

    def value(self) -> RecordFilter:
        place = self.place.currentData()
        building, floor = place if place else (None, None)
        return RecordFilter(building_id=building, floor_id=floor, customer=self.customer.text().strip(),
                            account=self.account.text().strip(), operator=self.operator.text().strip(),
                            method=self.method.currentData() or "", kind=self.kind.currentData() or "")

    def described(self) -> list[tuple[str, str]]:
        """The filters set, translated, for a printout or export title."""
        names = {"building": self.place.currentText(), "floor": self.place.currentText()}
        f = self.value()
        out = [(_(k), v) for k, v in f.describe(names)]
        if f.floor_id is not None:      # "building / floor" names both
            out = [x for x in out if x[0] != _("Building")]
        return out
