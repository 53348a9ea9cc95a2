"""Every page of the main window (on the demo station, every settings tab opened) and the main
dialogs, rendered in zh_CN: no English word left on screen except numbers, units, codes the user
typed and a few allow-listed tokens (tests/ui/words/english_text.py).
"""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.ui.words.english_text import english, is_english

STATION = "一号窗口"

def test_the_rule():
    flagged = ["online", "flat", "sharp=1.1500 peak=0.9000", "JSON, see models/receipt_layout.py", "Cancel",
               "tou", "login.failed"]
    passed = ["12.50", "kWh", "PDF", "DL/T 645-2007", "tcp://10.0.0.9:8001", "/tmp/x.pdf", "在线", "V", "A",
              "2026-10-01", "<b>售电</b>", "DEMO", "1.5 kW", "Excel (*.xlsx)"]
    assert [t for t in flagged if not is_english(t)] == []
    assert [t for t in passed if is_english(t)] == []


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo station (no simulators), built once for this module in a temporary folder."""
    import os

    from access import login as auth
    from models.db import Database
    from ui.demo import create_demo_station

    folder = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as mp:        # nothing of the user's is touched
        for name, sub in (("METERSTATION_CONFIG_DIR", "config"), ("METERSTATION_BILL_DIR", "bills"),
                          ("METERSTATION_RECEIPT_DIR", "receipts")):
            mp.setenv(name, str(folder / sub))
        mp.setenv("METERSTATION_DEMO", os.environ.get("METERSTATION_DEMO", ""))
        d = create_demo_station(STATION, str(folder / "station"), simulate=False)
        db = Database.open(d.url, upgrade=True)
        actor = auth.login(db, d.operator, d.password, STATION)
        yield db, actor
        db.dispose()


@pytest.fixture
def zh(qapp):
    from resources import i18n
    from ui import qt_translations

    i18n.set_language("zh_CN")
    qt_translations.install(qapp, "zh_CN")
    yield
    qt_translations.install(qapp, "en")


def _settle(qapp, rounds: int = 6) -> None:
    from ui import tasks

    for _i in range(rounds):
        qapp.processEvents()
        tasks.wait_idle(10_000)
        qapp.processEvents()


def _typed(db) -> frozenset[str]:
    """Texts that are data somebody typed (link names and URLs, tag names, operator names)."""
    import socket

    import sqlalchemy as sa

    from models.archive import Link, Tag
    from models.operators import Operator

    with db.read() as s:
        names = set(s.execute(sa.select(Link.name)).scalars()) | set(s.execute(sa.select(Link.url)).scalars())
        names |= set(s.execute(sa.select(Tag.name)).scalars())
        names |= set(s.execute(sa.select(Operator.name)).scalars())
    names.add(socket.gethostname()[:80])            # the default station name
    return frozenset(names)


def _screens(qapp, qtbot, db, actor):
    """(name, widget) for every page, settings tab and dialog, each shown and settled."""
    from access import operators as ops
    from billing import counter_query
    from resources.i18n import _
    from ui.login import FirstStartDialog, LoginDialog
    from ui.main_window import MainWindow
    from ui.pages.operators_tab import AddOperatorDialog
    from ui.pages.settings_links_tab import LinkDialog
    from ui.pages.settings_schedules_tab import ScheduleDialog
    from ui.pages.settings_tariffs_tab import VersionDialog
    from ui.session import StationSession
    from ui.widgets.account_dialogs import (
        BindMeterDialog,
        CloseAccountDialog,
        MoveDialog,
        OpenAccountDialog,
        ReplaceMeterDialog,
    )
    from ui.widgets.counter_receipts import RefundDialog

    session = StationSession(db=db, actor=actor, station=STATION, demo=True)
    window = MainWindow(session)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    for i, page in enumerate(window.pages):
        window.nav.setCurrentRow(i)
        _settle(qapp)
        if page.key == "counter" and hasattr(page, "pick"):     # a shop's card, as a cashier sees it
            page.search.setText("B1")
            page.run_search()
            _settle(qapp)
            page.pick("000047")
            _settle(qapp)
        if page.key == "accounts" and getattr(page, "view", None) is not None:
            page.view.selectRow(0)
            _settle(qapp)
        tabs = getattr(page, "tabs", None)
        if tabs is not None:
            for t in range(tabs.count()):
                tabs.setCurrentIndex(t)
                _settle(qapp)
                yield f"{page.key}/{tabs.tabText(t)}", window
        else:
            yield page.key, window
    card = counter_query.account_card(db, actor, "000001")
    free = counter_query.free_meters(db, actor)[:5] or [("240100000001", "electricity", "101")]
    rooms = [SimpleNamespace(id=1, building="A栋", floor="1层", number="101")]
    plans = [SimpleNamespace(name="居民电价")]
    customers = [SimpleNamespace(id=1, name="王小明", phone="13800001111")]
    dialogs = {
        "login": lambda: LoginDialog(db, STATION), "first start": lambda: FirstStartDialog(db, STATION),
        "add operator": lambda: AddOperatorDialog([(r.name, _(r.label)) for r in ops.list_roles(db)]),
        "tariff version": lambda: VersionDialog(["居民电价"]), "link": lambda: LinkDialog(),
        "schedule": lambda: ScheduleDialog([]),
        "open account": lambda: OpenAccountDialog(customers, rooms, free, plans),
        "close account": lambda: CloseAccountDialog(card), "move": lambda: MoveDialog(card, rooms, free),
        "replace meter": lambda: ReplaceMeterDialog(card, free), "bind meter": lambda: BindMeterDialog(card, free),
        "refund": lambda: RefundDialog(card.refundable),
    }
    for name, make in dialogs.items():
        dlg = make()
        qtbot.addWidget(dlg)
        dlg.show()
        _settle(qapp, 2)
        yield name, dlg
        dlg.close()
    window.close()


@pytest.fixture
def found(qapp, qtbot, demo, zh):
    db, actor = demo
    typed = _typed(db)
    out: dict[tuple[str, str], str] = {}
    for name, widget in _screens(qapp, qtbot, db, actor):
        for where, text in english(widget, typed):
            out.setdefault((where, text), name)
    _settle(qapp, 2)
    return out


def test_every_screen_is_in_chinese(found):
    assert found == {}, "\n".join(f"{screen}: {where} {text!r}" for (where, text), screen in sorted(found.items()))
