"""Settings → Receipt layout (收据格式): paper (dot-matrix 241 × 93 mm per part, or A4), the
company name printed, titles per receipt kind, ply labels, footer, font size, and the body
fields: a list in print order, each with a check box (printed or not), its name in words and the
label printed for it; Up/Down move the selected field. Stored as settings receipt.paper and
receipt.layout (models.receipt_layout.ReceiptLayout) through billing.settings_service.save_settings
(settings_edit, logged). An empty text means the translated default.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from billing.settings_service import save_settings
from models import settings
from models.receipt_layout import DEFAULT_TITLES, FIELD_LABELS, KINDS, PLY_LABELS, FieldSpec, ReceiptLayout
from resources.i18n import N_, _
from ui import tasks
from ui.pages.settings_form import EditorTab

PAPER_LABELS = {"continuous-241x93": N_("Dot-matrix continuous, 241 × 93 mm per part"), "a4": N_("A4, three parts")}
KEY_ROLE = Qt.ItemDataRole.UserRole


def field_name(key: str) -> str:
    """The field's name in words (the extra lines have no default label)."""
    return _(FIELD_LABELS[key]) if FIELD_LABELS[key] else _("Extra lines")


class FieldList(QTableWidget):
    """The body fields in print order: [x] name | printed label; move_selected(±1) reorders."""

    def __init__(self, parent=None) -> None:
        super().__init__(0, 2, parent)
        self.setHorizontalHeaderLabels([_("Field (tick to print)"), _("Printed label (empty: the name)")])
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self.verticalHeader().setVisible(False)
        self.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)

    def set_fields(self, fields: list[FieldSpec]) -> None:
        self.setRowCount(0)
        for spec in fields:
            self._append(spec)

    def _append(self, spec: FieldSpec) -> None:
        row = self.rowCount()
        self.insertRow(row)
        name = QTableWidgetItem(field_name(spec.key))
        name.setData(KEY_ROLE, spec.key)
        name.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable)
        name.setCheckState(Qt.CheckState.Checked if spec.show else Qt.CheckState.Unchecked)
        label = QTableWidgetItem(spec.label)
        label.setToolTip(_("Empty: {name}").format(name=field_name(spec.key)))
        if not FIELD_LABELS[spec.key]:             # extra lines carry their own labels
            label.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        self.setItem(row, 0, name)
        self.setItem(row, 1, label)

    def fields(self) -> list[FieldSpec]:
        out = []
        for row in range(self.rowCount()):
            name, label = self.item(row, 0), self.item(row, 1)
            out.append(FieldSpec(name.data(KEY_ROLE), label.text().strip(),
                                 name.checkState() == Qt.CheckState.Checked))
        return out

    def keys(self) -> list[str]:
        return [f.key for f in self.fields()]

    def move_selected(self, step: int) -> None:
        row = self.currentRow()
        to = row + step
        if row < 0 or not 0 <= to < self.rowCount():
            return
        fields = self.fields()
        fields[row], fields[to] = fields[to], fields[row]
        self.set_fields(fields)
        self.selectRow(to)


class ReceiptTab(EditorTab):
    def __init__(self, session, parent=None) -> None:
        super().__init__(session, parent)
        self.paper = QComboBox()
        for key, label in PAPER_LABELS.items():
            self.paper.addItem(_(label), key)
        self.company = QLineEdit()
        self.company.setPlaceholderText(_("Empty: the company name of the station settings"))
        self.footer, self.font = QLineEdit(), QDoubleSpinBox()
        self.font.setRange(6, 14)
        self.font.setSingleStep(0.5)
        self.titles = {k: QLineEdit() for k in KINDS}
        self.plies = [QLineEdit() for _i in range(3)]
        form = QFormLayout()
        form.addRow(_("Receipt paper"), self.paper)
        form.addRow(_("Company name on receipts"), self.company)
        for k, w in self.titles.items():
            w.setPlaceholderText(_(DEFAULT_TITLES[k]))
            form.addRow(_("Title: {default}").format(default=_(DEFAULT_TITLES[k])), w)
        for i, w in enumerate(self.plies):
            w.setPlaceholderText(_(PLY_LABELS[i]))
            form.addRow(_("Part {n} label").format(n=i + 1), w)
        form.addRow(_("Footer"), self.footer)
        form.addRow(_("Font size (pt)"), self.font)
        box = QGroupBox(_("Fields, in print order"))
        self.field_list = FieldList()
        self.field_list.set_fields(ReceiptLayout().fields)
        self.up, self.down = QPushButton(_("Move up")), QPushButton(_("Move down"))
        self.up.clicked.connect(lambda: self.field_list.move_selected(-1))
        self.down.clicked.connect(lambda: self.field_list.move_selected(1))
        moves = QHBoxLayout()
        moves.addWidget(self.up)
        moves.addWidget(self.down)
        moves.addStretch(1)
        inner = QVBoxLayout(box)
        inner.addWidget(self.field_list)
        inner.addLayout(moves)
        form_side = QVBoxLayout()
        form_side.addLayout(form)
        form_side.addStretch(1)
        top = QHBoxLayout()
        top.addLayout(form_side, 1)
        top.addWidget(box, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top, 1)
        layout.addLayout(self.button_row((_("Save"), self.submit)))
        layout.addWidget(self.status)

    def refresh(self) -> None:
        db = self.session.db
        tasks.read(self, lambda: (settings.get(db, "receipt.paper"), settings.get(db, "receipt.layout")),
                   on_done=self._show)

    def _show(self, result) -> None:
        paper, stored = result
        layout = ReceiptLayout.from_json(stored) if stored else ReceiptLayout()
        self.paper.setCurrentIndex(max(0, self.paper.findData(paper)))
        self.company.setText(layout.company_name)
        for k, w in self.titles.items():
            w.setText(layout.titles.get(k, ""))
        for i, w in enumerate(self.plies):
            w.setText(layout.ply_labels[i] if layout.ply_labels else "")
        self.footer.setText(layout.footer)
        self.font.setValue(layout.font_size)
        self.field_list.set_fields(layout.fields)

    def layout_value(self) -> ReceiptLayout:
        plies = [w.text().strip() for w in self.plies]
        return ReceiptLayout(paper=self.paper.currentData(), company_name=self.company.text().strip(),
                             titles={k: w.text().strip() for k, w in self.titles.items() if w.text().strip()},
                             ply_labels=plies if any(plies) else [], footer=self.footer.text().strip(),
                             font_size=float(self.font.value()), fields=self.field_list.fields())

    def submit(self) -> None:
        from models.errors import InvalidInput

        try:
            layout = self.layout_value()
        except InvalidInput as e:
            self.status.setText(str(e))
            return
        s = self.session
        values = {"receipt.paper": layout.paper, "receipt.layout": layout.to_json()}
        self.save(lambda: save_settings(s.db, s.actor, values), _("Receipt layout saved"))
