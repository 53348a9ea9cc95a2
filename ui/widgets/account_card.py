"""The account card of the counter: who, where, the balance (big, in the state colour), the
meters with their last reading and its age, and the usage of the last three months.

Live like the monitor board (ui/item_models/meter_table.py), from the same bridge signals
(ui/bridge.py; AccountCardView.watch): a meter the bridge says "unknown" (the runtime that read
it ended) is in `unwatched` and the card says "unknown" for its account (account_state's
precedence, as the board) over every reload of the card, since the database still holds the dead
runtime's "online", and its relay and communication say "unknown" too (the last relay state
read is stale: nobody knows whether the power is on); a reading of it or a runtime's online /
lost / unreachable state ends that, and patches the meter line's communication (and relay, from
a reading) as the board patches its row. A card built after the runtime's end starts from the
bridge's `unread`."""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout

from billing.counter_query import AccountCard
from billing.monitor_query import account_state
from printing.formatting import money
from resources.i18n import N_, _
from ui.pages.base import fill, make_table
from ui.theme import STATE_COLOURS
from ui.widgets.usage_chart import UsageChart

LEVEL_LABELS = {"normal": N_("Normal"), "alarm1": N_("Low balance (alarm 1)"),
                "alarm2": N_("Low balance (alarm 2)"), "arrears": N_("Arrears"),
                "not_opened": N_("Account closed"), "tripped": N_("Tripped"), "keep_power": N_("Keep power"),
                "lost": N_("Lost contact"), "unreachable": N_("Unreachable (link lost)"),
                "unknown": N_("Unknown (not read)")}
MODE_LABELS = {"meter-prepaid": N_("Meter-side prepaid"), "station-prepaid": N_("Station-side prepaid"),
               "postpaid": N_("Postpaid")}
RELAY_LABELS = {"closed": N_("Closed (power on)"), "open": N_("Open (tripped)"), "unknown": N_("Unknown")}
COMM_LABELS = {"online": N_("Online"), "lost": N_("Lost contact"), "unreachable": N_("Unreachable (link lost)"),
               "unknown": N_("Unknown")}


