"""The accounts list (the accounts page), the counter's search and one account's card and ledger
need one of the rights whose work is with accounts (billing.counter_query.ACCOUNT_LIST_RIGHTS:
sell, report_view, archive_edit, account_open/close/edit, refund, reverse). Before, any logged-in
operator listed every account with its customer, phone and balance: a role with only `log_view`
too. The service refuses and logs; the window's pages say it on the page and ask nobody (no
denied row per visit or key)."""
from __future__ import annotations

import pytest

from access import login as auth
from access import operators as operator_service
from billing import counter_query
from models import oplog
from models.errors import PermissionDenied
from models.rights import BUILTIN_ROLES, Actor
from tests.billing import factories
from ui import tasks
from ui.session import StationSession


def _denied(db) -> list:
    with db.read() as s:
        return [e for e in oplog.search(s, limit=50) if e.action == "denied"]


def _actor(rights: set[str]) -> Actor:
    return Actor(name="clerk", role="custom", rights=frozenset(rights), station="T")


@pytest.fixture
def site(db, superadmin):
    return factories.account(db, superadmin, name="张三")


@pytest.mark.parametrize("rights", [{"log_view"}, {"shift", "meter_read"}, {"backup", "settings_edit"}, set()])
def test_the_service_refuses_and_logs(db, site, rights):
    for call, action in ((lambda a: counter_query.list_accounts(db, a), "account.list"),
                         (lambda a: counter_query.list_accounts(db, a, "张"), "account.list"),
                         (lambda a: counter_query.search(db, a, "张"), "account.search"),
                         (lambda a: counter_query.account_card(db, a, site.number), "account.view"),
                         (lambda a: counter_query.account_card(db, a, "no-such-account"), "account.view"),
                         (lambda a: counter_query.ledger_history(db, a, site.number), "account.view"),
                         (lambda a: counter_query.free_meters(db, a), "meter.free")):
        before = len(_denied(db))
        with pytest.raises(PermissionDenied, match="no right to see the accounts"):
            call(_actor(rights))
        rows = _denied(db)
        assert len(rows) == before + 1 and action in (rows[0].details or "") and rows[0].operator == "clerk"


def test_no_operator_is_refused(db, site):
    for call in (lambda: counter_query.list_accounts(db, None), lambda: counter_query.search(db, None, "张"),
                 lambda: counter_query.account_card(db, None, site.number),
                 lambda: counter_query.ledger_history(db, None, site.number),
                 lambda: counter_query.free_meters(db, None)):
        with pytest.raises(PermissionDenied, match="logged-in operator"):
            call()


@pytest.mark.parametrize("right", counter_query.ACCOUNT_LIST_RIGHTS)
def test_each_right_is_enough(db, site, right):
    assert [h.number for h in counter_query.list_accounts(db, _actor({right}))] == [site.number]
    assert [h.number for h in counter_query.search(db, _actor({right}), "张")] == [site.number]
    assert counter_query.account_card(db, _actor({right}), site.number).number == site.number
    assert counter_query.ledger_history(db, _actor({right}), site.number) == []     # opened, nothing posted
    assert isinstance(counter_query.free_meters(db, _actor({right})), list)


def test_every_builtin_role_keeps_its_page(db, site, superadmin):
    for role in BUILTIN_ROLES:
        operator_service.add_operator(db, superadmin, f"op-{role}", "pass-123", role)
        actor = auth.login(db, f"op-{role}", "pass-123", "T")
        assert counter_query.may_list_accounts(actor), role
        assert [h.number for h in counter_query.list_accounts(db, actor)] == [site.number]


def test_the_pages_say_it_and_ask_nobody(qtbot, sqlite_db, monkeypatch):
    from ui.pages import accounts_page, counter_page

    operator_service.create_first_operator(sqlite_db, "root", "secret-1", "T")
    asked: list = []
    monkeypatch.setattr(counter_query, "list_accounts", lambda *a, **kw: asked.append(a) or [])
    monkeypatch.setattr(counter_query, "search", lambda *a, **kw: asked.append(a) or [])
    session = StationSession(sqlite_db, _actor({"log_view"}), "T")
    before = len(_denied(sqlite_db))
    accounts = accounts_page.AccountsPage(session)
    qtbot.addWidget(accounts)
    counter = counter_page.CounterPage(session)
    qtbot.addWidget(counter)
    for _visit in range(3):
        accounts.refresh()
        counter.search.setText("张")
        counter.run_search()
    tasks.wait_idle()
    qtbot.wait(50)
    assert asked == [] and accounts.hits == []
    assert "no right to see the accounts" in accounts.refusal.text() and not accounts.refusal.isHidden()
    assert "no right to see the accounts" in counter.status.text()
    assert len(_denied(sqlite_db)) == before                      # a visit is not a logged refusal


def test_a_refusal_from_the_service_is_said_on_the_page(qtbot, sqlite_db, monkeypatch):
    """The rights changed under the window (or another check refused): the page says the
    service's refusal in its line, no message box, no traceback."""
    from ui.pages import accounts_page

    def refuse(*_a, **_kw):
        raise counter_query.accounts_refusal(_actor(set()))

    monkeypatch.setattr(counter_query, "list_accounts", refuse)
    shown: list = []
    monkeypatch.setattr(tasks, "show_error", lambda *a: shown.append(a))
    page = accounts_page.AccountsPage(StationSession(sqlite_db, _actor({"sell"}), "T"))
    qtbot.addWidget(page)
    page.refresh()
    qtbot.waitUntil(lambda: "no right to see the accounts" in page.refusal.text(), timeout=5000)
    assert shown == []


def test_an_account_of_a_building_not_seen_is_refused_and_logged(db, superadmin):
    """The operator holds the right but not the account's building: refused (as before) and now
    logged as one `denied` row naming account.view and the account asked for."""
    from billing.lookup import account_building, find_account

    rooms = factories.place(db)
    other = factories.place(db)
    seen = factories.account(db, superadmin, name="李四", room_id=rooms[0])
    hidden = factories.account(db, superadmin, name="王五", room_id=other[0])
    with db.read() as s:
        building = account_building(s, find_account(s, seen.number))
    operator_service.add_operator(db, superadmin, "li", "pass-1234", "cashier", buildings=[building])
    li = auth.login(db, "li", "pass-1234", "T")
    assert counter_query.account_card(db, li, seen.number).number == seen.number
    for call in (counter_query.account_card, counter_query.ledger_history):
        before = len(_denied(db))
        with pytest.raises(PermissionDenied, match="may not act on this building"):
            call(db, li, hidden.number)
        rows = _denied(db)
        assert len(rows) == before + 1 and rows[0].operator == "li"
        assert "account.view" in (rows[0].details or "") and rows[0].target == hidden.number
