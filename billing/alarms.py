"""Alarm levels of an account, computed from its balance (never stored, so never stale).

    normal   balance above the first threshold (alarm1_fen)
    alarm1   balance at or below alarm1_fen (first low-balance warning)
    alarm2   balance at or below alarm2_fen (second warning; meters may beep/flash)
    arrears  balance at or below zero: no paid money left (欠费)

Postpaid accounts are billed after use, so their balance going negative is a bill owed, not
arrears: they are always "normal" here (unpaid bills are a report, not a relay matter).
arrears_action() says what the arrears policy asks for at a moment (the poller acts on it).
"""
from __future__ import annotations

from datetime import datetime

from models.accounts import Account

LEVELS = ("normal", "alarm1", "alarm2", "arrears")


def level_for(balance_fen: int, alarm1_fen: int, alarm2_fen: int, mode: str = "station-prepaid") -> str:
    if mode == "postpaid":
        return "normal"
    if balance_fen <= 0:
        return "arrears"
    if balance_fen <= alarm2_fen:
        return "alarm2"
    if balance_fen <= alarm1_fen:
        return "alarm1"
    return "normal"


def level(account: Account) -> str:
    return level_for(account.balance_fen, account.alarm1_fen, account.alarm2_fen, account.mode)


def arrears_action(account: Account, now_local: datetime, *, quiet: bool = False) -> str:
    """"trip", "wait" or "none" for an account at local time now_local.

    trip-now trips at once; never never trips; trip-at=HH:MM trips from that time of day on.
    quiet=True (night or holiday, decided by the caller's calendar) delays any trip of an
    account that respects quiet hours.
    """
    if level(account) != "arrears" or account.arrears_policy == "never":
        return "none"
    if quiet and account.respect_quiet:
        return "wait"
    if account.arrears_policy == "trip-at":
        hh, mm = (int(x) for x in account.arrears_time.split(":"))
        return "trip" if (now_local.hour, now_local.minute) >= (hh, mm) else "wait"
    return "trip"
