"""Settings → Links (通道): list, add, edit, enable/disable; the URL is checked as it is typed.

Through archive.service (add_link / update_link: right archive_edit, logged). States are
shown in words (在线 / 失联 / 未知), protocols by their standard names (DL/T 645-2007 …).
"""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout

from archive import query as archive_query
from archive import service as archive_service
from comms.interfaces import PROTOCOLS
from models.errors import InvalidInput
from models.link_urls import parse_link_url
from resources.i18n import N_, _
from ui import tasks
from ui.pages.base import fill, make_table
from ui.pages.settings_form import EditorTab

LINK_STATES = {"online": N_("Online"), "lost": N_("Lost"), "unknown": N_("Unknown")}
PROTOCOL_NAMES = {"dlt645-2007": "DL/T 645-2007", "dlt645-1997": "DL/T 645-1997", "cjt188": "CJ/T 188",
                  "modbus": "Modbus"}


def state_name(state: str) -> str:
    msgid = LINK_STATES.get(state)
    return _(msgid) if msgid else state


def protocol_name(code: str) -> str:
    return PROTOCOL_NAMES.get(code, code)


class LinkDialog(QDialog):
    def __init__(self, parent=None, name: str = "", url: str = "", protocol: str = "dlt645-2007") -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Link"))
        self.name, self.url = QLineEdit(name), QLineEdit(url)
        self.url.setPlaceholderText("tcp://192.168.1.20:8001 · serial:///dev/ttyUSB0?baud=2400&parity=E")
        self.protocol = QComboBox()
        for code in PROTOCOLS:
            self.protocol.addItem(protocol_name(code), code)
        self.protocol.setCurrentIndex(max(0, self.protocol.findData(protocol)))
        self.problem = QLabel("")
        self.problem.setObjectName("hint")
        self.problem.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow(_("Link name"), self.name)
        form.addRow(_("Link URL"), self.url)
        form.addRow(_("Protocol"), self.protocol)
        form.addRow(self.problem)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self.url.textChanged.connect(self.check)
        self.name.textChanged.connect(self.check)
        self.check()

    def check(self) -> bool:
        problem = "" if self.name.text().strip() else _("Give the link a name")
        if not problem:
            try:
                parse_link_url(self.url.text())
            except InvalidInput as e:
                problem = str(e)
        self.problem.setText(problem)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)
        return not problem


class LinksTab(EditorTab):
    right = "archive_edit"

    def __init__(self, session, parent=None) -> None:
        super().__init__(session, parent)
        self.view, self.model = make_table([_("Name"), _("Link URL"), _("Protocol"), _("Enabled"), _("State"),
                                            _("Meters")])
        self.rows: list = []
        layout = QVBoxLayout(self)
        layout.addLayout(self.button_row((_("Add link"), self.add), (_("Edit"), self.edit),
                                         (_("Enable"), lambda: self.set_enabled(True)),
                                         (_("Disable"), lambda: self.set_enabled(False))))
        layout.addWidget(self.view)
        layout.addWidget(self.status)

    def refresh(self) -> None:
        tasks.read(self, lambda: archive_query.list_links(self.session.db), on_done=self._show)

    def _show(self, rows) -> None:
        self.rows = rows
        fill(self.model, [[r.name, r.url, protocol_name(r.protocol), _("yes") if r.enabled else _("no"),
                           state_name(r.state), r.meters]
                          for r in rows])
        self.view.resizeColumnsToContents()

    def selected(self):
        picked = self.view.selectionModel().selectedRows()
        return self.rows[picked[0].row()] if picked else None

    def add(self, dialog: LinkDialog | None = None) -> None:
        dlg = dialog or LinkDialog(self)
        if dialog is not None or dlg.exec() == QDialog.DialogCode.Accepted:
            s, name, url, proto = self.session, dlg.name.text(), dlg.url.text().strip(), dlg.protocol.currentData()
            self.save(lambda: archive_service.add_link(s.db, s.actor, name, url, proto),
                      _("Link {name} added").format(name=name.strip()), self.refresh)

    def edit(self, dialog: LinkDialog | None = None) -> None:
        row = self.selected()
        if row is None:
            return
        dlg = dialog or LinkDialog(self, row.name, row.url, row.protocol)
        if dialog is not None or dlg.exec() == QDialog.DialogCode.Accepted:
            s, name, url, proto = self.session, dlg.name.text(), dlg.url.text().strip(), dlg.protocol.currentData()
            self.save(lambda: archive_service.update_link(s.db, s.actor, row.id, name=name, url=url, protocol=proto),
                      _("Link {name} saved").format(name=name.strip()), self.refresh)

    def set_enabled(self, enabled: bool) -> None:
        row = self.selected()
        if row is not None:
            s = self.session
            self.save(lambda: archive_service.update_link(s.db, s.actor, row.id, enabled=enabled),
                      _("Link {name} saved").format(name=row.name), self.refresh)
