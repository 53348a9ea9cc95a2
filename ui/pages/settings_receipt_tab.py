"""Settings → Receipt layout (收据格式): paper (dot-matrix 241 × 93 mm per part, or A4), the
company name printed, titles per receipt kind, ply labels, footer, font size, and which body
fields show under which label. Stored as settings receipt.paper and receipt.layout (JSON of
printing.layouts.ReceiptLayout) through billing.schedules.save_settings (settings_edit, logged).
An empty text means the translated default.
"""
from __future__ import annotations

from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGridLayout, QGroupBox,
                               QLineEdit, QVBoxLayout)

from billing.schedules import save_settings
from models import settings
from printing.layouts import DEFAULT_TITLES, FIELD_LABELS, KINDS, PLY_LABELS, FieldSpec, ReceiptLayout
from resources.i18n import N_, _
from ui import tasks
from ui.pages.settings_form import EditorTab

PAPER_LABELS = {"continuous-241x93": N_("Dot-matrix continuous, 241 × 93 mm per part"), "a4": N_("A4, three parts")}


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
        self.shown = {k: QCheckBox() for k in FIELD_LABELS}
        self.labels = {k: QLineEdit() for k in FIELD_LABELS}
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
        box = QGroupBox(_("Fields"))
        grid = QGridLayout(box)
        for row, key in enumerate(FIELD_LABELS):
            self.shown[key].setText(_(FIELD_LABELS[key]) if FIELD_LABELS[key] else _("Extra line"))
            self.labels[key].setPlaceholderText(_(FIELD_LABELS[key]) if FIELD_LABELS[key] else "")
            grid.addWidget(self.shown[key], row // 2, (row % 2) * 2)
            grid.addWidget(self.labels[key], row // 2, (row % 2) * 2 + 1)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(box)
        layout.addLayout(self.button_row((_("Save"), self.submit)))
        layout.addWidget(self.status)
        layout.addStretch(1)

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
        for f in layout.fields:
            self.shown[f.key].setChecked(f.show)
            self.labels[f.key].setText(f.label)

    def layout_value(self) -> ReceiptLayout:
        plies = [w.text().strip() for w in self.plies]
        return ReceiptLayout(paper=self.paper.currentData(), company_name=self.company.text().strip(),
                             titles={k: w.text().strip() for k, w in self.titles.items() if w.text().strip()},
                             ply_labels=plies if any(plies) else [], footer=self.footer.text().strip(),
                             font_size=float(self.font.value()),
                             fields=[FieldSpec(k, self.labels[k].text().strip(), self.shown[k].isChecked())
                                     for k in FIELD_LABELS])

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
