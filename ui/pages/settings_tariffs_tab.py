"""Settings → Tariffs (计费方案): every plan with its versions, kinds and prices in words
(ui.pages.tariff_words); add a flat, time-of-use or tiered version through billing.tariffs.plan_store
(right tariff_edit, logged; a later version never takes effect in the past).

Time-of-use periods are typed as "23:00-07:00 谷, 07:00-23:00 峰" (one schedule all year; rates
尖/峰/平/谷 — or sharp/peak/flat/valley — with their prices); tiers as "200:0, 400:0.05, :0.30"
(up to kWh : price added per kWh, the last step open). Richer plans (seasons, holidays) come in
as JSON with `meterstation tariff add --tou FILE`. A wrong entry keeps the dialog open with the
field marked and the reason under it.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from billing.tariffs import plan_store
from models.errors import InvalidInput
from resources.i18n import N_, _
from ui import station_dates, tasks
from ui.pages.base import fill, make_table
from ui.pages.settings_form import EditorTab
from ui.pages.tariff_words import describe, kind_name, rate_name

KINDS = {"flat": N_("Flat price"), "tou": N_("Time of use"), "tiered": N_("Tiered (monthly)")}
MARK = "border: 2px solid #b00020;"


class FieldError(InvalidInput):
    """A wrong entry in one field of a dialog (the field is marked)."""

    def __init__(self, message: str, widget: QWidget) -> None:
        super().__init__(message)
        self.widget = widget


def _rate_code(word: str) -> str | None:
    """'valley' or its translated name (谷) -> 'valley'."""
    word = word.strip()
    return word if word in RATES else next((r for r in RATES if rate_name(r) == word), None)
RATES = ("sharp", "peak", "flat", "valley")
RATE_LABELS = {"sharp": N_("Sharp price"), "peak": N_("Peak price"), "flat": N_("Flat-rate price"),
               "valley": N_("Valley price")}


def tou_periods(text: str) -> list[dict[str, str]]:
    """'23:00-07:00 valley, 07:00-23:00 peak' -> [{"start", "end", "rate"}, ...]."""
    out = []
    for part in [p.strip() for p in text.replace("，", ",").split(",") if p.strip()]:
        span, _sep, rate = part.partition(" ")
        start, dash, end = span.partition("-")
        code = _rate_code(rate)
        if not dash or code is None:
            raise InvalidInput(_("Write periods as {example}").format(example=default_periods()))
        out.append({"start": start.strip(), "end": end.strip(), "rate": code})
    return out


def default_periods() -> str:
    return f"23:00-07:00 {rate_name('valley')}, 07:00-23:00 {rate_name('peak')}"


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
        self.effective = QDateTimeEdit(station_dates.now_wall(days=1))    # read back as station wall clock
        self.effective.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.effective.setEnabled(False)
        self.now.toggled.connect(lambda on: self.effective.setEnabled(not on))
        self.price = QLineEdit("0.50")
        self.prices = {r: QLineEdit() for r in RATES}
        self.periods = QLineEdit(default_periods())
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
        self.error = QLabel("")
        self.error.setStyleSheet("color: #b00020;")
        self.error.setWordWrap(True)
        self.error.hide()
        form.addRow(self.error)
        self.marked: QWidget | None = None
        self.kind.currentIndexChanged.connect(lambda _i: self._show_kind())
        self._show_kind()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.form = form

    def _show_kind(self) -> None:
        """Only the fields of the chosen kind are shown."""
        kind = self.kind.currentData()
        shown = {self.price: kind in ("flat", "tiered"), self.periods: kind == "tou",
                 self.steps: kind == "tiered", **{w: kind == "tou" for w in self.prices.values()}}
        form = self.layout()
        for w, on in shown.items():
            form.setRowVisible(w, on)

    def mark(self, widget: QWidget | None, message: str) -> None:
        if self.marked is not None:
            self.marked.setStyleSheet("")
        self.marked = widget
        if widget is not None:
            widget.setStyleSheet(MARK)
            widget.setFocus()
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def accept(self) -> None:
        """Close only when the entries make a version; otherwise mark the field and stay open."""
        if not self.name.currentText().strip():
            self.mark(self.name, _("A tariff name has 1 to 60 characters"))
            return
        try:
            self.version()
        except FieldError as e:
            self.mark(e.widget, str(e))
            return
        self.mark(None, "")
        super().accept()

    @staticmethod
    def _number(widget: QLineEdit) -> str:
        from decimal import Decimal, InvalidOperation

        text = widget.text().strip()
        try:
            ok = Decimal(text).is_finite() and Decimal(text) >= 0
        except InvalidOperation:
            ok = False
        if not ok:
            raise FieldError(_("{value} is not a price (yuan, e.g. 0.52)").format(value=text or "—"), widget)
        return text

    def version(self) -> dict[str, Any]:
        kind = self.kind.currentData()
        data: dict[str, Any] = {"kind": kind}
        if kind in ("flat", "tiered"):
            data["price"] = self._number(self.price)
        if kind == "tou":
            prices = {r: self._number(w) for r, w in self.prices.items() if w.text().strip()}
            if not prices:
                raise FieldError(_("Enter the price of at least one rate"), self.prices["peak"])
            try:
                periods = tou_periods(self.periods.text())
            except InvalidInput as e:
                raise FieldError(str(e), self.periods) from None
            missing = sorted({p["rate"] for p in periods} - set(prices))
            if missing:
                raise FieldError(_("The periods use {rate} but it has no price").format(
                    rate=rate_name(missing[0])), self.prices[missing[0]])
            data["tou"] = {"prices": prices, "schedules": {"day": periods},
                           "seasons": [{"name": "all", "start": "01-01", "end": "12-31", "schedule": "day"}]}
        if kind == "tiered":
            try:
                data["tiers"] = {"basis": "monthly", "steps": tier_steps(self.steps.text())}
            except InvalidInput as e:
                raise FieldError(str(e), self.steps) from None
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
        rows = []
        for p in plans:
            bodies = p.bodies or (None,) * len(p.versions)
            for (eff, kind, summary), body in zip(p.versions, bodies, strict=True):
                rows.append([p.name, eff.replace("T", " "), kind_name(kind),
                             describe(body) if body else summary])
        fill(self.model, rows)
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
