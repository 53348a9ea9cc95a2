"""Settings → Alarm limits (告警限值): power-quality limits of every meter, a meter group (tag) or
one meter (billing/quality_thresholds.py), and the abnormal-use rules (settings alarms.*).
Saved through the services (right settings_edit, logged); a wrong value keeps the dialog open
with the field marked.
"""
from __future__ import annotations

from decimal import Decimal

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
)

from archive import query as archive_query
from billing import quality_thresholds as qt
from billing.settings_service import save_settings
from models import settings
from models.errors import StationError
from resources.i18n import N_, _
from ui import tasks
from ui.pages.base import fill, make_table
from ui.pages.settings_form import EditorTab

TAG_KINDS = {"line": N_("Tag kind: line"), "department": N_("Tag kind: department"), "area": N_("Tag kind: area"),
             "other": N_("Tag kind: other")}
RULES = ("alarms.idle_days", "alarms.spike_factor", "alarms.spike_min_kwh", "alarms.vacant_min_kwh")
BAD = "border: 2px solid #c0392b;"


def scope_words(scope: str) -> str:
    """"all" / "tag:KIND:NAME" / "meter:NUMBER" in words."""
    kind, _sep, rest = scope.partition(":")
    if kind == "tag":
        tkind, _s, name = rest.partition(":")
        return _("Group {name} ({kind})").format(name=name, kind=_(TAG_KINDS.get(tkind, tkind)))
    if kind == "meter":
        return _("Meter {number}").format(number=rest)
    return _("Every meter")


def limit_text(v: Decimal | None) -> str:
    return str(v) if v is not None else "—"


