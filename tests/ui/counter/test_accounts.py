"""The accounts page offscreen: open an account through its dialog (new customer, room, free
meters with opening readings, tariff, mode, arrears policy), its opening receipt; bind, replace,
move; close with final settlement and refund and its receipt; the ledger history; rights."""
from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from PySide6.QtCore import QTime

from billing import accounts_open, sales
from models.accounts import Account
from resources import i18n
from tests.billing import factories
from tests.ui.counter.conftest import login_as
from tests.ui.counter.test_counter import pdf_text
from ui import tasks
from ui.main_window import MainWindow
from ui.session import StationSession
from ui.widgets.account_dialogs import OpenAccountDialog


def _page(qtbot, db, actor):
    win = MainWindow(StationSession(db, actor, "T"))
    qtbot.addWidget(win)
    win.show()
    win.nav.setCurrentRow(1)
    page = win.page("accounts")
    page.printer.show_preview = False
    return win, page


def _choices(qtbot, page):
    got = {}
    page._with_choices(got.update, rooms=True, customers=True, plans=True)
    qtbot.waitUntil(lambda: bool(got), timeout=5000)
    return got


def _account(db, number):
    with db.read() as s:
        a = s.execute(sa.select(Account).where(Account.number == number)).scalar_one()
        s.expunge(a)
        return a


def test_open_bind_replace_move_close(qtbot, station):
    db, root = station
    i18n.set_language("zh_CN")
    rooms = factories.place(db, rooms=2)
    for n in ("A1", "A2", "A3", "A4"):
        factories.meter(db, n, room_id=rooms[0])
    factories.meter(db, "B1", room_id=rooms[1])
    factories.flat_tariff(db, root)
    win, page = _page(qtbot, db, root)
    assert page.buttons["open"].isEnabled() and not page.buttons["close"].isEnabled()
    c = _choices(qtbot, page)
    dlg = OpenAccountDialog(c["customers"], c["rooms"], c["free"], c["plans"], page)
    qtbot.addWidget(dlg)
    dlg.customer.setEditText("孙八")
    dlg.phone.setText("13612345678")
    dlg.room.setCurrentIndex(1)
    dlg.meters.set_checked("A1", "10")
    dlg.tariff.setCurrentIndex(dlg.tariff.findData("flat"))
    dlg.arrears.setCurrentIndex(dlg.arrears.findData("trip-at"))
    dlg.trip_time.setTime(QTime(22, 30))
    page.submit_open(dlg)
    qtbot.waitUntil(lambda: page.printer.last_path is not None, timeout=10000)
    assert "开户凭证" in pdf_text(page.printer.last_path, 1)
    qtbot.waitUntil(lambda: page.card is not None, timeout=5000)
    number = page.card.number
    a = _account(db, number)
    assert (a.mode, a.arrears_policy, a.arrears_time) == ("station-prepaid", "trip-at", "22:30")
    assert [m.number for m in page.card.meters] == ["A1"] and page.buttons["close"].isEnabled()
    sales.sell(db, root, number, Decimal("50"))
    page.bind(accounts_open.MeterOpening("A2", "5"))
    qtbot.waitUntil(lambda: page.card is not None and len(page.card.meters) == 2, timeout=5000)
    page.replace("A2", "7", "A3", "0")                        # 2 kWh at 0.50 settled on A2
    qtbot.waitUntil(lambda: page.card is not None and {m.number for m in page.card.meters} == {"A1", "A3"},
                    timeout=5000)
    assert page.card.balance == Decimal("49.00")
    page.move(rooms[1], {"A1": "12", "A3": "0"}, [accounts_open.MeterOpening("B1", "0")])   # 2 kWh on A1
    qtbot.waitUntil(lambda: page.card is not None and [m.number for m in page.card.meters] == ["B1"], timeout=5000)
    assert page.card.balance == Decimal("48.00")
    page.printer.last_path = None
    page.close_account({"B1": "4"})                            # 4 kWh: 2.00; 46.00 refunded
    qtbot.waitUntil(lambda: page.printer.last_path is not None, timeout=10000)
    text = pdf_text(page.printer.last_path, 1)
    assert "销户结算凭证" in text and "肆拾陆元整" in text
    qtbot.waitUntil(lambda: page.ledger_model.rowCount() >= 5, timeout=5000)
    tasks.wait_idle()
    assert _account(db, number).state == "closed" and _account(db, number).balance_fen == 0
    kinds = [page.ledger_model.item(r, 1).text() for r in range(page.ledger_model.rowCount())]
    assert kinds[0] == i18n._("Refund")                       # newest first
    assert kinds.count(i18n._("Consumption")) == 3 and i18n._("Purchase") in kinds
    receipts = [page.ledger_model.item(r, 6).text() for r in range(page.ledger_model.rowCount())]
    assert receipts[0] and receipts[0] in page.printer.last_path