def age_text(seconds: int | None) -> str:
    if seconds is None:
        return _("never read")
    if seconds < 60:
        return _("just now")
    if seconds < 3600:
        return _("{n} min ago").format(n=seconds // 60)
    if seconds < 86400:
        return _("{n} h ago").format(n=seconds // 3600)
    return _("{n} d ago").format(n=seconds // 86400)


def card_state(card: AccountCard, unwatched: Iterable[int] = ()) -> str:
    """The colour key of the card: the monitor board's state of the account (one derivation,
    billing.monitor_query.account_state), so the card and the board agree; unwatched: the
    meters nobody reads now (the board's MonitorRow.unwatched)."""
    nobody = set(unwatched)
    return account_state(account_open=card.state == "open", alarm_level=card.level,
                         meters=[(m.comm, m.relay, m.keep_power) for m in card.meters],
                         watched=not any(m.meter_id in nobody for m in card.meters))


class AccountCardView(QFrame):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.card: AccountCard | None = None
        self.key = "not_opened"             # the state shown (card_state)
        self.unwatched: set[int] = set()    # said "unknown" by the bridge, not read since
        self.title = QLabel(_("No account chosen"))
        self.title.setStyleSheet("font-size: 17px; font-weight: bold;")
        self.details = QLabel("")
        self.details.setObjectName("hint")
        self.details.setWordWrap(True)
        self.balance = QLabel("—")
        self.balance.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.balance.setMinimumWidth(220)
        self.state = QLabel("")
        self.state.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.meters_view, self.meters_model = make_table(
            [_("Meter No."), _("Last reading"), _("Read"), _("Relay"), _("Communication")])
        self.meters_view.setMaximumHeight(110)
        self.chart = UsageChart()
        top = QHBoxLayout()
        who = QVBoxLayout()
        who.addWidget(self.title)
        who.addWidget(self.details)
        who.addStretch(1)
        top.addLayout(who, 1)
        money_box = QVBoxLayout()
        money_box.addWidget(self.balance)
        money_box.addWidget(self.state)
        top.addLayout(money_box)
        grid = QGridLayout(self)
        grid.addLayout(top, 0, 0, 1, 2)
        grid.addWidget(self.meters_view, 1, 0)
        grid.addWidget(self.chart, 1, 1)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        self._paint("not_opened")

    def _paint(self, key: str) -> None:
        bg, fg = STATE_COLOURS.get(key, STATE_COLOURS["normal"])
        self.balance.setStyleSheet(f"background: {bg}; color: {fg}; font-size: 30px; font-weight: bold;"
                                   " padding: 6px 14px; border-radius: 4px;")
        self.state.setStyleSheet(f"color: {fg}; font-weight: bold;")

    def clear(self) -> None:
        self.card = None
        self.title.setText(_("No account chosen"))
        self.details.setText("")
        self.balance.setText("—")
        self.state.setText("")
        fill(self.meters_model, [])
        self.chart.set_usage([])
        self.key = "not_opened"
        self._paint("not_opened")

    def show_card(self, card: AccountCard) -> None:
        self.card = card
        self.title.setText(f"{card.customer}  ·  {card.room or '—'}  ·  {_('Account')} {card.number}")
        parts = [_(MODE_LABELS.get(card.mode, card.mode)), _("Tariff: {name}").format(name=card.tariff or "—")]
        if card.phone:
            parts.append(_("Phone: {phone}").format(phone=card.phone))
        if card.subsidy:
            parts.append(_("of which subsidy {amount}").format(amount=money(card.subsidy)))
        parts.append(_("Refundable: {amount}").format(amount=money(card.refundable)))
        self.details.setText("   ".join(parts))
        self.balance.setText(money(card.balance))
        self._show_meters(card)
        self.chart.set_usage([(month, Decimal(v)) for month, v in card.usage], self._unit(card))

    @staticmethod
    def _unit(card: AccountCard) -> str:
        return "m³" if card.meters and all(m.kind in ("water", "gas") for m in card.meters) else "kWh"

    def _show_meters(self, card: AccountCard) -> None:
        """The state (word and colour) and the meter lines: what the bridge's signals move."""
        self.card = card
        self.key = key = card_state(card, self.unwatched)
        self.state.setText(_(LEVEL_LABELS.get(key, key)))
        self._paint(key)
        unit, nobody = self._unit(card), self.unwatched
        fill(self.meters_model, [[m.number, "—" if m.reading is None else f"{m.reading} {unit}",
                                  age_text(m.age_seconds),
                                  _(RELAY_LABELS.get(relay := "unknown" if m.meter_id in nobody else m.relay, relay)),
                                  _(COMM_LABELS.get(comm := "unknown" if m.meter_id in nobody else m.comm, comm))]
                                 for m in card.meters])
        self.meters_view.resizeColumnsToContents()

    # --- live, from the bridge (ui/bridge.py EventBridge) -------------------------------------
    def watch(self, bridge) -> None:
        """Follow the bridge's meter states and readings (the board's signals)."""
        for name, slot in (("meter_states", self._on_states), ("readings", self._on_readings)):
            signal = getattr(bridge, name, None)
            if signal is not None:
                signal.connect(slot)
        self.unwatched.update(getattr(bridge, "unread", None) or ())     # the runtime ended before

    def _on_states(self, states: dict) -> None:
        """{meter_id: "online" | "lost" | "unreachable" | "unknown"} (ui.bridge meter_states)."""
        changes: dict[int, dict[str, Any]] = {}
        mine = {m.meter_id for m in self.card.meters} if self.card is not None else set()
        unwatched = self.unwatched
        for meter_id, state in states.items():
            mid = int(meter_id)
            if state == "unknown":                          # nobody reads it now
                unwatched.add(mid)
            elif state in ("online", "lost", "unreachable"):    # a runtime reads it again
                unwatched.discard(mid)
            else:
                continue
            if mid in mine:
                changes[mid] = {} if state == "unknown" else {"comm": state}
        self._patch(changes)

    def _on_readings(self, batch: list[dict]) -> None:
        """[{"meter_id", "values"}] (ui.bridge readings): read now, so online (and its relay)."""
        changes: dict[int, dict[str, Any]] = {}
        mine = {m.meter_id for m in self.card.meters} if self.card is not None else set()
        if not mine and not self.unwatched:
            return
        for r in batch:
            if not isinstance(r, dict) or r.get("meter_id") is None:
                continue
            mid = int(r["meter_id"])
            self.unwatched.discard(mid)
            if mid not in mine:
                continue
            change: dict[str, Any] = {"comm": "online"}
            relay = (r.get("values") or {}).get("relay")
            relay = str(getattr(relay, "value", relay)) if relay is not None else None
            if relay in ("open", "closed"):
                change["relay"] = relay
            changes[mid] = change
        self._patch(changes)

    def _patch(self, changes: dict[int, dict[str, Any]]) -> None:
        card = self.card
        if card is None or not changes or not any(m.meter_id in changes for m in card.meters):
            return
        meters = tuple(dataclasses.replace(m, **changes[m.meter_id]) if m.meter_id in changes else m
                       for m in card.meters)
        self._show_meters(dataclasses.replace(card, meters=meters))
