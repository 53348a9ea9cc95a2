"""A close sent directly (`meterstation control close`, billing/control.py direct_command) ends
the meter's "tripped for arrears" alarm like one the outbox delivered, only when the meter
confirmed it: cleared in the transaction that records the outcome. A close that was not
confirmed, or a confirmed trip, leaves it raised. SQLite and PostgreSQL."""
from __future__ import annotations

import sqlalchemy as sa

from billing import alarm_log
from billing.control import direct_command
from models.accounts import Account
from models.archive import Meter
from models.automation import Alarm
from tests.billing import factories as f


def _tripped(db, meter_id: int) -> list[str]:
    with db.read() as s:
        return list(s.execute(sa.select(Alarm.state).where(Alarm.kind == "tripped", Alarm.meter_id == meter_id)
                              .order_by(Alarm.id)).scalars())


def test_a_confirmed_direct_close_clears_the_tripped_alarm(db, root):
    acc = f.account(db, root)
    with db.write() as s:
        meter_id = s.execute(sa.select(Meter.id).where(Meter.number == acc.meters[0])).scalar_one()
        account_id = s.execute(sa.select(Account.id).where(Account.number == acc.number)).scalar_one()
        alarm_log.raise_alarm(s, "tripped", account_id=account_id, meter_id=meter_id, message="tripped")
    for action, status in (("close", "no-reply"), ("close", "unconfirmed"), ("trip", "confirmed")):
        direct_command(db, root, action, lambda status=status: {"status": status}, meter_id=meter_id)
        assert _tripped(db, meter_id) == ["open"], (action, status)
    direct_command(db, root, "close", lambda: {"status": "confirmed"}, meter_id=meter_id)
    assert _tripped(db, meter_id) == ["cleared"]
