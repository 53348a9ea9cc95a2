"""Who the station's scheduled work acts as (both backends).

The polling service's own work (docs/product.md: it reads, settles, trips on arrears, grants the
monthly subsidies, sends the notices) acts as the service identity the runtime runs as: the
subsidy jobs' ledger entries and log rows and every SMS notice row name it, and taking the
`subsidy` right from the service role stops the subsidies (refused and logged). The jobs that
need rights the service role must not hold stay the station's own `system`: postpaid bills
(account_edit, and sell for their documents) and the backup (backup)."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from access import login as auth
from access import operators as operator_service
from access import service_identity
from billing import alarm_log
from billing.automation.jobs import JobContext, run_due, run_minute
from billing.lookup import find_account
from models import settings
from models.archive import Customer
from models.ledger import LedgerEntry
from models.oplog import OpLogEntry, verify
from models.rights import SERVICE_RIGHTS
from tests.billing.automation.conftest import Clock, add_meter, local, open_prepaid, runtime, set_setting


def _service(db, superadmin):
    secret = service_identity.make_identity(db, superadmin, "service")
    return auth.login(db, "service", secret, "T", service=True)


def _log(db, *actions):
    with db.read() as s:
        return s.execute(sa.select(OpLogEntry.operator, OpLogEntry.action, OpLogEntry.details)
                         .where(OpLogEntry.action.in_(actions)).order_by(OpLogEntry.seq)).all()


def test_the_service_role_holds_the_subsidy_right(db):
    from models.operators import Role

    assert "subsidy" in SERVICE_RIGHTS
    with db.read() as s:
        rights = set(s.execute(sa.select(Role.rights).where(Role.name == "service")).scalar_one().split())
    assert rights == set(SERVICE_RIGHTS)


def test_subsidies_are_granted_and_expired_by_the_service_identity(db, superadmin):
    service = _service(db, superadmin)
    set_setting(db, superadmin, "automation.subsidy_amounts", '{"resident": "10.00"}')
    open_prepaid(db, superadmin, [add_meter(db, None, "000000000001")], arrears="never", account_type="resident")
    clock = Clock(local(2026, 10, 2, 9))
    ctx = JobContext(db, "T", clock, service=service)
    assert run_due(ctx, jobs=("subsidy_expire", "subsidy_grant")) == [
        ("subsidy_expire", "2026-09"), ("subsidy_grant", "2026-10")]
    clock.set(local(2026, 11, 2, 9))
    run_due(ctx, jobs=("subsidy_expire", "subsidy_grant"))
    with db.read() as s:
        entries = s.execute(sa.select(LedgerEntry.kind, LedgerEntry.operator)
                            .where(LedgerEntry.kind.in_(("subsidy_grant", "subsidy_expiry")))).all()
    assert sorted(entries) == [("subsidy_expiry", "service"), ("subsidy_grant", "service"),
                               ("subsidy_grant", "service")]
    rows = _log(db, "subsidy.grant", "subsidy.expire")
    assert rows and {op for op, _a, _d in rows} == {"service"}
    with db.read() as s:
        assert verify(s).ok


def test_a_service_role_without_the_subsidy_right_grants_nothing_and_says_so(db, superadmin):
    service = _service(db, superadmin)
    operator_service.define_role(db, superadmin, "service", "Service identity", sorted(SERVICE_RIGHTS - {"subsidy"}))
    service = _service(db, superadmin)                       # logged in again: the role's rights now
    set_setting(db, superadmin, "automation.subsidy_amounts", '{"resident": "10.00"}')
    open_prepaid(db, superadmin, [add_meter(db, None, "000000000001")], arrears="never", account_type="resident")
    ctx = JobContext(db, "T", Clock(local(2026, 10, 2, 9)), service=service)
    assert run_due(ctx, jobs=("subsidy_grant",)) == []       # refused: not recorded as done, retried later
    with db.read() as s:
        assert s.execute(sa.select(LedgerEntry.id).where(LedgerEntry.kind == "subsidy_grant")).first() is None
    denied = [(op, json.loads(d)["action"]) for op, _a, d in _log(db, "denied")]
    assert denied == [("service", "subsidy.grant")]


def test_notices_are_queued_and_sent_by_the_service_identity_of_the_runtime(db, superadmin, tmp_path):
    _service(db, superadmin)
    settings.set_local("sms.sender", "file")
    settings.set_local("sms.file_dir", str(tmp_path / "sms"))
    number = open_prepaid(db, superadmin, [add_meter(db, None, "000000000001")])
    with db.write() as s:
        account = find_account(s, number)
        s.get(Customer, account.customer_id).phone = "+8613800138000"
    with db.write() as s:
        assert alarm_log.sync_account(s, find_account(s, number)) == "arrears"
    rt = runtime(db)                                         # the windows' / `poll`'s runtime
    try:
        assert rt.actor.name == "service"
        [queued, sent] = run_minute(rt.context, "notices", datetime.now(UTC) + timedelta(seconds=1))
    finally:
        rt.stop()
    assert (queued, sent.sent) == (1, 1)
    rows = _log(db, "sms.queued", "sms.sent")
    assert [(op, a) for op, a, _d in rows] == [("service", "sms.queued"), ("service", "sms.sent")]


def test_postpaid_bills_and_backups_stay_the_stations_own_system(db, superadmin):
    """The service role holds neither account_edit, sell nor backup: these jobs keep `system`."""
    service = _service(db, superadmin)
    ctx = JobContext(db, "T", Clock(local(2026, 10, 2, 9)), service=service)
    assert ctx.actor.name == "system" and ctx.service_actor.name == "service"
    assert not {"account_edit", "sell", "backup"} & service.rights
