"""Settings (设置): station settings, business settings, operators and roles, operation log."""
from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QPushButton, QTabWidget, QWidget

from models import migrate, settings
from resources.i18n import _
from ui import tasks
from ui.pages.base import Page
from ui.pages.log_tab import LogTab
from ui.pages.operators_tab import OperatorsTab


class StationTab(QWidget):
    """Read-only overview of the settings, with their descriptions; edited by admins."""

    def __init__(self, session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.form = QFormLayout(self)
        self.labels: dict[str, QLabel] = {}
        for key, spec in settings.SETTINGS.items():
            label = QLabel("")
            label.setToolTip(key)
            self.labels[key] = label
            self.form.addRow(_(spec.description), label)
        self.schema = QLabel("")
        self.form.addRow(_("Database"), self.schema)
        reload_ = QPushButton(_("Reload"))
        reload_.clicked.connect(self.refresh)
        self.form.addRow(reload_)

    def refresh(self) -> None:
        db = self.session.db

        def load():
            values = {k: settings.get_local(k) for k, v in settings.SETTINGS.items() if v.local}
            values.update(settings.all_db_settings(db))
            return values, migrate.current_revision(db), db.dialect
        tasks.read(self, load, on_done=self._show)

    def _show(self, result) -> None:
        values, rev, dialect = result
        for key, label in self.labels.items():
            value = values.get(key)
            label.setText(_("yes") if value is True else _("no") if value is False else str(value or "—"))
        self.schema.setText(_("{dialect}, schema {rev}").format(dialect=dialect, rev=rev))


class SettingsPage(Page):
    key = "settings"

    @property
    def title(self) -> str:  # type: ignore[override]
        return _("Settings")

    def __init__(self, session, parent=None) -> None:
        super().__init__(session, parent)
        self.tabs = QTabWidget()
        self.station_tab = StationTab(session)
        self.operators_tab = OperatorsTab(session)
        self.log_tab = LogTab(session)
        self.tabs.addTab(self.station_tab, _("Station"))
        self.tabs.addTab(self.operators_tab, _("Operators and roles"))
        self.tabs.addTab(self.log_tab, _("Operation log"))
        self.layout_.addWidget(self.tabs)

    def refresh(self) -> None:
        self.station_tab.refresh()
        self.operators_tab.refresh()
        self.log_tab.refresh()
