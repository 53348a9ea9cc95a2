"""The meter options dialog (表计参数): one field per option a meter of its protocol may carry
(models/meter_options.py OPTIONS), filled with what is stored; an emptied field removes the option.
The password is shown masked and kept unless typed over. Checked by the same rules as the CLI
and the import (models.meter_options.check_options) before OK is enabled; saved by the caller through
archive.service.update_meter (right archive_edit, logged)."""
from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout

from models.errors import InvalidInput
from models.meter_options import OPTIONS, SECRET_OPTIONS, check_options, option_keys
from resources.i18n import N_, _

# what each option is, in words (the key stays visible: it is what the CLI and import use)
OPTION_TITLES = {
    "password": N_("Password"), "password_level": N_("Password level"), "operator": N_("Operator code"),
    "close_code": N_("Close command code"), "control_valid_minutes": N_("Control valid for (minutes)"),
    "confirm_polls": N_("Read-backs after a command"), "confirm_interval": N_("Seconds between read-backs"),
    "meter_type": N_("CJ/T 188 meter type"), "di_order": N_("DI byte order"),
    "valve_polls": N_("Valve read-backs"), "valve_interval": N_("Seconds between valve read-backs"),
    "unconfirmed_registers": N_("Unconfirmed registers"), "timeout": N_("Reply timeout (s)"),
    "retries": N_("Retries"), "preamble": N_("Wake-up bytes (FE)"), "max_kw": N_("Largest plausible load (kW)"),
}


class MeterOptionsDialog(QDialog):
    def __init__(self, number: str, protocol: str, options: dict[str, str], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Meter options {number}").format(number=number))
        self.protocol, self.stored = protocol, dict(options)
        self.fields: dict[str, QLineEdit] = {}
        form = QFormLayout()
        for key in option_keys(protocol):
            edit = QLineEdit(self.stored.get(key, ""))
            edit.setPlaceholderText(_(OPTIONS[key][2]))
            if key in SECRET_OPTIONS:
                edit.setEchoMode(QLineEdit.EchoMode.Password)
            edit.textChanged.connect(lambda _t: self.check())
            self.fields[key] = edit
            form.addRow(f"{_(OPTION_TITLES.get(key, key))} ({key})", edit)
        self.problem = QLabel("")
        self.problem.setObjectName("hint")
        self.problem.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.check()

    def changes(self) -> dict[str, str]:
        """{key: new value} for the fields changed ("" removes the option)."""
        return {k: e.text().strip() for k, e in self.fields.items() if e.text().strip() != self.stored.get(k, "")}

    def check(self) -> bool:
        try:
            check_options(self.protocol, self.changes())
            problem = ""
        except InvalidInput as e:
            problem = str(e)
        self.problem.setText(problem)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)
        return not problem
