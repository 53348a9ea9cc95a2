"""Settings (设置): an overview of every setting, and editors for the station, links, tariffs,
reading schedules, the receipt layout and backups; operators and roles; the operation log.
Each editor tab saves through a service that checks the right and logs the change."""
from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLabel, QPushButton, QScrollArea, QTabWidget, QVBoxLayout, QWidget

from models import migrate, settings
from resources.i18n import N_, _
from ui import tasks
from ui.pages.base import Page
from ui.pages.log_tab import LogTab
from ui.pages.operators_tab import OperatorsTab
from ui.pages.settings_backup_tab import BackupTab
from ui.pages.settings_links_tab import LinksTab
from ui.pages.settings_meters_tab import MetersTab
from ui.pages.settings_quality_tab import QualityTab
from ui.pages.settings_receipt_tab import ReceiptTab
from ui.pages.settings_schedules_tab import SchedulesTab
from ui.pages.settings_station_tab import StationEditTab
from ui.pages.settings_tariffs_tab import TariffsTab
from ui.pages.settings_timed_tab import TimedTab

LANGUAGE_NAMES = {"zh_CN": "简体中文", "en": "English"}
SMS_SENDERS = {"none": N_("No SMS"), "modem": N_("GSM modem"), "file": N_("Written to files")}


def value_text(key: str, value) -> str:
    """A setting's value as the overview shows it: in words, never JSON or an internal code."""
    from ui.pages.settings_receipt_tab import PAPER_LABELS

    if value is True or value is False:
        return _("yes") if value else _("no")
    if key == "station.language":
        return LANGUAGE_NAMES.get(value, str(value))
    if key == "receipt.paper" and value in PAPER_LABELS:
        return _(PAPER_LABELS[value])
    if key == "receipt.layout":
        return _("Customised (see Receipt layout)") if value else _("Default")
    if key == "sms.sender" and value in SMS_SENDERS:
        return _(SMS_SENDERS[value])
    if key == "automation.subsidy_amounts":
        import json

        try:
            amounts = json.loads(value or "{}")
        except ValueError:
            return str(value)
        from ui.pages.log_words import value_text as word

        return _(", ").join(_("{label}: {value}").format(label=word(k), value=v) for k, v in amounts.items()) or "—"
    if key == "automation.subsidy_carry" and value:
        from ui.pages.log_words import value_text as word

        return _(", ").join(word(t.strip()) for t in str(value).split(",") if t.strip())
    return str(value if value not in (None, "") else "—")


class StationTab(QWidget):
    """Read-only overview of the settings, with their descriptions; edited by admins."""

    def __init__(self, session, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        inner = QWidget()
        self.form = QFormLayout(inner)
        scroll = QScrollArea()                 # the list is taller than a 768-pixel screen
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        QVBoxLayout(self).addWidget(scroll)
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
            return values, migrate.current_revision(db, reading=True), db.dialect
        tasks.read(self, load, on_done=self._show)

    def _show(self, result) -> None:
        values, rev, dialect = result
        for key, label in self.labels.items():
            right = settings.SETTINGS[key].right      # backup.* (backup), the database URL (restore)
            shown = right == "settings_edit" or self.session.can(right)
            label.setText(value_text(key, values.get(key)) if shown else _("(not shown: no right)"))
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
        self.station_edit = StationEditTab(session)
        self.links_tab = LinksTab(session)
        self.tariffs_tab = TariffsTab(session)
        self.schedules_tab = SchedulesTab(session)
        self.receipt_tab = ReceiptTab(session)
        self.backup_tab = BackupTab(session)
        self.tabs.addTab(self.station_tab, _("Overview"))
        self.tabs.addTab(self.station_edit, _("Station"))
        self.tabs.addTab(self.links_tab, _("Links"))
        self.meters_tab = MetersTab(session)
        self.tabs.addTab(self.meters_tab, _("Meters"))
        self.tabs.addTab(self.tariffs_tab, _("Tariffs"))
        self.tabs.addTab(self.schedules_tab, _("Reading schedules"))
        self.timed_tab = TimedTab(session)
        self.tabs.addTab(self.timed_tab, _("Timed control"))
        self.quality_tab = QualityTab(session)
        self.tabs.addTab(self.quality_tab, _("Alarm limits"))
        self.tabs.addTab(self.receipt_tab, _("Receipt layout"))
        self.tabs.addTab(self.backup_tab, _("Backup"))
        self.tabs.addTab(self.operators_tab, _("Operators and roles"))
        self.tabs.addTab(self.log_tab, _("Operation log"))
        self.tabs.currentChanged.connect(lambda _i: self._refresh_current())
        self.layout_.addWidget(self.tabs)

    def _refresh_current(self) -> None:
        tab = self.tabs.currentWidget()
        if hasattr(tab, "refresh"):
            tab.refresh()

    def refresh(self) -> None:
        """A visit loads the tab on screen; the others load when they are shown (currentChanged).
        Every visit used to load the overview, the operators and 500 log rows formatted in words
        besides: at 10,000 meters that worker's Python held the interpreter lock while the GUI
        thread painted the switch (bench_gui: the stalls after the settings page)."""
        self._refresh_current()
