"""The settlement-day job posts the postpaid bills and saves each one's document in the bills
folder (no Qt): one file per bill, issued once, never twice when the job catches up again."""
from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa

from billing import bill_print
from billing.automation.jobs import JobContext, run_due
from models.archive import Meter, Reading
from models.automation import JobRun
from models.oplog import OpLogEntry
from tests.billing.automation.conftest import Clock
from tests.billing.bills.conftest import local, pdf_text, postpaid


def _read(db, number: str, milli: int, at) -> None:
    with db.write() as s:
        mid = s.scalar(sa.select(Meter.id).where(Meter.number == number))
        s.add(Reading(meter_id=mid, at=at, energy_milli=milli))


def test_settlement_day_writes_one_document_per_bill(db, root, tmp_path, monkeypatch):
    folder = tmp_path / "bills"
    monkeypatch.setenv("METERSTATION_BILL_DIR", str(folder))
    one, two = postpaid(db, root), postpaid(db, root)
    idle = postpaid(db, root)                                   # no reading: not billed, no document
    _read(db, one.meters[0], 130_000, local(2026, 10, 31, 23))
    _read(db, two.meters[0], 250_500, local(2026, 10, 31, 23))
    ctx = JobContext(db, "A", Clock(local(2026, 11, 1, 2)))     # billed at 01:00 on the 1st
    assert run_due(ctx, jobs=("postpaid_bill",)) == [("postpaid_bill", "2026-10")]
    files = sorted(p.name for p in folder.iterdir())
    assert files == sorted(f"B202610-{a.number}.pdf" for a in (one, two))
    text = pdf_text(folder / f"B202610-{two.number}.pdf")
    for needle in ("2026-10", "100.00", "250.50", "150.50", "¥75.25"):
        assert needle in text, needle
    assert "REPRINT" not in text
    with db.read() as s:
        details = s.scalar(sa.select(JobRun.details).where(JobRun.job == "postpaid_bill"))
        issued = s.execute(sa.select(OpLogEntry.operator, OpLogEntry.target)
                           .where(OpLogEntry.action == "bill.issue").order_by(OpLogEntry.seq)).all()
    assert '"documents": 2' in details
    assert issued == [("system", f"B202610-{one.number}"), ("system", f"B202610-{two.number}")]
    assert idle.number not in bill_print.billed_accounts(db, "2026-10")

    stamp = os.stat(folder / f"B202610-{one.number}.pdf").st_mtime_ns
    assert run_due(ctx, jobs=("postpaid_bill",)) == []                      # caught up: nothing again
    assert bill_print.issue_period(db, ctx.actor, "2026-10", [one.number, two.number]) == {}
    assert os.stat(folder / f"B202610-{one.number}.pdf").st_mtime_ns == stamp
    again = bill_print.print_bill(db, root, one.number, "2026-10")          # the counter's print: a copy
    assert (again.copy, again.reprints) == (True, 1)


def test_a_document_that_cannot_be_written_leaves_the_bill_posted(db, root, tmp_path, monkeypatch):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("x")
    monkeypatch.setenv("METERSTATION_BILL_DIR", str(blocked))
    acc = postpaid(db, root)
    _read(db, acc.meters[0], 120_000, local(2026, 10, 31, 23))
    ctx = JobContext(db, "A", Clock(local(2026, 11, 1, 2)))
    assert run_due(ctx, jobs=("postpaid_bill",)) == [("postpaid_bill", "2026-10")]
    assert bill_print.billed_accounts(db, "2026-10") == [acc.number]
    printed = bill_print.print_bill(db, root, acc.number, "2026-10")         # issued later, as the original
    assert (printed.copy, printed.reprints) == (False, 0)
    assert Path(blocked).read_text() == "x"
