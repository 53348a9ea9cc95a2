"""Settings → Station (站点): company name and logo (login screen), this station's name, its
receipt printer (station.printer: empty = save and preview, PDF = save only, or a printer's
name), quiet hours, the station that runs the scheduled jobs, and the holidays on which arrears
trips wait.
Saved through billing.settings_service (save_settings, set_holidays: right settings_edit, logged); a
newly chosen logo is first copied into the station's config folder (models.company_logo).
"""
from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import QFileDialog, QFormLayout, QHBoxLayout, QLineEdit, QPlainTextEdit, QPushButton, QVBoxLayout

from billing import settings_service as schedules
from models import company_logo, settings
from models.errors import InvalidInput
from resources.i18n import _
from ui import tasks
from ui.pages.settings_form import EditorTab

KEYS = ("company.name", "station.name", "station.printer", "automation.quiet_hours", "automation.job_station")


def parse_holidays(text: str) -> list[tuple[date, str]]:
    """One holiday per line: 'YYYY-MM-DD name'."""
    out = []
    for line in [t.strip() for t in text.splitlines() if t.strip()]:
        day, _sep, name = line.partition(" ")
        try:
            out.append((date.fromisoformat(day), name.strip()))
        except ValueError:
            raise InvalidInput(_("{text} is not a date (YYYY-MM-DD)").format(text=day)) from None
    return out


class StationEditTab(EditorTab):
    def __init__(self, session, parent=None) -> None:
        super().__init__(session, parent)
        self.fields = {k: QLineEdit() for k in KEYS}
        self.fields["automation.quiet_hours"].setPlaceholderText("22:00-07:00")
        # the printer's name as the system lists it (lpstat -p; Windows: Devices and Printers)
        self.fields["station.printer"].setPlaceholderText(_("Empty: preview; PDF: save only; or a printer's name"))
        self.holidays = QPlainTextEdit()
        self.holidays.setPlaceholderText("2026-10-01 国庆节\n2026-10-02 国庆节")
        form = QFormLayout()
        for k, w in self.fields.items():
            form.addRow(_(settings.SETTINGS[k].description), w)
        self.logo = QLineEdit()
        self.logo.setPlaceholderText(_("No logo"))
        pick, clear = QPushButton(_("Choose…")), QPushButton(_("Remove"))
        pick.clicked.connect(self.pick_logo)
        clear.clicked.connect(self.logo.clear)
        logo_row = QHBoxLayout()
        for w in (self.logo, pick, clear):
            logo_row.addWidget(w)
        form.addRow(_(settings.SETTINGS["company.logo"].description), logo_row)
        form.addRow(_("Holidays (one per line: YYYY-MM-DD name)"), self.holidays)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(self.button_row((_("Save"), self.submit)))
        layout.addWidget(self.status)
        layout.addStretch(1)

    def refresh(self) -> None:
        db = self.session.db
        tasks.read(self, lambda: ({k: settings.get(db, k) for k in (*KEYS, "company.logo")},
                                  schedules.list_holidays(db)), on_done=self._show)

    def _show(self, result) -> None:
        values, holidays = result
        for k, w in self.fields.items():
            w.setText(str(values.get(k) or ""))
        self.logo.setText(str(values.get("company.logo") or ""))
        self.holidays.setPlainText("\n".join(f"{d.isoformat()} {n}".strip() for d, n in holidays))

    def submit(self) -> None:
        try:
            days = parse_holidays(self.holidays.toPlainText())
        except InvalidInput as e:
            self.status.setText(str(e))
            return
        s = self.session
        values = {k: w.text().strip() for k, w in self.fields.items()}
        logo = self.logo.text().strip()

        def run() -> None:
            s.actor.require("settings_edit")
            values["company.logo"] = str(company_logo.copy_logo(logo)) if logo else ""
            schedules.save_settings(s.db, s.actor, values)
            schedules.set_holidays(s.db, s.actor, days)
        self.save(run, _("Station settings saved"), self.refresh)

    def pick_logo(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, _("Company logo"), self.logo.text(),
                                                    _("Images (*.png *.jpg *.jpeg *.bmp *.gif)"))
        if path:
            self.logo.setText(path)
