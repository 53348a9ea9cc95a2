"""Settings → Backup (备份): back the database up now into a chosen file (models.backup, right
backup, logged; the station keeps working while it copies), and the scheduled backups' folder,
time and how many to keep (settings backup.*: shown and saved only with the backup right, as
billing.settings_service.save_settings demands it too)."""
from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QFormLayout, QLineEdit, QSpinBox, QVBoxLayout

from billing.settings_service import save_settings
from models import settings, station_time
from models.errors import StationError
from resources.i18n import _
from ui import tasks
from ui.pages.settings_form import EditorTab


class BackupTab(EditorTab):
    def __init__(self, session, parent=None) -> None:
        super().__init__(session, parent)
        self.folder, self.at, self.keep = QLineEdit(), QLineEdit(), QSpinBox()
        self.keep.setRange(1, 1000)
        form = QFormLayout()
        form.addRow(_(settings.SETTINGS["backup.folder"].description), self.folder)
        form.addRow(_(settings.SETTINGS["backup.at"].description), self.at)
        form.addRow(_(settings.SETTINGS["backup.keep"].description), self.keep)
        layout = QVBoxLayout(self)
        layout.addLayout(self.button_row((_("Back up now…"), lambda: self.backup_now()), right="backup"))
        layout.addLayout(form)
        layout.addLayout(self.button_row((_("Save"), self.submit), right="backup"))
        layout.addWidget(self.status)
        layout.addStretch(1)

    def refresh(self) -> None:
        if not self.allowed("backup"):          # where and when the backups go: not for every operator
            return
        keys = ("backup.folder", "backup.at", "backup.keep")
        tasks.read(self, lambda: [settings.get_local(k) for k in keys], on_done=self._show)

    def _show(self, values) -> None:
        folder, at, keep = values
        self.folder.setText(str(folder or ""))
        self.at.setText(str(at))
        self.keep.setValue(int(keep))

    def submit(self) -> None:
        s = self.session
        values = {"backup.folder": self.folder.text().strip(), "backup.at": self.at.text().strip(),
                  "backup.keep": self.keep.value()}
        self.save(lambda: save_settings(s.db, s.actor, values), _("Backup settings saved"))

    def backup_now(self, path: str | None = None) -> None:
        if path is None:
            name = f"meterstation-{station_time.now():%Y%m%d-%H%M}.db"
            path, _filter = QFileDialog.getSaveFileName(self, _("Back up now…"), name, "SQLite (*.db)")
            if not path:
                return
        from models import backup

        s = self.session
        self.status.setText(_("Backing up…"))

        def failed(error: BaseException) -> None:
            self.status.setText(str(error) if isinstance(error, StationError) else _("Backup failed"))
            tasks.show_error(self, error)
        tasks.read(self, lambda: backup.backup(s.db, s.actor, path), on_error=failed,
                   on_done=lambda target: self.status.setText(_("Backup written to {file}").format(file=target)))
