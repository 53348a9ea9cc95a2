"""Settings → Meters (表计): the archive's meters with their link, communication state in words
(online / lost / unreachable because the link is lost / not read yet) and options; "Options…"
edits a meter's options (ui/widgets/meter_options_dialog.py) through
archive.service.update_meter (right archive_edit, logged). Listing off the GUI thread."""
from __future__ import annotations

import json

from PySide6.QtWidgets import QDialog, QVBoxLayout

from archive import query as archive_query
from archive import service as archive_service
from models.meter_options import shown
from resources.i18n import N_, _
from ui import tasks
from ui.pages.base import fill, make_table
from ui.pages.settings_form import EditorTab
from ui.pages.settings_links_tab import protocol_name
from ui.widgets.meter_options_dialog import MeterOptionsDialog

COMM_STATES = {"online": N_("Online"), "lost": N_("Lost"), "unreachable": N_("Unreachable (link lost)"),
               "unknown": N_("Not read yet")}


def comm_state_name(state: str) -> str:
    msgid = COMM_STATES.get(state)
    return _(msgid) if msgid else state


def _options(text: str) -> dict[str, str]:
    try:
        return {str(k): str(v) for k, v in json.loads(text or "{}").items()}
    except ValueError:
        return {}


class MetersTab(EditorTab):
    right = "archive_edit"

    def __init__(self, session, parent=None) -> None:
        super().__init__(session, parent)
        self.view, self.model = make_table([_("Meter No."), _("Protocol"), _("Address"), _("Link"),
                                            _("State"), _("Meter options")])
        self.rows: list = []
        layout = QVBoxLayout(self)
        layout.addLayout(self.button_row((_("Options…"), self.edit_options)))
        layout.addWidget(self.view)
        layout.addWidget(self.status)

    def refresh(self) -> None:
        s = self.session
        tasks.read(self, lambda: archive_query.list_meters(s.db, s.actor, limit=5000), on_done=self._show)

    def _show(self, rows) -> None:
        self.rows = rows
        fill(self.model, [[r.number, protocol_name(r.protocol), r.address, r.link, comm_state_name(r.comm_state),
                           "; ".join(f"{k}={v}" for k, v in shown(_options(r.options)).items())] for r in rows])
        self.view.resizeColumnsToContents()

    def selected(self):
        picked = self.view.selectionModel().selectedRows()
        return self.rows[picked[0].row()] if picked else None

    def edit_options(self, dialog: MeterOptionsDialog | None = None) -> None:
        row = self.selected()
        if row is None:
            return
        dlg = dialog or MeterOptionsDialog(row.number, row.protocol, _options(row.options), self)
        if dialog is not None or dlg.exec() == QDialog.DialogCode.Accepted:
            s, changes = self.session, dlg.changes()
            if changes:
                self.save(lambda: archive_service.update_meter(s.db, s.actor, row.number, options=changes),
                          _("Meter {number} saved").format(number=row.number), self.refresh)
