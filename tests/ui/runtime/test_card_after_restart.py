"""The counter's account card after the runtime child is killed -9, with a real child, a real
simulator and the real bridge (the fixtures of test_runtime_process.py, as the boards' test
test_board_after_restart.py): the card of an account whose meter nobody reads now says
未知（未在抄读） as the board does - a reload of the card from the database (still "online", as
the dead child wrote it) and a card built only after the death included, its meter's relay and
communication "unknown" too - and the new child's "online" brings the card back to its balance
state."""
from __future__ import annotations

import os
import signal
from decimal import Decimal

import sqlalchemy as sa

from billing.accounts_open import MeterOpening, open_account
from models.archive import Meter
from resources import i18n
from tests.billing import factories
from tests.ui.runtime import test_runtime_process as rp
from ui import tasks
from ui.bridge import RuntimeHost

ADDRS = rp.ADDRS
sim, station = rp.sim, rp.station                   # the fixtures
UNKNOWN = "未知（未在抄读）"


def _comm(view) -> str:
    """The card's communication cell of its one meter."""
    return view.meters_model.item(0, 4).text()


def _relay(view) -> str:
    return view.meters_model.item(0, 3).text()


def test_card_says_unknown_while_nobody_reads_and_comes_back(qtbot, monkeypatch, station):
    from ui.main_window import MainWindow
    from ui.runtime_process import RuntimeProcess
    from ui.widgets.account_card import AccountCardView

    i18n.set_language("zh_CN")
    monkeypatch.setitem(RuntimeProcess.__init__.__kwdefaults__, "backoff_first", 3.0)
    db, root = station.db, station.actor
    factories.flat_tariff(db, root)
    account = open_account(db, root, factories.customer(db, "王小明"), [MeterOpening("E0", Decimal("0"))],
                           mode="postpaid", tariff="flat")
    with db.write() as s:                           # the relay as last read: closed (power on)
        s.execute(sa.update(Meter).where(Meter.number == "E0").values(relay_state="closed"))
    host = RuntimeHost(station, run_jobs=False)
    bridge = host.bridge
    try:
        window = MainWindow(station)
        qtbot.addWidget(window)
        counter = window.page("counter")            # built before the death: the live signals
        host.start()
        qtbot.waitUntil(lambda: [s for s in bridge.meters.values() if s == "online"] == ["online"] * len(ADDRS),
                        timeout=30_000)
        view = counter.card_view
        counter.pick(account.number)
        qtbot.waitUntil(lambda: view.card is not None and _comm(view) == "在线", timeout=10_000)
        before = view.state.text()
        assert before and before != UNKNOWN and _relay(view) == "合闸（有电）"
        first = station.services["runtime"].pid
        os.kill(first, signal.SIGKILL)
        qtbot.waitUntil(lambda: "runtime" not in station.services, timeout=10_000)     # the death is seen
        qtbot.waitUntil(lambda: view.state.text() == UNKNOWN, timeout=5_000)
        assert _comm(view) == "未知" and _relay(view) == "未知"  # power on? nobody knows
        shown = view.card
        counter.reload_card()              # the database still says "online": the card stays unknown
        qtbot.waitUntil(lambda: view.card is not shown, timeout=10_000)
        assert view.card.meters[0].comm == "online" and view.state.text() == UNKNOWN and _comm(view) == "未知"
        late = AccountCardView()           # a card built only now, after the death (bridge.unread)
        qtbot.addWidget(late)
        late.watch(bridge)
        late.show_card(view.card)
        assert late.state.text() == UNKNOWN
        assert "runtime" not in station.services                  # all of it before the restart
        # the new child reads the meter: its "online" brings both cards back
        qtbot.waitUntil(lambda: "runtime" in station.services and station.services["runtime"].pid != first,
                        timeout=20_000)
        qtbot.waitUntil(lambda: view.state.text() == before and late.state.text() == before, timeout=30_000)
        assert _comm(view) == "在线" and _relay(view) == "合闸（有电）"
        assert not view.unwatched & {m.meter_id for m in view.card.meters}
    finally:
        host.stop()
        tasks.wait_idle()