def test_cashier_sees_but_cannot_change_accounts(qtbot, station):
    db, root = station
    acc = factories.account(db, root, name="周九")
    cashier = login_as(db, root, "li", "cashier")
    win, page = _page(qtbot, db, cashier)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=5000)
    page.view.selectRow(0)
    qtbot.waitUntil(lambda: page.card is not None and page.card.number == acc.number, timeout=5000)
    assert not any(b.isEnabled() for b in page.buttons.values())
    tasks.wait_idle()


def test_change_dialogs_collect_what_was_typed(qtbot, station):
    db, root = station
    from billing import counter_query as cq
    from ui.widgets.account_dialogs import BindMeterDialog, CloseAccountDialog, MoveDialog, ReplaceMeterDialog

    rooms = factories.place(db, rooms=2)
    acc = factories.account(db, root, name="冯二", room_id=rooms[0])
    factories.meter(db, "FREE1", room_id=rooms[1])
    card = cq.account_card(db, root, acc.number)
    free = cq.free_meters(db, root)
    win, page = _page(qtbot, db, root)
    c = _choices(qtbot, page)
    close = CloseAccountDialog(card, page)
    assert close.finals() == {acc.meters[0]: "100.00"} and close.method.currentData() == "cash"
    move = MoveDialog(card, c["rooms"], free, page)
    move.new.set_checked("FREE1", "3")
    assert [(o.meter, o.reading) for o in move.new.openings()] == [("FREE1", "3")]
    replace = ReplaceMeterDialog(card, free, page)
    assert replace.old.currentText() == acc.meters[0] and replace.old_final.text() == "100.00"
    bind = BindMeterDialog(card, free, page)
    assert bind.opening().meter == "FREE1" and bind.opening().reading is None
    for dlg in (close, move, replace, bind):
        dlg.deleteLater()
    tasks.wait_idle()


def test_a_visit_lists_the_accounts_again_only_when_they_may_be_stale(qtbot, station, monkeypatch):
    """Each visit read and compared up to 2,000 accounts (at 10,000 meters: a worker holding the
    interpreter lock while the switch painted). Now a visit reloads when never loaded, after a
    write of the windows, or when older than VISIT_STALE_S; the search still reloads at once."""
    from ui.pages import accounts_page

    db, root = station
    factories.flat_tariff(db, root)
    reads: list = []
    real = accounts_page.counter_query.list_accounts
    monkeypatch.setattr(accounts_page.counter_query, "list_accounts",
                        lambda *a, **kw: reads.append(1) or real(*a, **kw))
    win, page = _page(qtbot, db, root)                  # the first visit: loaded
    qtbot.waitUntil(lambda: len(reads) == 1, timeout=5000)

    def visit(key: str) -> None:
        win.nav.setCurrentRow([p.key for p in win.pages].index(key))

    visit("counter")
    visit("accounts")                                   # nothing changed: not read again
    tasks.wait_idle()
    qtbot.wait(50)
    assert len(reads) == 1
    done = []
    tasks.write(page, lambda: None, on_done=done.append)   # a write of the windows
    qtbot.waitUntil(lambda: bool(done), timeout=5000)
    visit("counter")
    visit("accounts")
    qtbot.waitUntil(lambda: len(reads) == 2, timeout=5000)
    page.fresh.at -= accounts_page.VISIT_STALE_S      # older than the limit
    visit("counter")
    visit("accounts")
    qtbot.waitUntil(lambda: len(reads) == 3, timeout=5000)
    page.filter.setText("1")                            # the search reloads at once
    page.refresh()
    qtbot.waitUntil(lambda: len(reads) == 4, timeout=5000)
    tasks.wait_idle()
