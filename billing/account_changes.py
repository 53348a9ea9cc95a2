"""Closing an account (销户), replacing a meter (换表) and moving a tenant (调换商铺).

Each is one transaction: final readings are settled first (the last consumption charged under
the account's tariff, or billed for postpaid), then bindings are closed with their closing
reading. The balance belongs to the account, so it carries across a replacement or a move
untouched; a meter-side prepaid account's balance is written into the new meter (outbox).

Closing (and the old room's meters of a move) trips the relays of the meters it leaves without
an account (billing/unbilled_power.py: no power nobody pays for).

Closing: subsidy left is expired (never refunded); the account's own money left is refunded
(cash by default) on an account_close receipt; the account's low-balance, arrears and "tripped
for arrears" alarms are cleared at the close (billing/alarm_log.py clear_closed_account). An
account that still owes money after its final settlement is not closed: take the payment first.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from billing import alarm_log, outbox, receipts, unbilled_power
from billing.accounts_open import MeterOpening, bind, view
from billing.ledger import lock_account, paid_balance_fen, post
from billing.lookup import account_building, active_bindings, find_account, find_meter, open_shift_id, require_open
from billing.money import from_fen
from billing.refunds import queue_meter_refund
from billing.results import AccountView, MoneyResult
from billing.sales import check_method
from billing.settlement import charge_binding, record_reading
from billing.units import to_milli
from models.accounts import Account, AccountMeter
from models.archive import Meter
from models.audit import audited, record
from models.base import utcnow
from models.db import Database, retrying
from models.errors import Conflict, InvalidInput
from models.rights import Actor
from resources.i18n import _


def _finish(s: Session, account: Account, binding: AccountMeter, reading: Decimal | str | None,
            at: datetime, actor: Actor, source: str) -> None:
    """Settle a binding to its final reading and close it."""
    meter = s.get(Meter, binding.meter_id)
    assert meter is not None
    if reading is None:
        if binding.opening_milli is not None:
            raise InvalidInput(_("Give the final reading of meter {meter}").format(meter=meter.number))
        milli = None
    else:
        milli = to_milli(reading)
        record_reading(s, meter.id, milli, at, source)
        settled = binding.last_settled_milli if binding.last_settled_milli is not None else binding.opening_milli
        if settled is not None and milli < settled:
            raise InvalidInput(_("The final reading of meter {meter} is below its last settled reading {settled}")
                               .format(meter=meter.number, settled=Decimal(settled).scaleb(-3)))
        kind = "bill" if account.mode == "postpaid" else "consumption"
        charge_binding(s, account, binding, milli, at, actor=actor, kind=kind)
    binding.closing_milli, binding.closed_at = milli, at


def _final_readings(s: Session, readings: dict[str, Decimal | str]) -> dict[int, Decimal | str]:
    return {find_meter(s, k).id: v for k, v in readings.items()}


@retrying
def close_account(db: Database, actor: Actor, account_ref: str | int,
                  final_readings: dict[str, Decimal | str] | None = None, *,
                  method: str = "cash") -> MoneyResult:
    check_method(method)
    at = utcnow()
    with audited(db, actor, "account.close", str(account_ref)) as s:
        actor.require("account_close")           # first: a refusal says nothing of what exists
        account = find_account(s, account_ref)
        actor.require("account_close", account_building(s, account))
        account = lock_account(s, account.id)
        require_open(account)
        finals = _final_readings(s, final_readings or {})
        bound = active_bindings(s, account.id)
        for b in bound:
            _finish(s, account, b, finals.get(b.meter_id), at, actor, "close")
        if paid_balance_fen(account) < 0:
            raise Conflict(_("Account {account} owes {amount} yuan; take the payment before closing it")
                           .format(account=account.number, amount=from_fen(-paid_balance_fen(account))))
        if account.subsidy_fen:
            post(s, account, "subsidy_expiry", -account.subsidy_fen, subsidy_fen=-account.subsidy_fen,
                 actor=actor, period_key="close", note="account closed")
        number = receipts.next_receipt_number(s)
        left = paid_balance_fen(account)
        entry = None
        if left > 0:
            entry = post(s, account, "refund", -left, actor=actor, method=method, receipt_no=number,
                         shift_id=open_shift_id(s, actor.station), note="account closed")
            queue_meter_refund(s, account, entry.id, left)
        account.state, account.closed_at = "closed", at
        cleared = alarm_log.clear_closed_account(s, account.id, at)     # its balance and tripped alarms end
        unbilled_power.trip_closed(s, account, [b.meter_id for b in bound], actor)   # nobody pays for them now
        receipts.issue(s, account, entry, "account_close", number, amount_fen=-left, actor=actor)
        record(s, actor, "account.close", account.number, {"receipt": number, "refund": str(from_fen(left)),
                                                           "alarms_cleared": cleared})
        return MoneyResult(account=account.number, kind="account_close", entry_id=entry.id if entry else 0,
                           receipt=number, amount=from_fen(-left), balance=from_fen(account.balance_fen),
                           subsidy=from_fen(account.subsidy_fen))


@retrying
def replace_meter(db: Database, actor: Actor, account_ref: str | int, old_meter: str,
                  old_final: Decimal | str, new_meter: str, new_initial: Decimal | str) -> AccountView:
    """换表: settle the old meter to its final reading, bind the new one from its initial reading."""
    at = utcnow()
    with audited(db, actor, "meter.replace", str(account_ref)) as s:
        actor.require("account_edit")            # first: a refusal says nothing of what exists
        account = find_account(s, account_ref)
        actor.require("account_edit", account_building(s, account))
        account = lock_account(s, account.id)
        require_open(account)
        old = find_meter(s, old_meter)
        binding = next((b for b in active_bindings(s, account.id) if b.meter_id == old.id), None)
        if binding is None:
            raise Conflict(_("Meter {meter} is not bound to account {account}")
                           .format(meter=old.number, account=account.number))
        _finish(s, account, binding, old_final, at, actor, "replace")
        s.flush()
        new = bind(s, account, MeterOpening(new_meter, new_initial, "given"), at, actor)
        if account.mode == "meter-prepaid" and account.balance_fen > 0:
            outbox.enqueue(s, outbox.RECHARGE, account_id=account.id, meter_id=new.meter_id, payload={
                "amount": str(from_fen(account.balance_fen)), "carried": True,
                "purchase_count": outbox.next_purchase_number(s, new.meter_id)})
        record(s, actor, "meter.replace", account.number, {
            "old": old.number, "old_final": str(old_final), "new": new_meter, "new_initial": str(new_initial),
            "balance": str(from_fen(account.balance_fen))})
        return view(s, account)


@retrying
def move_tenant(db: Database, actor: Actor, account_ref: str | int, room_id: int,
                final_readings: dict[str, Decimal | str], new_meters: list[MeterOpening]) -> AccountView:
    """调换商铺: settle and release the old room's meters, bind the new room's; balance carried."""
    at = utcnow()
    with audited(db, actor, "account.move", str(account_ref)) as s:
        actor.require("account_edit")            # first: a refusal says nothing of what exists
        account = find_account(s, account_ref)
        actor.require("account_edit", account_building(s, account))
        from billing.lookup import room_building

        actor.require("account_edit", room_building(s, room_id))
        account = lock_account(s, account.id)
        require_open(account)
        finals = _final_readings(s, final_readings)
        left = active_bindings(s, account.id)
        for b in left:
            _finish(s, account, b, finals.get(b.meter_id), at, actor, "close")
        s.flush()
        unbilled_power.trip_closed(s, account, [b.meter_id for b in left], actor)    # the old shop's: nobody's
        old_room, account.room_id = account.room_id, room_id
        for m in new_meters:
            bind(s, account, m, at, actor)
        record(s, actor, "account.move", account.number, {"from_room": old_room, "to_room": room_id,
                                                          "meters": [str(m.meter) for m in new_meters]})
        return view(s, account)
