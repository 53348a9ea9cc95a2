"""A receipt PDF already in the receipts folder is never replaced by the window's receipt output
(found in the real-window walk: a demo, on its own temporary database but the user's data folder,
sold receipt 00000556 and its 00000556-sale.pdf replaced the station's own receipt of that
number; a restored older backup numbers again the same way). The new one takes -2, -3 …"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from billing.sales import sell
from tests.ui.counter.test_counter import _account, _window
from ui import printing_qt, tasks


def test_an_existing_receipt_file_of_the_same_number_is_kept(qtbot, station, tmp_path, monkeypatch):
    monkeypatch.setenv("METERSTATION_RECEIPT_DIR", str(tmp_path / "receipts"))
    db, root = station
    acc = _account(db, root)
    r = sell(db, root, acc.number, Decimal("10.00"))
    folder = printing_qt.receipt_folder()
    kept = folder / f"{r.receipt}-sale.pdf"
    kept.write_bytes(b"another database's receipt of the same number")
    _win, page = _window(qtbot, db, root)
    page.printer.output(r.receipt)
    qtbot.waitUntil(lambda: page.printer.last_path is not None, timeout=10000)
    tasks.wait_idle()
    assert kept.read_bytes() == b"another database's receipt of the same number"
    assert page.printer.last_path == str(folder / f"{r.receipt}-sale-2.pdf")
    assert Path(page.printer.last_path).read_bytes()[:5] == b"%PDF-"
