"""Low-balance and arrears notices: one SMS per alarm through the outbox, sent with retries,
back-off and expiry, each outcome logged; the meter poller never takes SMS items."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from billing import alarm_log, notices
from billing.lookup import find_account
from billing.sales import sell
from comms.simulator.modem import SimulatedModem
from comms.sms.modem import ModemSender
from models import settings
from models.accounts import Account
from models.archive import Customer
from models.automation import Alarm
from models.ledger import OutboxItem
from models.oplog import OpLogEntry, verify
from station import sms_delivery
from tests.billing import factories


def _now() -> datetime:
    return datetime.now(UTC) + timedelta(seconds=1)


def _account(db, root, phone: str = "+8613800138000", name: str | None = None):
    view = factories.account(db, root, name=name)
    with db.write() as s:
        acc = find_account(s, view.number)
        s.get(Customer, acc.customer_id).phone = phone
    return view


def _sync(db, number):
    with db.write() as s:
        return alarm_log.sync_account(s, find_account(s, number))


def _items(db) -> list[OutboxItem]:
    with db.read() as s:
        return list(s.execute(sa.select(OutboxItem).where(OutboxItem.kind == "sms").order_by(OutboxItem.id)).scalars())


def _actions(db, prefix: str = "sms.") -> list[str]:
    with db.read() as s:
        return [e.action for e in s.execute(sa.select(OpLogEntry).where(OpLogEntry.action.like(prefix + "%"))
                                            .order_by(OpLogEntry.seq)).scalars()]


@pytest.fixture
def root(superadmin):
    settings.set_local("sms.sender", "file")
    return superadmin


def test_one_sms_per_alarm_never_two(db, root):
    view = _account(db, root)
    assert _sync(db, view.number) == "arrears"
    assert notices.notify_new_alarms(db, _now()) == 1
    assert notices.notify_new_alarms(db, _now()) == 0          # remembered: never twice
    [item] = _items(db)
    payload = json.loads(item.payload)
    with db.read() as s:
        alarm = s.execute(sa.select(Alarm).where(Alarm.kind == "arrears")).scalar_one()
    assert payload["alarm_id"] == alarm.id and payload["phone"] == "+8613800138000"
    assert view.number in payload["text"] and "0.00" in payload["text"]
    assert (item.meter_id, item.account_id is not None, item.state) == (None, True, "pending")
    assert json.loads(alarm.details)["sms"] == {"item": item.id}
    sell(db, root, view.number, "15.00", method="cash")        # arrears cleared, alarm1 raised
    assert _sync(db, view.number) == "alarm1"
    assert notices.notify_new_alarms(db, _now()) == 1          # a new alarm: a new notice
    assert notices.notify_new_alarms(db, _now()) == 0
    texts = [json.loads(i.payload)["text"] for i in _items(db)]
    assert "15.00" in texts[1] and texts[0] != texts[1]
    assert _actions(db) == ["sms.queued", "sms.queued"]
    with db.read() as s:
        assert verify(s).ok


def test_no_phone_no_sms_and_not_later_either(db, root):
    view = _account(db, root, phone="")
    _sync(db, view.number)
    assert notices.notify_new_alarms(db, _now()) == 0
    with db.write() as s:
        acc = find_account(s, view.number)
        s.get(Customer, acc.customer_id).phone = "13800138000"
    assert notices.notify_new_alarms(db, _now()) == 0          # that alarm was already looked at
    assert _items(db) == []


def test_sender_none_queues_nothing(db, root):
    settings.set_local("sms.sender", "none")
    view = _account(db, root)
    _sync(db, view.number)
    assert notices.notify_new_alarms(db, _now()) == 0
    assert sms_delivery.send_due_notices(db, _now()) == notices.NoticeRun()
    settings.set_local("sms.sender", "file")                   # turned on later: still notified
    assert notices.notify_new_alarms(db, _now()) == 1


def test_templates_and_company_signature(db, root):
    settings.put(db, root, "company.name", "阳光物业")
    settings.put(db, root, "sms.template_arrears", "{customer}您好，账户{account}已欠费，余额{balance}元。")
    view = _account(db, root, name="张三")
    _sync(db, view.number)
    notices.notify_new_alarms(db, _now())
    [item] = _items(db)
    assert json.loads(item.payload)["text"] == f"【阳光物业】张三您好，账户{view.number}已欠费，余额0.00元。"
    assert notices.notice_text("alarm1", customer="A", account="1", balance_fen=1234,
                               template="{nope} {balance}") == notices.notice_text(
        "alarm1", customer="A", account="1", balance_fen=1234)   # a broken template: the built-in text


def test_file_sender_from_settings_sends_and_logs(db, root, tmp_path):
    settings.set_local("sms.file_dir", str(tmp_path / "out"))
    view = _account(db, root)
    _sync(db, view.number)
    now = _now()
    notices.notify_new_alarms(db, now)
    run = sms_delivery.send_due_notices(db, now)
    assert (run.sent, run.failed, run.expired) == (1, 0, 0)
    [item] = _items(db)
    assert (item.state, item.attempts, item.done_at) == ("done", 1, now)
    [f] = list((tmp_path / "out").iterdir())
    assert json.loads(f.read_text(encoding="utf-8"))["phone"] == "+8613800138000"
    assert sms_delivery.send_due_notices(db, now).sent == 0          # done items are not sent again
    assert _actions(db) == ["sms.queued", "sms.sent"]


def test_modem_error_retries_with_backoff_then_succeeds(db, root):
    view = _account(db, root)
    _sync(db, view.number)
    now = _now()
    notices.notify_new_alarms(db, now)
    with SimulatedModem(mode="error") as modem:
        run = sms_delivery.send_due_notices(db, now, ModemSender(modem.url, timeout=2))
        assert (run.sent, run.failed) == (0, 1)
        [item] = _items(db)
        assert (item.state, item.attempts, item.next_at) == ("pending", 1, now + timedelta(seconds=60))
        assert "ERROR" in item.last_error
        modem.mode = "ok"
        assert sms_delivery.send_due_notices(db, now + timedelta(seconds=30),
                                        ModemSender(modem.url, timeout=2)).sent == 0   # not due yet
        assert sms_delivery.send_due_notices(db, now + timedelta(seconds=61),
                                        ModemSender(modem.url, timeout=2)).sent == 1
        assert modem.messages == [("+8613800138000", json.loads(item.payload)["text"])]
    [item] = _items(db)
    assert (item.state, item.attempts) == ("done", 2)
    assert _actions(db) == ["sms.queued", "sms.failed", "sms.sent"]


def test_expires_after_24_hours(db, root):
    view = _account(db, root)
    _sync(db, view.number)
    start = _now()
    notices.notify_new_alarms(db, start)
    now = start
    with SimulatedModem(mode="cms", cms_code=500) as modem:
        for _ in range(40):
            sms_delivery.send_due_notices(db, now, ModemSender(modem.url, timeout=2))
            [item] = _items(db)
            if item.state != "pending":
                break
            now = item.next_at
    assert item.state == "expired" and now <= start + timedelta(hours=24)
    assert "+CMS ERROR: 500" in item.last_error
    acts = _actions(db)
    assert acts[-1] == "sms.expired" and acts.count("sms.failed") == item.attempts - 1
    assert sms_delivery.send_due_notices(db, start + timedelta(days=2), ModemSender("/nonexistent")).sent == 0


def test_item_never_sent_expires_unsent(db, root):
    view = _account(db, root)
    _sync(db, view.number)
    start = _now()
    notices.notify_new_alarms(db, start)
    run = sms_delivery.send_due_notices(db, start + timedelta(hours=25), ModemSender("/nonexistent"))
    assert run.expired == 1
    assert _items(db)[0].state == "expired"


def test_silent_modem_stops_the_batch(db, root):
    for _ in range(3):
        view = _account(db, root)
        _sync(db, view.number)
    now = _now()
    assert notices.notify_new_alarms(db, now) == 3
    with SimulatedModem() as modem:
        sender = ModemSender(modem.url, timeout=1, send_timeout=1)
        sender.open()                       # the modem dies after the port was set up
        modem.mode = "silent"
        run = sms_delivery.send_due_notices(db, now, sender)
    assert (run.sent, run.failed, run.deferred) == (0, 1, 2)
    items = _items(db)
    assert [(i.state, i.attempts) for i in items] == [("pending", 1), ("pending", 0), ("pending", 0)]
    assert items[1].next_at == now             # untried items are due again at once


def test_unopenable_modem_counts_an_attempt(db, root):
    view = _account(db, root)
    _sync(db, view.number)
    now = _now()
    notices.notify_new_alarms(db, now)
    settings.set_local("sms.sender", "modem")
    settings.set_local("sms.port", "serial:///nonexistent/tty?baud=9600")
    run = sms_delivery.send_due_notices(db, now)
    assert run.failed == 1
    [item] = _items(db)
    assert item.attempts == 1 and "nonexistent" in item.last_error


def test_meter_outbox_source_never_takes_sms_items(db, root):
    from comms.polling.outbox_source import OutboxSource

    view = _account(db, root)
    _sync(db, view.number)
    assert notices.notify_new_alarms(db, _now()) == 1
    with db.write() as s:                       # due for the poller too
        s.execute(sa.update(OutboxItem).values(next_at=datetime.now(UTC) - timedelta(seconds=5)))
    with db.read() as s:
        acc = find_account(s, view.number)
        from models.accounts import AccountMeter
        meter_ids = list(s.execute(sa.select(AccountMeter.meter_id)
                                   .where(AccountMeter.account_id == acc.id)).scalars())
    source = OutboxSource(db, {m: 1 for m in meter_ids}, station="TEST")
    source.refresh()
    assert source.take(1) is None or source.take(1).kind != "sms"
    [item] = _items(db)
    assert item.state == "pending" and item.last_error == ""


def test_stale_claim_is_taken_again(db, root):
    view = _account(db, root)
    _sync(db, view.number)
    now = _now()
    notices.notify_new_alarms(db, now)
    with db.write() as s:                       # a station died while sending
        item = s.execute(sa.select(OutboxItem).where(OutboxItem.kind == "sms")).scalar_one()
        item.state, item.next_at = "sending", now + notices.LEASE
    settings.set_local("sms.file_dir", str(db.url.split("///")[-1]) + "-sms" if db.dialect == "sqlite"
                       else "/tmp/meterstation-test-sms")
    assert sms_delivery.send_due_notices(db, now).sent == 0          # lease not over
    assert sms_delivery.send_due_notices(db, now + notices.LEASE).sent == 1


def test_closed_accounts_are_not_notified(db, root):
    view = _account(db, root)
    _sync(db, view.number)
    with db.write() as s:
        s.execute(sa.update(Account).where(Account.number == view.number).values(state="closed"))
    assert notices.notify_new_alarms(db, _now()) == 0
