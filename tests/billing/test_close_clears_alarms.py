"""Closing an account (销户) ends its balance-level alarms and its meters' "tripped for arrears"
(欠费跳闸) alarm: cleared in the close's own transaction at the close's time, marked
"cleared_by": "account_close", still in the alarm history; its other alarms (a suspicious
reading, a lost meter) and other accounts' alarms stay raised. Before, an account closed while
its meter was tripped kept its 欠费跳闸 alarm raised for ever (nothing else clears it once the
account is closed: no sale, no close command for it). SQLite and PostgreSQL."""
from __future__ import annotations

import json
from decimal import Decimal as D

import sqlalchemy as sa

from billing import alarm_log
from billing.account_changes import close_account
from billing.automation.arrears import check_account
from billing.sales import sell
from models.accounts import Account
from models.archive import Meter
from models.automation import Alarm
from models.base import utcnow
from models.oplog import OpLogEntry
from tests.billing import factories as f


def _tripped_in_arrears(db, root):
    """A station-side prepaid account at zero (arrears) whose meter the arrears control tripped."""
    acc = f.account(db, root)
    with db.write() as s:
        account = s.execute(sa.select(Account).where(Account.number == acc.number)).scalar_one()
        alarm_log.sync_account(s, account)
        assert check_account(s, account, utcnow(), root, quiet=False).tripped
        meter_id = s.execute(sa.select(Meter.id).where(Meter.number == acc.meters[0])).scalar_one()
        return acc, account.id, meter_id


def _alarms(db, account_id=None, meter_id=None) -> dict[str, str]:
    with db.read() as s:
        q = sa.select(Alarm.kind, Alarm.state)
        q = q.where(Alarm.account_id == account_id) if account_id is not None else q.where(Alarm.meter_id == meter_id)
        return dict(s.execute(q.order_by(Alarm.id)).all())


def test_closing_clears_the_accounts_tripped_and_balance_alarms_only(db, root):
    acc, account_id, meter_id = _tripped_in_arrears(db, root)
    other, other_id, _other_meter = _tripped_in_arrears(db, root)
    with db.write() as s:
        alarm_log.raise_alarm(s, "reading_flag", account_id=account_id, meter_id=meter_id, message="jump")
        alarm_log.raise_alarm(s, "meter_lost", meter_id=meter_id, message="lost")
    assert _alarms(db, account_id) == {"arrears": "open", "tripped": "open", "reading_flag": "open"}

    r = close_account(db, root, acc.number, {acc.meters[0]: D("100")})     # nothing used, nothing owed
    assert (r.kind, r.amount) == ("account_close", D("0.00"))

    assert _alarms(db, account_id) == {"arrears": "cleared", "tripped": "cleared", "reading_flag": "open"}
    assert _alarms(db, meter_id=meter_id)["meter_lost"] == "open"                 # about the meter: stays
    assert _alarms(db, other_id) == {"arrears": "open", "tripped": "open"}      # another account's: stay
    with db.read() as s:
        closed_at = s.execute(sa.select(Account.closed_at).where(Account.id == account_id)).scalar_one()
        cleared = s.execute(sa.select(Alarm).where(Alarm.account_id == account_id, Alarm.state == "cleared")
                            .order_by(Alarm.id)).scalars().all()
        assert [a.cleared_at for a in cleared] == [closed_at, closed_at]       # the close's own time
        details = [json.loads(a.details) for a in cleared]
        assert all(d["cleared_by"] == "account_close" and "balance_fen" in d for d in details)
        log = s.execute(sa.select(OpLogEntry.details).where(OpLogEntry.action == "account.close")).scalar_one()
        assert json.loads(log)["alarms_cleared"] == 2
    history = {(a.kind, a.state) for a in alarm_log.list_alarms(db, root) if a.account == acc.number}
    assert {("arrears", "cleared"), ("tripped", "cleared")} <= history                  # kept in the history


def test_closing_clears_a_low_balance_alarm(db, root):
    acc = f.account(db, root)
    r = sell(db, root, acc.number, D("10"))                # 10 yuan: at or below the first threshold (20)
    with db.read() as s:
        account_id = s.execute(sa.select(Account.id).where(Account.number == acc.number)).scalar_one()
    assert r.alarm == "alarm1" and _alarms(db, account_id) == {"alarm1": "open"}
    assert close_account(db, root, acc.number, {acc.meters[0]: D("100")}).amount == D("-10.00")
    assert _alarms(db, account_id) == {"alarm1": "cleared"}
