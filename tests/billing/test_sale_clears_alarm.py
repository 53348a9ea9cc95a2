"""A purchase that lifts the balance clears the account's balance alarm in the sale's own
transaction (billing/alarm_log.py: "clear() closes it when the condition is gone (a purchase
lifts the balance)"). Found walking the demo: after a 50-yuan sale to an account in arrears the
alarms page still listed 欠费 "余额 -3.31" until the meter's next reading was settled — for a
meter that is offline, for ever."""
from __future__ import annotations

from decimal import Decimal as D

import sqlalchemy as sa

from billing import alarm_log
from billing.sales import sell
from billing.settlement import settle_reading
from models.accounts import Account
from models.automation import Alarm
from tests.billing import factories as f


def raised(db, account_id: int) -> list[str]:
    with db.read() as s:
        return sorted(s.execute(sa.select(Alarm.kind).where(Alarm.account_id == account_id,
                                                            Alarm.state != "cleared")).scalars())


def in_arrears(db, root):
    acc = f.account(db, root)
    settle_reading(db, root, acc.meters[0], D("104"))      # 2.00 owed
    with db.write() as s:                                  # as settlement after a reading does
        account = s.execute(sa.select(Account).where(Account.number == acc.number)).scalar_one()
        alarm_log.sync_account(s, account)
        return acc, account.id, account.alarm1_fen


def test_a_sale_out_of_arrears_clears_the_arrears_alarm(db, root):
    acc, account_id, alarm1_fen = in_arrears(db, root)
    assert raised(db, account_id) == ["arrears"]
    sell(db, root, acc.number, D("1"))                     # still -1.00: still in arrears
    assert raised(db, account_id) == ["arrears"]
    r = sell(db, root, acc.number, D(alarm1_fen) / 100 + D("50"))
    assert r.alarm == "normal"
    assert raised(db, account_id) == []


def test_a_sale_that_leaves_the_balance_low_trades_arrears_for_the_low_balance_alarm(db, root):
    acc, account_id, alarm1_fen = in_arrears(db, root)
    r = sell(db, root, acc.number, D("2.01"))              # 0.01 left: above zero, below the warnings
    assert r.alarm != "arrears"
    assert raised(db, account_id) == [r.alarm]
