"""The operation log in words: each action code's name (ACTIONS) and the details as
"key: value" lines with translated keys (KEYS) and values (VALUES), instead of codes and raw
JSON. A code not in the tables is shown as it is (a newer station may log new actions).

    action_name("sale")                      -> "售电"
    details_text('{"receipt": "00000012", "amount": "50.00", "method": "cash"}')
        -> "收据号：00000012；金额：50.00；付款方式：现金"
"""
from __future__ import annotations

import json
from typing import Any

from models.rights import BUILTIN_ROLES
from printing.formatting import PAYMENT_METHODS
from resources.i18n import N_, _

ACTIONS = {
    "login": N_("Logged in"), "login.failed": N_("Failed login"), "logout": N_("Logged out"),
    "denied": N_("Refused (no right)"),
    "sale": N_("Sale"), "sale.replay": N_("Sale repeated (same key)"), "refund": N_("Refund"),
    "reversal": N_("Reversal"), "adjustment": N_("Balance adjustment"), "transfer": N_("Balance transfer"),
    "receipt.reprint": N_("Receipt reprinted"), "receipt.account_open": N_("Account opening receipt"),
    "account.open": N_("Account opened"), "account.close": N_("Account closed"),
    "account.bind": N_("Meter bound to account"), "account.move": N_("Tenant moved"),
    "account.opening_balance": N_("Opening balance"),
    "customer.add": N_("Customer added"), "customer.update": N_("Customer changed"),
    "site.add": N_("Site added"), "building.add": N_("Building added"), "building.update": N_("Building changed"),
    "floor.add": N_("Floor added"), "room.add": N_("Room added"), "room.update": N_("Room changed"),
    "tag.add": N_("Tag added"), "link.add": N_("Link added"), "link.update": N_("Link changed"),
    "meter.add": N_("Meter added"), "meter.update": N_("Meter changed"), "meter.replace": N_("Meter replaced"),
    "meter.tags": N_("Meter tags changed"), "meter.control": N_("Remote control"),
    "meter.trip": N_("Power cut (trip)"), "meter.close": N_("Power restored"),
    "meter.recharge": N_("Recharge sent to meter"), "meter.refund": N_("Refund sent to meter"),
    "meter.read_frozen": N_("Frozen data read"), "meter.sync_clock": N_("Meter clock synchronised"),
    "meter.read_group": N_("Group read now"),
    "arrears.trip": N_("Trip for arrears"), "account.close.trip": N_("Trip: account closed"),
    "account.bind.close": N_("Close: account opened on a meter tripped at a close"),
    "alarm.ack": N_("Alarm acknowledged"),
    "quality.threshold_set": N_("Alarm limits set"), "quality.threshold_remove": N_("Alarm limits removed"),
    "operator.add": N_("Operator added"), "operator.update": N_("Operator changed"),
    "role.define": N_("Role defined"), "setting.change": N_("Setting changed"),
    "holidays.set": N_("Holidays set"), "tariff.add": N_("Tariff added"),
    "tariff.version": N_("Tariff version added"), "schedule.add": N_("Reading schedule added"),
    "schedule.update": N_("Reading schedule changed"), "schedule.delete": N_("Reading schedule deleted"),
    "shift.open": N_("Shift opened"), "shift.close": N_("Shift closed"),
    "settle": N_("Consumption settled"), "recompute": N_("Charges recomputed"),
    "apportion": N_("Shared use apportioned"),
    "bill": N_("Bill issued"), "bill.print": N_("Bill printed"),
    "subsidy.grant": N_("Subsidy granted"), "subsidy.expire": N_("Subsidy expired"),
    "outbox.retry": N_("Command retried"), "poll.log": N_("Reading log"),
    "sms.queued": N_("SMS queued"), "sms.sent": N_("SMS sent"), "sms.failed": N_("SMS failed"),
    "sms.expired": N_("SMS expired"),
    "backup": N_("Backup made"), "backup.scheduled": N_("Scheduled backup"), "restore": N_("Backup restored"),
    "archive.import": N_("Archive imported"), "archive.export": N_("Archive exported"),
    "demo.history": N_("Demo history created"), "log.export": N_("Operation log exported"),
}