class ThresholdDialog(QDialog):
    """Scope and the four limits; accept() only with valid values (the wrong field is marked)."""

    def __init__(self, tags: list[str], row: qt.ThresholdRow | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Alarm limits"))
        self.scope = QComboBox()
        self.scope.addItem(_("Every meter"), "all")
        for t in tags:
            self.scope.addItem(scope_words(f"tag:{t}"), f"tag:{t}")
        self.scope.addItem(_("One meter"), "meter")
        self.meter = QLineEdit()
        self.meter.setPlaceholderText(_("Meter number"))
        self.fields = {k: QLineEdit() for k in qt.KINDS}
        self.error = QLabel("")
        self.error.setStyleSheet("color: #c0392b;")
        self.error.setWordWrap(True)
        if row is not None:
            if row.scope.startswith("meter:"):
                self.scope.setCurrentIndex(self.scope.findData("meter"))
                self.meter.setText(row.scope.split(":", 1)[1])
            else:
                self.scope.setCurrentIndex(max(0, self.scope.findData(row.scope)))
            self.scope.setEnabled(False)
            self.meter.setEnabled(False)
            for k, v in row.limits.items():
                self.fields[k].setText(str(v) if v is not None else "")
        self.scope.currentIndexChanged.connect(self._scope_changed)
        self._scope_changed()
        form = QFormLayout(self)
        form.addRow(_("Applies to"), self.scope)
        form.addRow(_("Meter number"), self.meter)
        for k, w in self.fields.items():
            w.setPlaceholderText(_("empty: none here"))
            form.addRow(_(qt.LIMIT_TITLES[k]), w)
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _scope_changed(self) -> None:
        if self.scope.isEnabled():
            self.meter.setEnabled(self.scope.currentData() == "meter")

    def scope_ref(self) -> str:
        data = self.scope.currentData()
        return f"meter:{self.meter.text().strip()}" if data == "meter" else data

    def limits(self) -> qt.Limits:
        """The checked limits; raises InvalidInput naming the wrong one (and marks its field)."""
        values = {}
        for k, w in self.fields.items():
            w.setStyleSheet("")
            try:
                values[k] = qt.parse_limit(k, w.text())
            except StationError:
                w.setStyleSheet(BAD)
                w.setFocus()
                raise
        try:
            return qt.check_limits(qt.Limits(**values))
        except StationError:
            if values.get("under_voltage") is not None:         # under >= over: the lower limit is marked
                self.fields["under_voltage"].setStyleSheet(BAD)
            raise

    def accept(self) -> None:
        self.meter.setStyleSheet("")
        if self.scope.currentData() == "meter" and not self.meter.text().strip():
            self.meter.setStyleSheet(BAD)
            self.error.setText(_("Give the meter number"))
            return
        try:
            self.limits()
        except StationError as e:
            self.error.setText(str(e))
            return
        super().accept()


class QualityTab(EditorTab):
    def __init__(self, session, parent=None) -> None:
        super().__init__(session, parent)
        self.view, self.model = make_table([_("Applies to")] + [_(qt.LIMIT_TITLES[k]) for k in qt.KINDS]
                                           + [_("Changed by")])
        self.rows: list[qt.ThresholdRow] = []
        self.tags: list[str] = []
        self._load_rules = True                 # the rules' fields are filled once, then after a save
        layout = QVBoxLayout(self)
        hint = QLabel(_("No limits: no power-quality alarms. A meter's own limit comes first, then the strictest "
                        "of its groups, then the limit for every meter."))
        hint.setWordWrap(True)
        layout.addWidget(hint)
        layout.addLayout(self.button_row((_("Add limits"), self.add), (_("Edit"), self.edit),
                                         (_("Remove"), self.remove)))
        layout.addWidget(self.view, 1)
        layout.addWidget(self._rules_box())
        layout.addWidget(self.status)

    def _rules_box(self) -> QGroupBox:
        box = QGroupBox(_("Abnormal use (checked daily for the day before)"))
        form = QFormLayout(box)
        self.idle_days = QSpinBox()
        self.idle_days.setRange(1, 28)
        self.rule_edits: dict[str, QLineEdit] = {k: QLineEdit() for k in RULES[1:]}
        form.addRow(_(settings.SETTINGS["alarms.idle_days"].description), self.idle_days)
        for k, w in self.rule_edits.items():
            form.addRow(_(settings.SETTINGS[k].description), w)
        self.save_rules_button = QPushButton(_("Save rules"))
        self.save_rules_button.clicked.connect(self.save_rules)
        self.save_rules_button.setEnabled(self.allowed())
        self.actions.append(self.save_rules_button)
        form.addRow(self.save_rules_button)
        return box

    def refresh(self) -> None:
        db = self.session.db

        def load():
            return (qt.list_thresholds(db), archive_query.list_tags(db),
                    {k: settings.get(db, k) for k in RULES})
        tasks.read(self, load, on_done=self._show)

    def _show(self, result) -> None:
        self.rows, tags, rules = result
        self.tags = [f"{k}:{n}" for _i, k, n in tags]
        fill(self.model, [[scope_words(r.scope)] + [limit_text(v) for _k, v in r.limits.items()] + [r.updated_by]
                          for r in self.rows])
        self.view.resizeColumnsToContents()
        if self._load_rules:                    # never overwrite what is being typed
            self._load_rules = False
            self.idle_days.setValue(int(rules["alarms.idle_days"]))
            for k, w in self.rule_edits.items():
                w.setText(str(rules[k]))

    def selected(self) -> qt.ThresholdRow | None:
        picked = self.view.selectionModel().selectedRows()
        return self.rows[picked[0].row()] if picked else None

    def add(self, dialog: ThresholdDialog | None = None) -> None:
        self._edit(None, dialog)

    def edit(self, dialog: ThresholdDialog | None = None) -> None:
        row = self.selected()
        if row is not None:
            self._edit(row, dialog)

    def _edit(self, row: qt.ThresholdRow | None, dialog: ThresholdDialog | None) -> None:
        dlg = dialog or ThresholdDialog(self.tags, row, self)
        if dialog is not None or dlg.exec() == QDialog.DialogCode.Accepted:
            s, scope, limits = self.session, (row.scope if row else dlg.scope_ref()), dlg.limits()
            self.save(lambda: qt.set_thresholds(s.db, s.actor, scope, limits),
                      _("Alarm limits of {scope} saved").format(scope=scope_words(scope)), self.refresh)

    def remove(self) -> None:
        row = self.selected()
        if row is not None:
            s = self.session
            self.save(lambda: qt.remove_thresholds(s.db, s.actor, row.scope),
                      _("Alarm limits of {scope} removed").format(scope=scope_words(row.scope)), self.refresh)

    def save_rules(self) -> None:
        s = self.session
        values = {"alarms.idle_days": self.idle_days.value(),
                  **{k: w.text().strip() for k, w in self.rule_edits.items()}}
        self.save(lambda: save_settings(s.db, s.actor, values), _("Abnormal-use rules saved"), self._rules_saved)

    def _rules_saved(self) -> None:
        self._load_rules = True
        self.refresh()
