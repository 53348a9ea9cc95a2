"""Settings → Reading schedules (抄表计划): how often each group of meters (a tag, or every
meter) is read. Through billing.settings_service (right settings_edit, logged); the scheduler picks
changes up when it syncs its jobs. "Read this group now" (right meter_read) queues the selected
schedule's meters at once, through the runtime (ui/runtime_commands.py), and says how many.
"""
from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
)

from archive import query as archive_query
from billing import settings_service as schedules
from models.automation import SCHEDULE_KINDS
from resources.i18n import N_, _
from ui import tasks
from ui.pages.base import fill, make_table
from ui.pages.settings_form import EditorTab
from ui.runtime_commands import ReadGroupAnswer, read_group

KIND_LABELS = {"interval": N_("Every N minutes"), "hourly": N_("Hourly"), "daily": N_("Daily"),
               "weekly": N_("Weekly"), "monthly": N_("Monthly")}


class ScheduleDialog(QDialog):
    def __init__(self, tags: list[str], row: schedules.ScheduleRow | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Reading schedule"))
        self.name = QLineEdit(row.name if row else "")
        self.kind = QComboBox()
        for k in SCHEDULE_KINDS:
            self.kind.addItem(_(KIND_LABELS[k]), k)
        self.every = QSpinBox()
        self.every.setRange(1, 1440)
        self.at = QLineEdit(row.at_time if row else "00:00")
        self.weekday, self.day = QSpinBox(), QSpinBox()
        self.weekday.setRange(0, 6)
        self.day.setRange(1, 28)
        self.tag = QComboBox()
        self.tag.addItem(_("Every meter"), "")
        for t in tags:
            self.tag.addItem(t, t)
        self.enabled = QCheckBox(_("Enabled"))
        if row:
            self.kind.setCurrentIndex(self.kind.findData(row.kind))
            self.every.setValue(row.every_minutes)
            self.weekday.setValue(row.weekday)
            self.day.setValue(row.day)
            self.tag.setCurrentIndex(max(0, self.tag.findData(row.tag)))
        else:
            self.every.setValue(30)
        self.enabled.setChecked(row.enabled if row else True)
        form = QFormLayout(self)
        for label, w in ((_("Name"), self.name), (_("How often"), self.kind), (_("Minutes"), self.every),
                         (_("At (HH:MM)"), self.at), (_("Weekday (0 = Monday)"), self.weekday),
                         (_("Day of month"), self.day), (_("Meters"), self.tag)):
            form.addRow(label, w)
        form.addRow(self.enabled)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def spec(self) -> schedules.ScheduleSpec:
        return schedules.ScheduleSpec(self.name.text(), self.kind.currentData(), self.every.value(),
                                      self.at.text().strip(), self.weekday.value(), self.day.value(),
                                      self.tag.currentData() or "", self.enabled.isChecked())


class SchedulesTab(EditorTab):
    def __init__(self, session, parent=None) -> None:
        super().__init__(session, parent)
        self.view, self.model = make_table([_("Name"), _("How often"), _("When"), _("Meters"), _("Enabled")])
        self.rows: list[schedules.ScheduleRow] = []
        self.tags: list[str] = []
        layout = QVBoxLayout(self)
        buttons = self.button_row((_("Add schedule"), self.add), (_("Edit"), self.edit), (_("Delete"), self.delete))
        self.read_button = QPushButton(_("Read this group now"))       # its own right: meter_read
        self.read_button.clicked.connect(lambda _checked=False: self.read_now())
        self.read_button.setEnabled(self.allowed("meter_read"))
        buttons.insertWidget(buttons.count() - 1, self.read_button)
        layout.addLayout(buttons)
        layout.addWidget(self.view)
        layout.addWidget(self.status)

    def refresh(self) -> None:
        db = self.session.db
        tasks.read(self, lambda: (schedules.list_schedules(db), archive_query.list_tags(db)), on_done=self._show)

    def _show(self, result) -> None:
        self.rows, tags = result
        self.tags = [f"{k}:{n}" for _i, k, n in tags]
        fill(self.model, [[r.name, _(KIND_LABELS.get(r.kind, r.kind)), self._when(r), r.tag or _("Every meter"),
                           _("yes") if r.enabled else _("no")] for r in self.rows])
        self.view.resizeColumnsToContents()

    @staticmethod
    def _when(r: schedules.ScheduleRow) -> str:
        return {"interval": _("every {n} min").format(n=r.every_minutes), "hourly": f":{r.at_time[3:]}",
                "daily": r.at_time, "weekly": f"{r.weekday} {r.at_time}",
                "monthly": f"{r.day} {r.at_time}"}.get(r.kind, "")

    def selected(self) -> schedules.ScheduleRow | None:
        picked = self.view.selectionModel().selectedRows()
        return self.rows[picked[0].row()] if picked else None

    def add(self, dialog: ScheduleDialog | None = None) -> None:
        dlg = dialog or ScheduleDialog(self.tags, None, self)
        if dialog is not None or dlg.exec() == QDialog.DialogCode.Accepted:
            s, spec = self.session, dlg.spec()
            self.save(lambda: schedules.add_schedule(s.db, s.actor, spec),
                      _("Schedule {name} saved").format(name=spec.name), self.refresh)

    def edit(self, dialog: ScheduleDialog | None = None) -> None:
        row = self.selected()
        if row is None:
            return
        dlg = dialog or ScheduleDialog(self.tags, row, self)
        if dialog is not None or dlg.exec() == QDialog.DialogCode.Accepted:
            s, spec = self.session, dlg.spec()
            self.save(lambda: schedules.update_schedule(s.db, s.actor, row.id, spec),
                      _("Schedule {name} saved").format(name=spec.name), self.refresh)

    def read_now(self) -> None:
        """Queue the selected schedule's meters for reading now (ui/runtime_commands.read_group:
        the count queued, or why not, on the status line)."""
        row = self.selected()
        if row is None:
            self.status.setText(_("Select a schedule first"))
            return
        self.read_button.setEnabled(False)

        def answered(answer: ReadGroupAnswer) -> None:
            self.read_button.setEnabled(self.allowed("meter_read"))
            self.status.setText(f"{row.name}: {answer.text}")
        read_group(self.session, row.id, answered)

    def delete(self) -> None:
        row = self.selected()
        if row is not None:
            s = self.session
            self.save(lambda: schedules.delete_schedule(s.db, s.actor, row.id),
                      _("Schedule {name} deleted").format(name=row.name), self.refresh)