KEYS = {
    "rows": N_("Rows"), "filters": N_("Filters"),
    "receipt": N_("Receipt No."), "amount": N_("Amount (yuan)"), "method": N_("Payment method"),
    "reference": N_("Reference"), "balance": N_("Balance after"), "key": N_("Request key"),
    "reason": N_("Reason"), "reverses": N_("Reverses receipt"), "refund": N_("Refunded"),
    "account": N_("Account No."), "accounts": N_("Accounts"), "customer": N_("Customer"),
    "meter": N_("Meter No."), "meters": N_("Meter No."), "mode": N_("Account mode"),
    "tariff": N_("Tariff name"), "protocol": N_("Protocol"), "kind": N_("Kind"), "address": N_("Meter address"),
    "ct_ratio": N_("CT ratio"), "initial": N_("Initial reading"), "link": N_("Link"), "room_id": N_("Room"),
    "room": N_("Room/Shop"), "from_room": N_("From room"), "to_room": N_("To room"),
    "area": N_("Area (m²)"), "people": N_("People"), "name": N_("Name"), "phone": N_("Phone"),
    "type": N_("Customer type"), "level": N_("Floor level"), "role": N_("Role"), "url": N_("Link URL"),
    "effective": N_("Effective from"), "label": N_("Label"), "price": N_("Price (yuan)"),
    "buildings": N_("Buildings"), "site_id": N_("Site"), "tou": N_("Time of use"), "tiers": N_("Tiers"),
    "bills": N_("Bills"), "charges": N_("Charges"), "days": N_("Days"), "readings": N_("Readings"),
    "sales": N_("Sales"), "old": N_("Before"), "new": N_("After"), "local": N_("This station only"),
    "old_final": N_("Final reading of the old meter"), "new_initial": N_("Initial reading of the new meter"),
    "reprints": N_("Reprints"), "rights": N_("Rights"), "tags": N_("Tags"), "file": N_("File"),
    "note": N_("Note"), "error": N_("Error"), "shift": N_("Shift"), "month": N_("Month"),
    "item": N_("Command"), "attempts": N_("Attempts"), "to": N_("To"), "alarm": N_("Alarm"),
    "old_name": N_("Former name"), "balance_fen": N_("Balance (fen)"), "count": N_("Count"),
    "state": N_("State"), "relay": N_("Relay"), "energy": N_("Energy"),
    "scope": N_("Applies to"), "over_voltage": N_("Over-voltage limit (V)"),
    "under_voltage": N_("Under-voltage limit (V)"), "over_current": N_("Over-current limit (A)"),
    "overload": N_("Overload limit (kW)"),
}

VALUES = {
    "cash": PAYMENT_METHODS["cash"], "card": PAYMENT_METHODS["card"], "wechat": PAYMENT_METHODS["wechat"],
    "alipay": PAYMENT_METHODS["alipay"], "transfer": PAYMENT_METHODS["transfer"],
    "station-prepaid": N_("Station-side prepaid"), "meter-prepaid": N_("Meter-side prepaid"),
    "postpaid": N_("Postpaid"), "electricity": N_("Electricity"), "water": N_("Water"),
    "flat": N_("Flat price"), "tou": N_("Time of use"), "tiered": N_("Tiered price"),
    "resident": N_("Resident"), "business": N_("Business"),
    **{name: label for name, (label, _rights) in BUILTIN_ROLES.items()},
}


def action_name(code: str) -> str:
    msgid = ACTIONS.get(code)
    return _(msgid) if msgid else code


def codes_named(text: str) -> list[str]:
    """The action codes whose name in words contains text ("售电" -> sale, sale.replay)."""
    return [code for code in ACTIONS if text in action_name(code)]


def key_name(key: str) -> str:
    msgid = KEYS.get(key)
    return _(msgid) if msgid else key


def value_text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str):
        msgid = VALUES.get(value)
        return _(msgid) if msgid else value
    if isinstance(value, list):
        return _(", ").join(value_text(v) for v in value)
    if isinstance(value, dict):
        return "(" + _("; ").join(_("{label}: {value}").format(label=key_name(k), value=value_text(v))
                                  for k, v in value.items()) + ")"
    return str(value)


def details_text(details: str) -> str:
    """The stored details (JSON object text) as "key: value; …"; other text as it is."""
    if not details or details == "{}":
        return ""
    try:
        data = json.loads(details)
    except ValueError:
        return details
    if not isinstance(data, dict):
        return value_text(data)
    return _("; ").join(_("{label}: {value}").format(label=key_name(k), value=value_text(v))
                        for k, v in data.items())
