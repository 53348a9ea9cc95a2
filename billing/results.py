"""What money services return: plain frozen values the GUI, the CLI and tests all read."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class MoneyResult:
    """One money movement as the cashier sees it (sale, refund, reversal, payment...)."""

    account: str
    kind: str
    entry_id: int
    receipt: str | None
    amount: Decimal                  # signed, as posted
    balance: Decimal                 # account balance after it
    subsidy: Decimal                 # subsidy part of that balance
    energy: Decimal | None = None    # kWh (m³) bought, for a sale
    replayed: bool = False           # True: an idempotent retry; nothing new was sold
    outbox: tuple[int, ...] = ()     # side effects queued with it
    alarm: str = "normal"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"receipt": self.receipt, "balance": str(self.balance),
                               "account": self.account, "kind": self.kind,
                               "amount": str(self.amount), "subsidy": str(self.subsidy),
                               "entry": self.entry_id, "replayed": self.replayed,
                               "alarm": self.alarm, "outbox": list(self.outbox)}
        if self.energy is not None:
            out["energy"] = str(self.energy)
        return out


@dataclass(frozen=True)
class AccountView:
    """An account for the counter screen and `account show`."""

    number: str
    customer: str
    room: str
    mode: str
    state: str
    tariff: str
    balance: Decimal
    subsidy: Decimal
    refundable: Decimal
    alarm: str
    arrears: str
    meters: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {"account": self.number, "balance": str(self.balance), "state": self.state,
                "customer": self.customer, "room": self.room, "mode": self.mode,
                "tariff": self.tariff, "subsidy": str(self.subsidy),
                "refundable": str(self.refundable), "alarm": self.alarm, "arrears": self.arrears,
                "meters": list(self.meters)}
