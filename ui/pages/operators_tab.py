"""Settings → Operators and roles: list, add, unlock, enable/disable, reset password.

Buttons are only enabled for operators holding `operator_admin`, but every action goes
through access.operators, which checks the right again and logs the change.
"""
from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from access import operators as ops
from models.rights import RIGHTS
from resources.i18n import _
from ui import tasks
from ui.pages.base import fill, make_table
from ui.session import StationSession


class AddOperatorDialog(QDialog):
    def __init__(self, roles: list[str] | list[tuple[str, str]], parent=None) -> None:
        """roles: role names, or (name, label in words) pairs; the list shows the words."""
        super().__init__(parent)
        self.setWindowTitle(_("Add operator"))
        self.name, self.display = QLineEdit(), QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.role = QComboBox()
        for role in roles:
            name, label = role if isinstance(role, tuple) else (role, role)
            self.role.addItem(label, name)
        form = QFormLayout(self)
        form.addRow(_("Name"), self.name)
        form.addRow(_("Display name"), self.display)
        form.addRow(_("Password"), self.password)
        form.addRow(_("Role"), self.role)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #b00020;")
        self.error.setWordWrap(True)
        self.error.hide()
        form.addRow(self.error)
        self.marked: QWidget | None = None
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def accept(self) -> None:
        """Close only with a valid name and password; otherwise mark the field and stay open."""
        from models.errors import InvalidInput

        for widget, check in ((self.name, lambda: ops._check_name(self.name.text().strip())),
                              (self.password, lambda: ops._check_password(self.password.text()))):
            try:
                check()
            except InvalidInput as e:
                if self.marked is not None:
                    self.marked.setStyleSheet("")
                self.marked = widget
                widget.setStyleSheet("border: 2px solid #b00020;")
                widget.setFocus()
                self.error.setText(str(e))
                self.error.show()
                return
        super().accept()


class OperatorsTab(QWidget):
    def __init__(self, session: StationSession, parent=None) -> None:
        super().__init__(parent)
        self.session = session
        self.view, self.model = make_table([_("Name"), _("Display name"), _("Role"), _("State"), _("Buildings")])
        self.roles_view, self.roles_model = make_table([_("Role"), _("Rights")])
        buttons = QHBoxLayout()
        self.actions: list[QPushButton] = []
        for text, slot in ((_("Add operator"), self.add), (_("Unlock"), self.unlock),
                           (_("Enable"), lambda: self.update(active=True)),
                           (_("Disable"), lambda: self.update(active=False)),
                           (_("Reset password"), self.reset_password)):
            b = QPushButton(text)
            b.clicked.connect(slot)
            b.setEnabled(session.can("operator_admin"))
            buttons.addWidget(b)
            self.actions.append(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.view, 3)
        layout.addWidget(self.roles_view, 2)

    def refresh(self) -> None:
        db = self.session.db
        tasks.read(self, lambda: (ops.list_operators(db), ops.list_roles(db)), on_done=self._show)

    def _show(self, result) -> None:
        operators, roles = result
        self._roles = [(r.name, _(r.label)) for r in roles]
        labels = dict(self._roles)
        fill(self.model, [[o.name, o.display_name, labels.get(o.role, o.role),
                           _("locked") if o.locked else (_("active") if o.active else _("disabled")),
                           _("all buildings") if o.all_areas else ", ".join(map(str, o.areas))]
                          for o in operators])
        fill(self.roles_model, [[_(r.label), "、".join(_(RIGHTS[x]) for x in sorted(r.right_set()))]
                                for r in roles])
        self.view.resizeColumnsToContents()

    def _selected(self) -> str | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.item(rows[0].row(), 0).text() if rows else None

    def _run(self, fn) -> None:
        tasks.write(self, fn, on_done=lambda _r: self.refresh())

    def add(self) -> None:
        dlg = AddOperatorDialog(getattr(self, "_roles", []), self)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            s, name, pw = self.session, dlg.name.text().strip(), dlg.password.text()
            role, display = dlg.role.currentData(), dlg.display.text().strip()
            self._run(lambda: ops.add_operator(s.db, s.actor, name, pw, role, display))

    def update(self, **kw) -> None:
        name = self._selected()
        if name:
            s = self.session
            self._run(lambda: ops.update_operator(s.db, s.actor, name, **kw))

    def unlock(self) -> None:
        self.update(unlock=True)

    def reset_password(self) -> None:
        name = self._selected()
        if not name:
            return
        pw, ok = QInputDialog.getText(self, _("Reset password"), _("New password for {name}").format(name=name),
                                      QLineEdit.EchoMode.Password)
        if ok:
            self.update(password=pw)
