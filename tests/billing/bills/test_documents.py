"""Bill documents from stored bills: readings, the engine's breakdown by tier and TOU rate to the
fen, previous balance and amount due; issue once, reprints counted in the operation log and
marked as copies; rights. Both backends; the PDFs are read back with pdftotext."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from billing import bill_print
from billing.bill_documents import gather
from billing.ledger import lock_account
from billing.lookup import active_bindings, find_account
from billing.sales import sell
from billing.settlement import charge_binding
from models.errors import InvalidInput, NotFound, PermissionDenied
from models.oplog import OpLogEntry
from tests.billing.bills.conftest import bill, local, pdf_text, postpaid
from tests.billing.tariffs.plans import MONTHLY_ADD, TIERED_V, TOU_V


def _log(db, action):
    with db.read() as s:
        return s.execute(sa.select(OpLogEntry.operator, OpLogEntry.target, OpLogEntry.details)
                         .where(OpLogEntry.action == action).order_by(OpLogEntry.seq)).all()


def test_tiered_bill_shows_each_tier_and_prints(db, root, tmp_path):
    acc = postpaid(db, root, version=TIERED_V, tariff="阶梯")
    m = acc.meters[0]
    bill(db, root, acc, "2026-10", {m: "550"}, local(2026, 10, 25, 8))       # 450 kWh in one cycle
    doc = bill_print.preview_bill(db, acc.number, "2026-10")
    (meter,) = doc.meters
    assert (meter.start, meter.end, meter.energy, meter.breakdown) == (D("100.00"), D("550.00"), D("450.00"), True)
    assert [(x.tier, x.energy, x.unit_price, x.amount) for x in meter.lines] == [
        (1, D("200.000"), D("0.5000"), D("100.00")), (2, D("200.000"), D("0.5500"), D("110.00")),
        (3, D("50.000"), D("0.8000"), D("40.00"))]
    assert (doc.charges, doc.previous_balance, doc.amount_due) == (D("250.00"), D("0.00"), D("250.00"))

    printed = bill_print.print_bill(db, root, acc.number, "2026-10")
    assert (printed.copy, printed.reprints) == (False, 0)
    text = pdf_text(bill_print.write_pdf(printed, tmp_path / "b.pdf"))
    for needle in ("Utility Bill", doc.bill_no, m, "100.00", "550.00", "450.00",
                   "tier 1", "tier 3", "110.00", "Amount due", "¥250.00"):
        assert needle in text, (needle, text)
    assert "REPRINT" not in text
    assert "Billing period 2026-10 (2026-10-05 – 2026-10-25)" in " ".join(text.split())


def test_second_month_crossing_the_cycle_adds_up_to_what_was_charged(db, root):
    acc = postpaid(db, root, version=TIERED_V, tariff="阶梯")
    m = acc.meters[0]
    bill(db, root, acc, "2026-10", {m: "550"}, local(2026, 10, 25, 8))
    second = bill(db, root, acc, "2026-11", {m: "900"}, local(2026, 11, 25, 8))
    doc = bill_print.preview_bill(db, acc.number, "2026-11")
    (meter,) = doc.meters
    assert (meter.start, meter.end) == (D("550.00"), D("900.00"))
    assert sum(x.amount for x in meter.lines) == meter.amount == second.amount == doc.charges
    assert doc.previous_balance == D("-250.00")
    assert doc.amount_due == D("250.00") + second.amount


def test_tou_bill_by_rate(db, root):
    acc = postpaid(db, root, version=TOU_V, tariff="峰谷", opened=local(2026, 10, 14))
    m = acc.meters[0]
    bill(db, root, acc, "2026-10", {m: "124"}, local(2026, 10, 15))             # a Wednesday, 1 kWh an hour
    doc = bill_print.preview_bill(db, acc.number, "2026-10")
    lines = {x.rate: (x.energy, x.amount) for x in doc.meters[0].lines}
    assert lines == {"valley": (D("8.000"), D("2.40")), "flat": (D("10.000"), D("6.00")),
                     "peak": (D("6.000"), D("5.40"))}
    assert doc.amount_due == D("13.80")


def test_two_meters_and_a_credit_carried_forward(db, root, tmp_path):
    acc = postpaid(db, root, meters=2)                                          # flat 0.50
    a, b = acc.meters
    sell(db, root, acc.number, amount="100", method="cash")                     # paid ahead
    bill(db, root, acc, "2026-10", {a: "130", b: "150"}, local(2026, 10, 25, 8))
    doc = bill_print.preview_bill(db, acc.number, "2026-10")
    assert [(x.meter_no, x.amount) for x in doc.meters] == [(a, D("15.00")), (b, D("25.00"))]
    assert (doc.previous_balance, doc.balance_after, doc.amount_due) == (D("100.00"), D("60.00"), D("0.00"))
    text = pdf_text(bill_print.write_pdf(bill_print.print_bill(db, root, acc.number, "2026-10"), tmp_path / "c.pdf"))
    assert "Credit brought forward" in text and "Credit carried forward" in text and "¥0.00" in text


def test_reprints_are_counted_logged_and_marked_and_print_the_same_bill(db, root, cashier, tmp_path):
    acc = postpaid(db, root)
    bill(db, root, acc, "2026-10", {acc.meters[0]: "160"}, local(2026, 10, 25, 8))
    first = bill_print.print_bill(db, cashier, acc.number, "2026-10")
    again = bill_print.print_bill(db, cashier, acc.number, "2026-10")
    third = bill_print.print_bill(db, root, acc.number, "2026-10")
    assert [(p.copy, p.reprints) for p in (first, again, third)] == [(False, 0), (True, 1), (True, 2)]
    assert third.file_name == f"{first.document.bill_no}-copy2.pdf"
    assert [(o, t) for o, t, _d in _log(db, "bill.issue")] == [("cas", first.document.bill_no)]
    assert [(o, t) for o, t, _d in _log(db, "bill.reprint")] == [("cas", first.document.bill_no),
                                                               ("root", first.document.bill_no)]
    texts = [pdf_text(bill_print.write_pdf(p, tmp_path / f"{i}.pdf")) for i, p in enumerate((first, third))]
    assert "REPRINT #2" in texts[1] and "REPRINT" not in texts[0]
    strip = [[" ".join(ln.split()) for ln in t.splitlines() if "REPRINT" not in ln] for t in texts]
    assert strip[0] == strip[1]                                  # a copy prints the same bill
    assert [(b.month, b.issued, b.reprints) for b in bill_print.list_bills(db, acc.number)] == [("2026-10", True, 2)]


def test_printing_needs_the_receipt_right_and_a_bill(db, root, viewer):
    acc = postpaid(db, root)
    bill(db, root, acc, "2026-10", {acc.meters[0]: "160"}, local(2026, 10, 25, 8))
    with pytest.raises(PermissionDenied):
        bill_print.print_bill(db, viewer, acc.number, "2026-10")
    assert _log(db, "bill.issue") == [] and [r[0] for r in _log(db, "denied")] == ["vie"]
    with pytest.raises(NotFound, match="has no bill for 2026-09"):
        bill_print.print_bill(db, root, acc.number, "2026-09")
    with pytest.raises(InvalidInput):
        bill_print.print_bill(db, root, acc.number, "2026-13")
    assert _log(db, "bill.issue") == []


def test_a_bill_posted_without_logged_span_is_rebuilt_from_the_readings(db, root):
    """Bills posted by older stations (and the demo) have no span in the log: the reading stored
    with the bill and the previous charge give it back."""
    from models.archive import Reading

    acc = postpaid(db, root, version={"kind": "tiered", "price": "0.5000", "tiers": MONTHLY_ADD}, tariff="t2")
    at = local(2026, 10, 25, 8)
    with db.write() as s:
        account = lock_account(s, find_account(s, acc.number).id)
        (binding,) = active_bindings(s, account.id)
        s.add(Reading(meter_id=binding.meter_id, at=at, source="poll", energy_milli=400_000))
        charge_binding(s, account, binding, 400_000, at, actor=root, kind="bill",
                       period_key=f"2026-10/m{binding.meter_id}")
    with db.read() as s:
        doc = gather(s, find_account(s, acc.number), "2026-10")
    assert doc is not None
    (meter,) = doc.meters
    assert (meter.start, meter.end, meter.breakdown) == (D("100.00"), D("400.00"), True)
    assert [(x.tier, x.amount) for x in meter.lines] == [(1, D("100.00")), (2, D("55.00"))]


def test_two_stations_printing_at_once_issue_one_original(db, root, cashier, monkeypatch):
    """The account lock serialises the issue: one original, one counted copy, never two originals
    (gathering is slowed down so that both prints would otherwise see the bill not yet issued)."""
    import threading
    import time

    real = bill_print.gather
    monkeypatch.setattr(bill_print, "gather", lambda *a, **k: time.sleep(0.3) or real(*a, **k))
    acc = postpaid(db, root)
    bill(db, root, acc, "2026-10", {acc.meters[0]: "160"}, local(2026, 10, 25, 8))
    start, got, errors = threading.Barrier(2), [], []

    def run(actor):
        try:
            start.wait(5)
            got.append(bill_print.print_bill(db, actor, acc.number, "2026-10"))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
    threads = [threading.Thread(target=run, args=(a,)) for a in (root, cashier)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert sorted((p.copy, p.reprints) for p in got) == [(False, 0), (True, 1)]
    assert len(_log(db, "bill.issue")) == 1 and len(_log(db, "bill.reprint")) == 1
