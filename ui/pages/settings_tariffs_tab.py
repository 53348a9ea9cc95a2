"""Settings → Tariffs (计费方案): every plan with its versions; add a flat, time-of-use or tiered
version through billing.plan_store (right tariff_edit, logged; a later version never takes
effect in the past).

Time-of-use periods are typed as "23:00-07:00 valley, 07:00-23:00 peak" (one schedule all year;
rates sharp/peak/flat/valley with their prices); tiers as "200:0, 400:0.05, :0.30" (up to kWh :
price added per kWh, the last step open). Richer plans (seasons, holidays) come in as JSON
with `meterstation tariff add --tou FILE`.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDateTimeEdit, QDialog, QDialogButtonBox, QFormLayout,
                               QLineEdit, QVBoxLayout)

from billing import plan_store
from models.errors import InvalidInput
from resources.i18n import N_, _
from ui import tasks
from ui.pages.base import fill, make_table
from ui.pages.settings_form import EditorTab

KINDS = {"flat": N_("Flat price"), "tou": N_("Time of use"), "tiered": N_("Tiered (monthly)")}
RATES = ("sharp", "peak", "flat", "valley")
RATE_LABELS = {"sharp": N_("Sharp price"), "peak": N_("Peak price"), "flat": N_("Flat-rate price"),
               "valley": N_("Valley price")}


def tou_periods(text: str) -> list[dict[str, str]]:
    """'23:00-07:00 valley, 07:00-23:00 peak' -> [{"start", "end", "rate"}, ...]."""
    out = []
    for part in [p.strip() for p in text.replace("，", ",").split(",") if p.strip()]:
        span, _sep, rate = part.partition(" ")
        start, dash, end = span.partition("-")
        if not dash or rate.strip() not in RATES:
            raise InvalidInput(_("Write periods as 23:00-07:00 valley, 07:00-23:00 peak"))
        out.append({"start": start.strip(), "end": end.strip(), "rate": rate.strip()})
    return out


def tier_steps(text: str) -> list[dict[str, str]]:
    """'200:0, 400:0.05, :0.30' -> [{"upto": "200", "add": "0"}, ..., {"add": "0.30"}]."""
    steps = []
    for part in [p.strip() for p in text.replace("，", ",").split(",") if p.strip()]:
        upto, sep, add = part.partition(":")
        if not sep:
            raise InvalidInput(_("Write tiers as 200:0, 400:0.05, :0.30"))
        steps.append({"upto": upto.strip(), "add": add.strip()} if upto.strip() else {"add": add.strip()})
    return steps


class VersionDialog(QDialog):
    def __init__(self, names: list[str], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Add tariff version"))
        self.name = QComboBox()
        self.name.setEditable(True)
        self.name.addItems(names)
        self.kind = QComboBox()
        for k, label in KINDS.items():
            self.kind.addItem(_(label), k)
        self.now = QCheckBox(_("Takes effect now (a new tariff: for all past readings)"))
        self.now.setChecked(True)
        self.effective = QDateTimeEdit(QDateTime.currentDateTime().addDays(1))
        self.effective.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.effective.setEnabled(False)
        self.now.toggled.connect(lambda on: self.effective.setEnabled(not on))
        self.price = QLineEdit("0.50")
        self.prices = {r: QLineEdit() for r in RATES}
        self.periods = QLineEdit("23:00-07:00 valley, 07:00-23:00 peak")
        self.steps = QLineEdit("200:0, 400:0.05, :0.30")
        form = QFormLayout(self)
        form.addRow(_("Tariff name"), self.name)
        form.addRow(_("Kind"), self.kind)
        form.addRow(self.now)
        form.addRow(_("Effective from"), self.effective)
        form.addRow(_("Price (yuan/kWh)"), self.price)
        for r in RATES:
            form.addRow(_(RATE_LABELS[r]), self.prices[r])
        form.addRow(_("Periods"), self.periods)
        form.addRow(_("Tiers (up to kWh : added price)"), self.steps)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def version(self) -> dict[str, Any]:
        kind = self.kind.currentData()
        data: dict[str, Any] = {"kind": kind}
        if kind in ("flat", "tiered"):
            data["price"] = self.price.text().strip()
        if kind == "tou":
            prices = {r: w.text().strip() for r, w in self.prices.items() if w.text().strip()}
            data["tou"] = {"prices": prices, "schedules": {"day": tou_periods(self.periods.text())},
                           "seasons": [{"name": "all", "start": "01-01", "end": "12-31", "schedule": "day"}]}
        if kind == "tiered":
            data["tiers"] = {"basis": "monthly", "steps": tier_steps(self.steps.text())}
        if not self.now.isChecked():
            data["effective"] = self.effective.dateTime().toPython().strftime("%Y-%m-%dT%H:%M")
        return data


class TariffsTab(EditorTab):
    right = "tariff_edit"

    def __init__(self, session, parent=None) -> None:
        super().__init__(session, parent)
        self.view, self.model = make_table([_("Tariff name"), _("Effective from"), _("Kind"), _("Prices")])
        self.names: list[str] = []
        layout = QVBoxLayout(self)
        layout.addLayout(self.button_row((_("Add tariff version"), self.add)))
        layout.addWidget(self.view)
        layout.addWidget(self.status)

    def refresh(self) -> None:
        tasks.read(self, lambda: plan_store.list_plans(self.session.db), on_done=self._show)

    def _show(self, plans) -> None:
        self.names = [p.name for p in plans]
        fill(self.model, [[p.name, eff.replace("T", " "), kind, summary]
                          for p in plans for eff, kind, summary in p.versions])
        self.view.resizeColumnsToContents()

    def add(self, dialog: VersionDialog | None = None) -> None:
        dlg = dialog or VersionDialog(self.names, self)
        if dialog is None and dlg.exec() != QDialog.DialogCode.Accepted:
            return
        s, name = self.session, dlg.name.currentText().strip()
        try:
            data = dlg.version()
        except InvalidInput as e:
            self.status.setText(str(e))
            return
        self.save(lambda: plan_store.add_version(s.db, s.actor, name, data),
                  _("Tariff {name} saved").format(name=name), self.refresh)
