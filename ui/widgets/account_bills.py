"""The bills of the selected postpaid account on the accounts page: month, bill number, charges,
amount due and how often it was printed; print (the original) or reprint (a counted copy).

Shown only for postpaid accounts; the print button follows the right a receipt reprint needs
('sell' on the account's building), which billing/bill_print.py checks again. Loading and
printing run off the GUI thread.
"""
from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from billing import bill_print
from printing.formatting import money
from resources.i18n import _
from ui.bill_output import BillOutput
from ui.pages.base import fill, make_table
from ui.widgets import counter_tasks as safe


class AccountBills(QWidget):
    def __init__(self, session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.account: str | None = None
        self.building: int | None = None
        self.bills: list[bill_print.BillSummary] = []
        self.output = BillOutput(session, self)
        self.output.failed.connect(lambda _e: self._enable())
        self.view, self.model = make_table([_("Month"), _("Bill No."), _("Charges this period"), _("Amount due"),
                                            _("Printed")])
        self.view.selectionModel().selectionChanged.connect(lambda *_a: self._enable())
        self.print_button = QPushButton(_("Print bill"))
        self.print_button.clicked.connect(self.print_selected)
        self.status = QLabel()
        bar = QHBoxLayout()
        bar.addWidget(QLabel(_("Bills")))
        bar.addStretch(1)
        bar.addWidget(self.status)
        bar.addWidget(self.print_button)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(bar)
        box.addWidget(self.view)
        self.setVisible(False)
        self._enable()

    def show_account(self, card) -> None:
        """Show the bills of `card` (an AccountCard) if it is postpaid; hide otherwise."""
        if card is None or card.mode != "postpaid":
            self.account, self.bills = None, []
            fill(self.model, [])
            self.setVisible(False)
            self._enable()
            return
        self.account, self.building = card.number, card.building_id
        self.setVisible(True)
        self.reload()

    def reload(self) -> None:
        if self.account is None:
            return
        s, number = self.session, self.account
        safe.read(self, lambda: (number, bill_print.list_bills(s.db, number)), on_done=self._show)

    def _show(self, result) -> None:
        number, bills = result
        if number != self.account:                  # another account was selected meanwhile
            return
        keep = self.selected()
        self.bills = bills
        fill(self.model, [[b.month, b.bill_no, money(_d(b.amount)), money(_d(b.amount_due)),
                           (_("Reprinted {n}x").format(n=b.reprints) if b.reprints else _("Yes"))
                           if b.issued else _("Not yet")] for b in bills])
        self.view.resizeColumnsToContents()
        row = next((i for i, b in enumerate(bills) if keep and b.month == keep.month), 0 if bills else None)
        if row is not None:
            self.view.selectRow(row)
        self._enable()

    def selected(self) -> bill_print.BillSummary | None:
        rows = self.view.selectionModel().selectedRows()
        return self.bills[rows[0].row()] if rows and rows[0].row() < len(self.bills) else None

    def _enable(self) -> None:
        chosen = self.selected()
        self.print_button.setText(_("Reprint bill (copy)") if chosen and chosen.issued else _("Print bill"))
        self.print_button.setEnabled(chosen is not None and self.session.actor.can("sell", self.building))

    def print_selected(self) -> None:
        chosen = self.selected()
        if chosen is None or self.account is None:
            return
        self.print_button.setEnabled(False)
        self.output.output(self.account, chosen.month, on_done=self._printed)

    def _printed(self, result) -> None:
        path, _dest, copy = result
        self.status.setText((_("Copy saved: {file}") if copy else _("Bill saved: {file}")).format(file=path))
        self.reload()


def _d(text: str):
    from decimal import Decimal

    return Decimal(text)
