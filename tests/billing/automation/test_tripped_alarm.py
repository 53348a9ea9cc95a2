"""The "tripped for arrears" alarm ends when the meter confirms the close, not when the sale is
made: against the simulator, through the real outbox and runtime. A sale lifts the balance and
queues meter.close; while the meter does not answer the alarm stays raised (the cashier must
not read the power as back), the minute job's arrears check included; once the close is
delivered and read back the alarm is cleared in the transaction that records it, cleared_at
the confirmation's time (the outbox item's done_at). SQLite and PostgreSQL."""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from billing import outbox
from billing.sales import sell
from models.automation import Alarm
from models.ledger import OutboxItem
from tests.billing.automation.conftest import Clock, add_link, add_meter, balance, local, open_prepaid, runtime

A1 = "000000000001"


def _tripped(db) -> list[tuple[str, object]]:
    with db.read() as s:
        return [tuple(r) for r in s.execute(sa.select(Alarm.state, Alarm.cleared_at)
                                            .where(Alarm.kind == "tripped").order_by(Alarm.id))]


def _close(db) -> OutboxItem:
    with db.read() as s:
        item = s.execute(sa.select(OutboxItem).where(OutboxItem.kind == "meter.close")      # the last sale's
                         .order_by(OutboxItem.id.desc()).limit(1)).scalar_one()
        s.expunge(item)
        return item


def test_tripped_alarm_clears_when_the_close_is_confirmed_not_before(db, superadmin, bus_sim, sim_clock):
    server = bus_sim(f"dlt645-2007:{A1}/kw=1/prepaid=0")
    meter_number = add_meter(db, add_link(db, server.url), A1)
    account = open_prepaid(db, superadmin, [meter_number], arrears="trip-now")
    sell(db, superadmin, account, Decimal("2.00"), method="cash")
    meter = server.bus.meter(A1)
    rt = runtime(db, Clock(local(2026, 11, 20, 10, 0)))
    try:
        sim_clock.advance(3 * 3600)                           # 3 kWh at 1.00: -1.00, tripped
        rt.run_once()
        assert balance(db, account) == Decimal("-1.00") and meter.relay_open
        assert [st for st, _at in _tripped(db)] == ["open"]
        server.bus.set_fault(A1, "silent")                    # the meter's answers are lost
        sell(db, superadmin, account, Decimal("5.00"), method="cash")     # queues meter.close
        assert [st for st, _at in _tripped(db)] == ["open"]   # the sale does not bring the power back
        rt.run_once()                                         # the close is sent: no answer
        rt.check_arrears()                                    # the minute job: the balance is positive
        close = _close(db)
        assert close.state == "pending" and close.attempts == 1 and close.in_doubt
        assert [st for st, _at in _tripped(db)] == ["open"]   # a close not confirmed leaves it raised
        server.bus.set_fault(A1, None)
        outbox.retry(db, superadmin, close.id)                # the cashier's Retry: due now
        rt.deliver_commands()                                 # in doubt: the relay is read back first
        close = _close(db)
        assert close.state == "done" and not meter.relay_open
        assert _tripped(db) == [("cleared", close.done_at)]   # at the confirmation, in its transaction
        rt.check_arrears()
        assert _tripped(db) == [("cleared", close.done_at)]
    finally:
        rt.stop()
