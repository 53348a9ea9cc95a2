"""Settings → Timed control (定时通断电): schedules that switch a meter group (tag) off and on at
set local times, and the make-up working days (调休) that count as school days.

Through billing.timed.service (right relay_control, every change logged). The dialog checks its input
before it closes (billing.timed.service.check_spec): a bad time keeps it open with the message shown.
"""
from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
)

from archive import query as archive_query
from billing.timed import service as timed
from models.errors import InvalidInput
from models.timed import DAY_RULES
from resources.i18n import _
from ui import tasks
from ui.pages.base import fill, make_table
from ui.pages.settings_form import EditorTab


def parse_days(text: str) -> tuple[date, ...]:
    """Dates separated by spaces, commas or new lines: 2026-10-01, 2026-10-02 ..."""
    out = []
    for part in text.replace(",", " ").replace("，", " ").split():
        try:
            out.append(date.fromisoformat(part))
        except ValueError:
            raise InvalidInput(_("{value} is not a date (YYYY-MM-DD)").format(value=part)) from None
    return tuple(out)


def days_text(days) -> str:
    return ", ".join(d.isoformat() for d in days)


class TimedDialog(QDialog):
    def __init__(self, tags: list[str], row: timed.TimedRow | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Timed control schedule"))
        self.name = QLineEdit(row.name if row else "")
        self.tag = QComboBox()
        for t in tags:
            self.tag.addItem(t, t)
        self.off = QLineEdit(row.off_at if row else "23:00")
        self.on = QLineEdit(row.on_at if row else "06:00")
        for w in (self.off, self.on):
            w.setPlaceholderText("HH:MM")
        self.days = QComboBox()
        for d in DAY_RULES:
            self.days.addItem(_(timed.DAY_RULE_TITLES[d]), d)
        self.dates = QLineEdit(days_text(row.dates) if row else "")
        self.skip = QLineEdit(days_text(row.skip) if row else "")
        for w in (self.dates, self.skip):
            w.setPlaceholderText("2026-10-01, 2026-10-02")
        self.enabled = QCheckBox(_("Enabled"))
        self.enabled.setChecked(row.enabled if row else True)
        if row:
            self.tag.setCurrentIndex(max(0, self.tag.findData(row.tag)))
            self.days.setCurrentIndex(self.days.findData(row.days))
        self.error = QLabel("")
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        form = QFormLayout(self)
        for label, w in ((_("Name"), self.name), (_("Meter group"), self.tag), (_("Power off at"), self.off),
                         (_("Power on at"), self.on), (_("On which days"), self.days),
                         (_("Dates (for given dates)"), self.dates), (_("Skip these dates"), self.skip)):
            form.addRow(label, w)
        form.addRow(self.enabled)
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def spec(self) -> timed.TimedSpec:
        return timed.check_spec(timed.TimedSpec(self.name.text(), self.tag.currentData() or "", self.off.text(),
                                                self.on.text(), self.days.currentData(),
                                                parse_days(self.dates.text()), parse_days(self.skip.text()),
                                                self.enabled.isChecked()))

    def accept(self) -> None:
        try:
            self.spec()
        except InvalidInput as e:
            self.error.setText(str(e))           # the dialog stays open with what was typed
            return
        super().accept()


class WorkdaysDialog(QDialog):
    def __init__(self, days: list[tuple[date, str]], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Make-up working days (调休)"))
        self.text = QPlainTextEdit("\n".join(f"{d.isoformat()} {n}".strip() for d, n in days))
        self.error = QLabel("")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(_("One date per line (YYYY-MM-DD), then an optional name. "
                                  "These weekend days count as school days.")))
        layout.addWidget(self.text)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def days(self) -> list[tuple[date, str]]:
        out = []
        for line in self.text.toPlainText().splitlines():
            if line.strip():
                day, _sep, name = line.strip().partition(" ")
                out.append((parse_days(day)[0], name.strip()))
        return out

    def accept(self) -> None:
        try:
            self.days()
        except InvalidInput as e:
            self.error.setText(str(e))
            return
        super().accept()


class TimedTab(EditorTab):
    right = timed.RIGHT

    def __init__(self, session, parent=None) -> None:
        super().__init__(session, parent)
        self.view, self.model = make_table([_("Name"), _("Meter group"), _("Power off"), _("Power on"),
                                            _("On which days"), _("Skip these dates"), _("Enabled")])
        self.rows: list[timed.TimedRow] = []
        self.tags: list[str] = []
        layout = QVBoxLayout(self)
        layout.addLayout(self.button_row((_("Add schedule"), self.add), (_("Edit"), self.edit),
                                         (_("Delete"), self.delete),
                                         (_("Make-up working days (调休)"), self.workdays)))
        layout.addWidget(self.view)
        layout.addWidget(self.status)

    def refresh(self) -> None:
        db = self.session.db
        tasks.read(self, lambda: (timed.list_timed(db), archive_query.list_tags(db)), on_done=self._show)

    def _show(self, result) -> None:
        self.rows, tags = result
        self.tags = [f"{k}:{n}" for _i, k, n in tags]
        fill(self.model, [[r.name, r.tag, r.off_at or "—", r.on_at or "—",
                           _(timed.DAY_RULE_TITLES[r.days]) + (f" {days_text(r.dates)}" if r.dates else ""),
                           days_text(r.skip), _("yes") if r.enabled else _("no")] for r in self.rows])
        self.view.resizeColumnsToContents()

    def selected(self) -> timed.TimedRow | None:
        picked = self.view.selectionModel().selectedRows()
        return self.rows[picked[0].row()] if picked else None

    def add(self, dialog: TimedDialog | None = None) -> None:
        dlg = dialog or TimedDialog(self.tags, None, self)
        if dialog is not None or dlg.exec() == QDialog.DialogCode.Accepted:
            s, spec = self.session, dlg.spec()
            self.save(lambda: timed.add_timed(s.db, s.actor, spec),
                      _("Timed schedule {name} added").format(name=spec.name), self.refresh)

    def edit(self, dialog: TimedDialog | None = None) -> None:
        row = self.selected()
        if row is None:
            return
        dlg = dialog or TimedDialog(self.tags, row, self)
        if dialog is not None or dlg.exec() == QDialog.DialogCode.Accepted:
            s, spec = self.session, dlg.spec()
            self.save(lambda: timed.update_timed(s.db, s.actor, row.name, spec),
                      _("Timed schedule {name} saved").format(name=spec.name), self.refresh)

    def delete(self) -> None:
        row = self.selected()
        if row is not None:
            s = self.session
            self.save(lambda: timed.remove_timed(s.db, s.actor, row.name),
                      _("Timed schedule {name} removed").format(name=row.name), self.refresh)

    def workdays(self, dialog: WorkdaysDialog | None = None) -> None:
        if dialog is None:
            dialog = WorkdaysDialog(timed.list_workdays(self.session.db), self)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
        s, days = self.session, dialog.days()
        self.save(lambda: timed.set_workdays(s.db, s.actor, days),
                  _("{n} make-up working days saved").format(n=len(days)))
