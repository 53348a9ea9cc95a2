"""The shift report (交班对账单): takings per payment method and the cash count of one shift.

    pdf = render_shift_report_pdf(ShiftReportData(shift_no="SH-0042", operator="王芳", ...))

Expected cash is what billing says should be in the drawer; when it is not given it is the
opening float plus the net cash takings on the report. The difference is always computed here
as counted - expected (negative = short, positive = over), so the page cannot disagree with
itself.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from reportlab.platypus import Spacer

from printing import docbuild as d
from printing import formatting as fmt
from printing.capitals import to_fen
from printing.pdfcanvas import write_atomic
from resources.i18n import _


def _dec(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


@dataclass
class Takings:
    """Money taken with one payment method during the shift."""

    method: str                      # cash | card | wechat | alipay | transfer | any text
    count: int                       # number of receipts
    received: Decimal
    refunded: Decimal = Decimal(0)   # paid back (refunds, reversals), as a positive amount

    @property
    def net(self) -> Decimal:
        return _dec(to_fen(self.received) - to_fen(self.refunded))


@dataclass
class ShiftReportData:
    shift_no: str
    operator: str
    started_at: datetime
    ended_at: datetime
    takings: list[Takings]
    counted_cash: Decimal
    opening_float: Decimal = Decimal(0)      # 备用金 in the drawer at the start
    expected_cash: Decimal | None = None     # None = opening float + net cash takings
    station: str = ""
    company: str = ""
    first_receipt_no: str = ""
    last_receipt_no: str = ""
    reversals: int = 0
    extra: list[tuple[str, str]] = field(default_factory=list)
    notes: str = ""

    def __post_init__(self) -> None:
        for v in (self.counted_cash, self.opening_float, self.expected_cash):
            if v is not None:
                to_fen(v)
        for t in self.takings:
            to_fen(t.received), to_fen(t.refunded)
        if self.ended_at < self.started_at:
            raise ValueError("a shift cannot end before it starts")

    @property
    def expected(self) -> Decimal:
        if self.expected_cash is not None:
            return self.expected_cash
        cash = sum(to_fen(t.net) for t in self.takings if t.method == "cash")
        return _dec(to_fen(self.opening_float) + cash)

    @property
    def difference(self) -> Decimal:
        """Counted minus expected: negative when cash is short."""
        return _dec(to_fen(self.counted_cash) - to_fen(self.expected))

    @property
    def total_net(self) -> Decimal:
        return _dec(sum(to_fen(t.net) for t in self.takings))


def render_shift_report_pdf(report: ShiftReportData) -> bytes:
    """The shift report as A4 PDF bytes in the current language."""
    width = d.content_width()
    title = _("Shift Report")
    story = d.title_block(report.company, title) + [Spacer(1, 4)]
    receipts = " – ".join(x for x in (report.first_receipt_no, report.last_receipt_no) if x)
    story.append(d.info_table([
        (_("Shift No."), report.shift_no), (_("Cashier"), report.operator),
        (_("Started"), fmt.when(report.started_at)), (_("Ended"), fmt.when(report.ended_at)),
        (_("Collection point"), report.station), (_("Receipt numbers"), receipts),
        (_("Reversals"), str(report.reversals)), *report.extra,
    ], width))
    story += [Spacer(1, 8), d.para(_("Takings by payment method"), 11), Spacer(1, 3)]
    rows: list[list[object]] = [[_("Payment method"), _("Receipts"), _("Received (¥)"),
                                 _("Refunded (¥)"), _("Net (¥)")]]
    for t in report.takings:
        rows.append([fmt.payment_method(t.method), f"{t.count:,}", fmt.plain_money(t.received),
                     fmt.plain_money(t.refunded), fmt.plain_money(t.net)])
    totals = (sum(t.count for t in report.takings),
              sum(to_fen(t.received) for t in report.takings),
              sum(to_fen(t.refunded) for t in report.takings))
    rows.append([_("Total"), f"{totals[0]:,}", fmt.plain_money(_dec(totals[1])),
                 fmt.plain_money(_dec(totals[2])), fmt.plain_money(report.total_net)])
    w = width / 100
    story.append(d.grid(rows, [w * 28, w * 12, w * 20, w * 20, w * 20],
                        numeric_cols=(1, 2, 3, 4), shaded_rows=(len(rows) - 1,)))
    story += [Spacer(1, 8), d.para(_("Cash count"), 11), Spacer(1, 3)]
    diff = report.difference
    verdict = _("balanced") if not diff else (_("short") if diff < 0 else _("over"))
    cash_rows: list[list[object]] = [
        [_("Opening float"), fmt.money(report.opening_float)],
        [_("Expected cash"), fmt.money(report.expected)],
        [_("Counted cash"), fmt.money(report.counted_cash)],
        [_("Difference"), f"{fmt.money(diff)} ({verdict})"],
    ]
    story.append(d.grid(cash_rows, [w * 40, w * 60], header=False, numeric_cols=(1,),
                        shaded_rows=(3,)))
    if report.notes:
        story += [Spacer(1, 8), d.para(report.notes, 9)]
    story += [Spacer(1, 28), d.grid(
        [[fmt.labelled(label, "") + "\n\n" for label in
          (_("Handed over by"), _("Received by"), _("Checked by (finance)"))]],
        [width / 3] * 3, header=False)]
    return d.build_pdf(story, f"{title} {report.shift_no}", footer=report.company)


def write_shift_report_pdf(path: str | os.PathLike[str], report: ShiftReportData) -> Path:
    return write_atomic(path, render_shift_report_pdf(report))
