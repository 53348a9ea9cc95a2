"""The login dialog, and the first-start dialog that creates the super admin."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout

from access import login as auth
from access import operators as operator_service
from models import settings
from models.db import Database
from models.rights import Actor
from resources.i18n import _
from ui import tasks

LOGO_HEIGHT = 96


def logo_pixmap(path: str) -> QPixmap | None:
    """The company logo scaled to the login screen, or None (no logo set, file gone or not an image)."""
    if not path:
        return None
    pixmap = QPixmap(path)
    if pixmap.isNull():
        return None
    return pixmap.scaledToHeight(min(LOGO_HEIGHT, pixmap.height()), Qt.TransformationMode.SmoothTransformation)


class LoginDialog(QDialog):
    """Name and password; the check runs off the GUI thread (scrypt takes ~50 ms). Above them the
    company's logo (station setting company.logo) and name (setting company.name), when set."""

    def __init__(self, db: Database, station: str, parent=None) -> None:
        super().__init__(parent)
        self.db, self.station = db, station
        self.actor: Actor | None = None
        self.setWindowTitle(_("MeterStation — log in"))
        self.setMinimumWidth(380)
        self.logo = QLabel()
        self.logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        pixmap = logo_pixmap(str(settings.get_local("company.logo") or ""))
        if pixmap is not None:
            self.logo.setPixmap(pixmap)
        self.logo.setVisible(pixmap is not None)
        self.company = QLabel("")
        self.company.setObjectName("companyName")
        self.company.setStyleSheet("font-size: 18pt; font-weight: bold;")
        self.company.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.company.setWordWrap(True)
        self.company.hide()
        title = QLabel(_("MeterStation"))
        title.setObjectName("pageTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.name = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = QLabel("")
        self.message.setStyleSheet("color: #b00020;")
        self.message.setWordWrap(True)
        form = QFormLayout()
        form.addRow(_("Operator"), self.name)
        form.addRow(_("Password"), self.password)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Log in"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setAutoDefault(False)
        ok.setDefault(False)
        self.buttons.accepted.connect(self.try_login)
        self.buttons.rejected.connect(self.reject)
        self.name.returnPressed.connect(self.password.setFocus)
        self.password.returnPressed.connect(self.try_login)     # keyboard-first: name, Enter, password, Enter
        station_label = QLabel(_("Station: {name}").format(name=station))
        station_label.setObjectName("hint")
        layout = QVBoxLayout(self)
        layout.addWidget(self.logo)
        layout.addWidget(self.company)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(station_label)
        layout.addWidget(self.buttons)
        tasks.read(self, lambda: str(settings.get(db, "company.name") or ""), on_done=self._show_company,
                   on_error=lambda _e: None)

    def _show_company(self, name: str) -> None:
        self.company.setText(name)
        self.company.setVisible(bool(name))

    def try_login(self) -> None:
        if not self.buttons.isEnabled():      # a check is already running (double Enter)
            return
        name, pw = self.name.text().strip(), self.password.text()
        if not name:
            self.message.setText(_("Enter the operator name"))
            return
        self.buttons.setEnabled(False)
        self.message.setText("")
        tasks.write(self, lambda: auth.login(self.db, name, pw, self.station),
                    on_done=self._ok, on_error=self._failed)

    def _ok(self, actor: Actor) -> None:
        self.actor = actor
        self.buttons.setEnabled(True)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.buttons.setEnabled(True)
        self.password.clear()
        self.message.setText(str(error) if hasattr(error, "message") else _("Login failed"))


class FirstStartDialog(QDialog):
    """Shown when the database has no operator: create the super administrator."""

    def __init__(self, db: Database, station: str, parent=None) -> None:
        super().__init__(parent)
        self.db, self.station = db, station
        self.setWindowTitle(_("MeterStation — first start"))
        intro = QLabel(_("This station has no operator yet. Create the super administrator, who "
                         "can then add the other operators."))
        intro.setWordWrap(True)
        self.name = QLineEdit("admin")
        self.pw1, self.pw2 = QLineEdit(), QLineEdit()
        for w in (self.pw1, self.pw2):
            w.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = QLabel("")
        self.message.setStyleSheet("color: #b00020;")
        form = QFormLayout()
        form.addRow(_("Name"), self.name)
        form.addRow(_("Password"), self.pw1)
        form.addRow(_("Repeat password"), self.pw2)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.create)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def create(self) -> None:
        if self.pw1.text() != self.pw2.text():
            self.message.setText(_("The two passwords differ"))
            return
        name, pw = self.name.text().strip(), self.pw1.text()
        tasks.write(self, lambda: operator_service.create_first_operator(self.db, name, pw, self.station),
                    on_done=lambda _info: self.accept(),
                    on_error=lambda e: self.message.setText(str(e)))
